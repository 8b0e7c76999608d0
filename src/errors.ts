/** Base error of fixg: a string `code` a script can match, and an optional cause. */
export class FixgError extends Error {
  /** Stable machine-readable error code, e.g. "CONFIG", "DICTIONARY", "JOURNAL_CORRUPT". */
  readonly code: string;
  /** Process exit code a command should use when this error escapes. */
  readonly exitCode: number;
  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** Bad configuration or usage: exit code 2 with a one-line message naming the file and key. */
export class ConfigError extends FixgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG", message, { ...options, exitCode: 2 });
  }
}

/** A data dictionary that cannot be loaded: names the file, line and element. */
export class DictionaryError extends FixgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DICTIONARY", message, { ...options, exitCode: 2 });
  }
}

/** A journal whose records cannot be trusted; names the segment and byte offset. */
export class JournalCorruptError extends FixgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("JOURNAL_CORRUPT", message, options);
  }
}

/** The environment refused something fixg needs (a port, a directory, a disk write). */
export class EnvironmentError extends FixgError {
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super("ENVIRONMENT", message, { exitCode: 2, ...options });
  }
}
