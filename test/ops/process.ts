/** Runs `fixg` as a child process and follows its JSON log lines (stderr). */
import { waitFor } from "../engine/helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running `fixg` process. */
export class FixgProcess {
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #reading: Promise<void>;

  constructor(args: string[], cwd: string) {
    const child = new Deno.Command(`${ROOT}fixg`, {
      args,
      cwd,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#reading = (async () => {
      let buf = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
      if (buf) this.lines.push(buf);
    })();
  }

  /** Log records (JSON lines) matching `pred`. */
  records(pred: (r: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const l of this.lines) {
      try {
        const r = JSON.parse(l);
        if (pred(r)) out.push(r);
      } catch {
        // Not a log record.
      }
    }
    return out;
  }

  /** Waits for a record matching `pred` and returns it. */
  async waitRecord(
    pred: (r: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    await waitFor(
      () => this.records(pred).length > 0,
      `${what}\n--- log ---\n${this.lines.join("\n")}`,
      timeoutMs,
    );
    return this.records(pred)[0]!;
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** SIGTERM (graceful stop) and the exit code. */
  async stop(): Promise<number> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const s = await this.#child.status;
    await this.#reading;
    return s.code;
  }
}
