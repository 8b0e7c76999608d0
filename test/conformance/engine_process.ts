/** Starting `./fixg run` as a child process for the conformance tests, with its output kept for failure reports. */
import {
  loadScenario,
  type Scenario,
  scenarioFiles,
  type ScenarioResult,
} from "../../src/conformance/mod.ts";
import { Child, ROOT, waitFor, waitForPort } from "../_helpers/mod.ts";

/** Repository root (the tests run `./fixg` from there). */
export { ROOT };

/** A running `fixg` child process (the shared test/_helpers Child, run from the repository root). */
export class FixgProcess {
  readonly #proc: Child;

  constructor(args: string[]) {
    this.#proc = new Child(args, { cwd: ROOT });
  }

  get child(): Deno.ChildProcess {
    return this.#proc.child;
  }

  /** What the process printed so far, stdout then stderr (the last 100 kB). */
  get output(): string {
    return (this.#proc.text.out + this.#proc.text.err).slice(-100_000);
  }

  /** Sends SIGTERM and waits for the exit; returns the exit code. */
  async stop(): Promise<number> {
    return (await this.#proc.stop()).code;
  }

  /** Waits for the exit (and the end of its output); returns the exit code. */
  async wait(): Promise<number> {
    const status = await this.#proc.child.status;
    await this.#proc.done;
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
    // Something listens: it must be this child (another process may hold a port chosen free a moment
    // ago, and then the scenarios would talk to it): its own "listening on ...:PORT" line.
    await waitFor(
      () => exited !== undefined || listeningOn(proc.output).includes(port),
      `fixg's "acceptor listening on ...:${port}" line`,
      timeoutMs,
      20,
    );
    if (exited !== undefined) throw new Error(`exited ${exited}`);
  } catch (e) {
    if (exited !== undefined) {
      await proc.wait();
      throw new Error(
        `fixg exited ${exited} before listening on ${port} (taken by another process?):\n${proc.output}`,
      );
    }
    throw new Error(
      `fixg did not listen on ${port} within ${timeoutMs} ms (${(e as Error).message}):\n${proc.output}`,
    );
  }
}

/** The ports of the "acceptor listening on HOST:PORT" lines in a fixg's output. */
function listeningOn(output: string): number[] {
  return [...output.matchAll(/acceptor listening on \S+:(\d+)/g)].map((m) => Number(m[1]));
}

/**
 * Waits for the first "acceptor listening on HOST:PORT" line of a fixg started with `--port 0` and returns
 * the port the kernel gave it (no port chosen beforehand that another process could take meanwhile).
 */
export async function listeningPort(proc: FixgProcess, timeoutMs: number): Promise<number> {
  let exited: number | undefined;
  proc.child.status.then((s) => (exited = s.code), () => {});
  await waitFor(
    () => exited !== undefined || listeningOn(proc.output).length > 0,
    "fixg to listen",
    timeoutMs,
    20,
  )
    .catch((e) => {
      throw new Error(`${(e as Error).message}:\n${proc.output}`);
    });
  if (exited !== undefined) throw new Error(`fixg exited ${exited} before listening:\n${proc.output}`);
  return listeningOn(proc.output)[0]!;
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

/** `fixg run --acceptor` as the reference's `at` acceptor is configured: ISLD, TW, echo, ResetOnLogon, memory store. */
export function startAcceptor(beginString: string, port: number): FixgProcess {
  return new FixgProcess([
    "run",
    "--acceptor",
    "--port",
    String(port),
    "--sender-comp-id",
    "ISLD",
    "--target-comp-id",
    "TW",
    "--begin-string",
    beginString,
    "--app",
    "echo",
    "--reset-on-logon",
    "--store",
    "memory",
  ]);
}
