/**
 * `./fixg` (or any command) as a child process with its stdout and stderr captured as text, and waits on
 * what it prints: a line matching a pattern, a JSON log record, its exit. Waits end on the event, on the
 * process exiting without it (with its output in the error), or after a bounded timeout.
 */
export { startSimulateLp } from "../../bench/_lib/simulate_lp.ts";

/** The repository root (where `./fixg` and `./deno` are). */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** How a child is started. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** The program (default `./fixg`); e.g. `prlimit` with `./fixg` in `args`. */
  cmd?: string;
}

type Stream = "out" | "err";

/** The command (stdin closed unless piped, stdout and stderr piped). */
function command(args: string[], o: SpawnOptions, stdin: "null" | "piped" = "null"): Deno.Command {
  return new Deno.Command(o.cmd ?? `${ROOT}fixg`, {
    args,
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    ...(o.env !== undefined ? { env: o.env } : {}),
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

/** `fixg run` flags of one session on 127.0.0.1:`port`, ISLD (acceptor) and TW (initiator), then `extra`. */
export function runArgs(role: "acceptor" | "initiator", port: number, extra: string[] = []): string[] {
  const [us, them] = role === "acceptor" ? ["ISLD", "TW"] : ["TW", "ISLD"];
  return [
    "run",
    `--${role}`,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--sender-comp-id",
    us,
    "--target-comp-id",
    them,
    ...extra,
  ];
}

/** A running child process whose output is collected; `text.out` / `text.err` grow as it prints. */
export class Child {
  readonly child: Deno.ChildProcess;
  readonly text = { out: "", err: "" };
  /** Resolves when both streams have ended. */
  readonly done: Promise<void>;
  /** The exit status once it has exited. */
  exit: Deno.CommandStatus | undefined;
  #listeners = new Set<() => void>();
  #ended = { out: false, err: false };

  constructor(args: string[], o: SpawnOptions = {}) {
    this.child = command(args, o).spawn();
    this.done = Promise.all([this.#drain(this.child.stdout, "out"), this.#drain(this.child.stderr, "err")])
      .then(() => {});
    this.child.status.then((s) => {
      this.exit = s;
      this.#notify();
    }, () => {});
  }

  async #drain(stream: ReadableStream<Uint8Array>, into: Stream): Promise<void> {
    for await (const c of stream.pipeThrough(new TextDecoderStream())) {
      this.text[into] += c;
      this.#notify();
    }
    this.#ended[into] = true;
    this.#notify();
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  /** Complete lines of one stream (and, once the stream has ended, a last line without a newline). */
  lines(stream: Stream = "err"): string[] {
    const t = this.text[stream];
    if (this.#ended[stream] && t.length > 0 && !t.endsWith("\n")) return t.split("\n");
    const end = t.lastIndexOf("\n");
    return end < 0 ? [] : t.slice(0, end).split("\n");
  }

  /** JSON lines of one stream (non-JSON lines are skipped) matching `pred`. */
  records(
    pred: (r: Record<string, unknown>) => boolean = () => true,
    stream: Stream = "err",
  ): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const l of this.lines(stream)) {
      if (!l.startsWith("{")) continue;
      try {
        const r = JSON.parse(l);
        if (pred(r)) out.push(r);
      } catch {
        // Not a record.
      }
    }
    return out;
  }

  /**
   * Waits (on output, not on a clock) until `cond()` holds; fails naming `what`, with the output so far,
   * when the process exits first or `timeoutMs` passes.
   */
  until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        reject(
          new Error(
            `${why} waiting for ${what}\n--- stdout ---\n${this.text.out}\n--- stderr ---\n${this.text.err}`,
          ),
        );
      };
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          this.#listeners.delete(check);
          resolve();
        } else if (this.exit !== undefined) fail(`process exited ${this.exit.code}`);
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits until `stream` (stderr by default) matches `pattern`. */
  waitText(
    pattern: RegExp | string,
    what: string,
    timeoutMs = 15_000,
    stream: Stream = "err",
  ): Promise<void> {
    const test = typeof pattern === "string"
      ? () => this.text[stream].includes(pattern)
      : () => pattern.test(this.text[stream]);
    return this.until(test, what, timeoutMs);
  }

  /** Sends `signal` (SIGTERM by default) unless it has exited; waits for the exit and the end of its output. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (this.exit === undefined) {
      try {
        this.child.kill(signal);
      } catch {
        // Already gone.
      }
    }
    const s = await this.child.status;
    await this.done;
    return s;
  }
}

/** Starts `./fixg args` with stdout and stderr captured. */
export function spawnFixg(args: string[], o: SpawnOptions = {}): Child {
  return new Child(args, o);
}

/** Runs `./fixg args` to the end (with `stdin` as its input when given): exit code, stdout and stderr. */
export async function fixgOutput(
  args: string[],
  o: SpawnOptions & { stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let r: Deno.CommandOutput;
  if (o.stdin === undefined) r = await command(args, o).output();
  else {
    const child = command(args, o, "piped").spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(o.stdin));
    await w.close();
    r = await child.output();
  }
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}
