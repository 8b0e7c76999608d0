/** Runs `fixg` as a child process and follows its JSON log lines (stderr): a test/_helpers Child. */
import { Child } from "../_helpers/mod.ts";

/** A running `fixg` process. */
export class FixgProcess {
  readonly #child: Child;

  constructor(args: string[], cwd: string) {
    this.#child = new Child(args, { cwd });
  }

  /** Its stderr lines so far. */
  get lines(): string[] {
    return this.#child.lines("err");
  }

  /** Log records (JSON lines) matching `pred`. */
  records(pred: (r: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
    return this.#child.records(pred);
  }

  /** Waits for a record matching `pred` (checked as lines arrive, no polling) and returns it. */
  async waitRecord(
    pred: (r: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    await this.#child.until(() => this.records(pred).length > 0, what, timeoutMs);
    return this.records(pred)[0]!;
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal): void {
    this.#child.child.kill(signal);
  }

  /** SIGTERM (graceful stop) and the exit code. */
  async stop(): Promise<number> {
    return (await this.#child.stop("SIGTERM")).code;
  }
}
