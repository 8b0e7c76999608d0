/** Starting `./fixg run` as a child process for the conformance tests, with its output kept for failure reports. */
import {
  loadScenario,
  type Scenario,
  scenarioFiles,
  type ScenarioResult,
} from "../../src/conformance/mod.ts";
import { waitForPort } from "../_helpers/mod.ts";

/** Repository root (the tests run `./fixg` from there). */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** A running `fixg` child process. */
export class FixgProcess {
  readonly child: Deno.ChildProcess;
  #output = "";
  readonly #drained: Promise<void>;

  constructor(args: string[]) {
    this.child = new Deno.Command(`${ROOT}fixg`, {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#drained = Promise.all([this.#drain(this.child.stdout), this.#drain(this.child.stderr)]).then(
      () => {},
    );
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      this.#output += dec.decode(chunk, { stream: true });
      // Keep the tail only: a long run logs a line per session event.
      if (this.#output.length > 200_000) this.#output = this.#output.slice(-100_000);
    }
  }

  /** What the process printed so far (the last 100-200 kB). */
  get output(): string {
    return this.#output;
  }

  /** Sends SIGTERM and waits for the exit; returns the exit code. */
  async stop(): Promise<number> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    return await this.wait();
  }

  /** Waits for the exit (and the end of its output); returns the exit code. */
  async wait(): Promise<number> {
    const status = await this.child.status;
    await this.#drained;
    return status.code;
  }
}

/** Free loopback ports: the shared helper. */
export { freePort } from "../_helpers/mod.ts";

/** Waits until something accepts connections on `port` (an empty probe is harmless to fixg). */
export async function waitListening(port: number, timeoutMs: number, proc: FixgProcess): Promise<void> {
  let exited: number | undefined;
  proc.child.status.then((s) => (exited = s.code), () => {});
  try {
    await waitForPort(port, { timeoutMs, gone: () => exited === undefined ? undefined : `exited ${exited}` });
  } catch (e) {
    if (exited !== undefined) {
      await proc.wait();
      throw new Error(`fixg exited ${exited} before listening on ${port}:\n${proc.output}`);
    }
    throw new Error(
      `fixg did not listen on ${port} within ${timeoutMs} ms (${(e as Error).message}):\n${proc.output}`,
    );
  }
}

/** The scenarios of fixtures/conformance/<dir>, parsed, in name order. */
export async function fixtureScenarios(dir: string): Promise<Scenario[]> {
  const files = await scenarioFiles([`${ROOT}fixtures/conformance/${dir}`]);
  return await Promise.all(files.map((f) => loadScenario(f)));
}

/**
 * A scenario's outcome for an assertion message: "passed", or where it failed with what was expected and
 * received, and (`withTranscript`) every transcript event.
 */
export function describeResult(r: ScenarioResult, withTranscript = false): string {
  const f = r.failure;
  if (!f) return "passed";
  const lines = [`${r.file}:${f.line}: ${f.message}`];
  if (f.expected !== undefined) lines.push(`expected: ${f.expected}`);
  if (f.received !== undefined) lines.push(`received: ${f.received}`);
  if (withTranscript) {
    lines.push(
      "transcript:",
      ...r.transcript.map((e) => `  +${e.atMs}ms conn ${e.conn} line ${e.line} ${e.kind} ${e.text}`),
    );
  }
  return lines.join("\n");
}
