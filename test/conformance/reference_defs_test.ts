/**
 * The reference's own acceptance definitions (QuickFIX's test/definitions/server/fix40, fix41, fix42,
 * fix43, fix44, fix50, fix50sp1 and fix50sp2 — FIX 4.0 to 4.4 and FIXT 1.1 with FIX 5.0, SP1, SP2 —
 * from the Debian source package, fetched by scripts/fetch_quickfix_defs.sh into a cache outside the
 * repository) played in strict mode against
 * `fixg run --acceptor --app echo --reset-on-logon --store memory`, the way the reference runs them:
 * CompIDs ISLD (the acceptor) and TW, one acceptor per BeginString, every definition on a fresh logon
 * (ResetOnLogon), 0.1 s between definitions. To stay within a few minutes, the definitions are shared
 * out over several acceptor processes per version and played in parallel, the slowest first.
 *
 * A definition listed in KNOWN_DEVIATIONS is expected to fail, at the line its entry names: each entry
 * names the section of docs/conformance.md that justifies it (the test checks that the section
 * exists), and an entry whose definition passes fails the test (the list must shrink as fixg conforms).
 *
 * Where the source package cannot be fetched, the test is skipped with the reason.
 */
import assert from "node:assert/strict";
import {
  loadScenario,
  manualWaits,
  runScenario,
  type Scenario,
  scenarioFiles,
  type ScenarioResult,
  type ScenarioTarget,
  splitFields,
} from "../../src/conformance/mod.ts";
import { effectiveConfig } from "../../commands/run.ts";
import { ManualScheduler } from "../../src/clock.ts";
import { startInProcess } from "../../src/conformance/in_process.ts";
import { freePort, listeningPort, ROOT, startAcceptor } from "./engine_process.ts";
import { PEER_PATHS, quickfixNotBuilt, startPeer } from "../interop/peers.ts";

/** QuickFIX's server definition directories and their BeginString. */
const ALL_VERSIONS: ReadonlyArray<{ dir: string; beginString: string }> = [
  { dir: "fix40", beginString: "FIX.4.0" },
  { dir: "fix41", beginString: "FIX.4.1" },
  { dir: "fix42", beginString: "FIX.4.2" },
  { dir: "fix43", beginString: "FIX.4.3" },
  { dir: "fix44", beginString: "FIX.4.4" },
  { dir: "fix50", beginString: "FIXT.1.1" },
  { dir: "fix50sp1", beginString: "FIXT.1.1" },
  { dir: "fix50sp2", beginString: "FIXT.1.1" },
];

/**
 * The versions played: all eight (about 45 s on two cores, both halves), or the directories named in
 * FIXG_REFDEFS_VERSIONS (comma-separated, e.g. "fix42,fix44") for a shorter run.
 */
const PLAYED = Deno.env.get("FIXG_REFDEFS_VERSIONS");
const VERSIONS = PLAYED === undefined ? ALL_VERSIONS : PLAYED.split(",").map((d) => {
  const v = ALL_VERSIONS.find((x) => x.dir === d.trim());
  if (!v) throw new Error(`FIXG_REFDEFS_VERSIONS: unknown "${d}" (known: ${ALL_VERSIONS.map((x) => x.dir)})`);
  return v;
});

/** Acceptor processes per version (each plays its share of the definitions one after another). */
const WORKERS_PER_VERSION = Number(Deno.env.get("FIXG_REFDEFS_WORKERS") ?? 3);

/** How long an E or eDISCONNECT line waits: the reference runner's eDISCONNECT waits 10 s. */
const TIMEOUT_MS = 10_000;

/** Pause between two definitions on one acceptor, as the reference runner (Runner.rb: sleep 0.1). */
const GAP_MS = 100;

/**
 * Definitions expected to fail: "fix42/NAME" -> the heading in docs/conformance.md (under "Deliberate
 * deviations from the reference") that says why, and the line of the definition where the documented
 * difference shows first (a failure anywhere else is still a failure).
 */
export const KNOWN_DEVIATIONS: Readonly<Record<string, { section: string; line: number }>> = {
  // fixg keeps the valid message after a too-long BodyLength: the ResendRequest at line 28 (every version).
  ...Object.fromEntries(ALL_VERSIONS.map((v) => [`${v.dir}/2m_BodyLengthValueNotCorrect`, {
    section: "2m: the message after a too-long BodyLength is kept",
    line: 28,
  }])),
  // FIXT: fixg's BusinessMessageReject carries no DefaultApplVerID (1137), expected in it at line 8.
  ...Object.fromEntries(["fix50", "fix50sp1", "fix50sp2"].map((dir) => [`${dir}/2r_UnregisteredMsgType`, {
    section: "FIXT: no DefaultApplVerID in a BusinessMessageReject",
    line: 8,
  }])),
};

/** The unpacked source tree, or the reason it is not available. */
function locateSource(): { dir: string } | { missing: string } {
  // The script knows the cache (FIXG_QUICKFIX_SRC, XDG_CACHE_HOME, HOME): it prints the unpacked tree
  // on its last line, at once when it is cached (scripts/ci_prepare.sh normally fetched it), else it
  // fetches it now.
  try {
    const out = new Deno.Command("bash", {
      args: [`${ROOT}scripts/fetch_quickfix_defs.sh`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const dir = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    if (out.success && dir !== "") {
      try {
        for (const v of VERSIONS) Deno.statSync(`${dir}/test/definitions/server/${v.dir}`);
        return { dir };
      } catch {
        return { missing: `${dir} lacks one of test/definitions/server/${VERSIONS.map((v) => v.dir)}` };
      }
    }
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").filter((l) => l !== "");
    return { missing: err[err.length - 1] ?? `fetch_quickfix_defs.sh exited ${out.code}` };
  } catch (e) {
    return { missing: `cannot run scripts/fetch_quickfix_defs.sh: ${e instanceof Error ? e.message : e}` };
  }
}

const SOURCE = locateSource();
const MISSING = "missing" in SOURCE ? SOURCE.missing : undefined;
if (MISSING !== undefined) console.warn(`reference definitions skipped: ${MISSING}`);

/** A definition to play: its version and parsed scenario. */
interface Item {
  version: (typeof VERSIONS)[number];
  key: string;
  scenario: Scenario;
}

/** Rough play time of a definition, to start the slow ones first: the heartbeat waits dominate. */
function weight(s: Scenario): number {
  let w = 0;
  for (const step of s.steps) {
    if (step.kind !== "send") continue;
    const hb = Number(splitFields(step.text).fields.find((f) => f.tag === "108")?.value ?? 30);
    if (hb < 30) w += hb * 10;
  }
  return w + s.steps.length * 0.01;
}

async function loadItems(dir: string): Promise<Item[]> {
  const items: Item[] = [];
  for (const version of VERSIONS) {
    const files = await scenarioFiles([`${dir}/test/definitions/server/${version.dir}`]);
    for (const f of files) {
      const scenario = await loadScenario(f, { strict: true });
      items.push({ version, key: `${version.dir}/${scenario.name}`, scenario });
    }
  }
  return items;
}

/** An acceptor under test, started for one version: where it listens, its output, how to stop it. */
interface Acceptor {
  port: number;
  /** In-process: what the runner connects to (in-memory, manual clock) instead of the port. */
  target?: ScenarioTarget;
  output: () => string;
  stop: () => Promise<unknown>;
}

/** fixg as the reference's `at` acceptor is configured: ISLD, TW, echo, ResetOnLogon, memory store. */
async function fixgAcceptor(beginString: string): Promise<Acceptor> {
  // Port 0: the kernel's choice, read from its log line (several acceptors start at once: ports chosen
  // free beforehand could meet, and one acceptor's scenarios would then run on the other's).
  const proc = startAcceptor(beginString, 0);
  let port: number;
  try {
    port = await listeningPort(proc, 30_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { port, output: () => proc.output, stop: () => proc.stop() };
}

/**
 * The same acceptor in-process (src/conformance/in_process.ts): the gateway `fixg run` builds with
 * those flags, over in-memory connections, every timer on a manual clock the runner moves.
 */
async function inProcessAcceptor(beginString: string): Promise<Acceptor> {
  const config = await effectiveConfig({
    acceptor: true,
    host: "127.0.0.1",
    port: "5001",
    senderCompId: "ISLD",
    targetCompId: "TW",
    beginString,
    app: "echo",
    resetOnLogon: true,
    store: "memory",
  });
  const engine = await startInProcess(config, new ManualScheduler(Date.now()));
  return {
    port: 0,
    target: engine.target,
    output: () => engine.log.slice(-30).join("\n"),
    stop: () => engine.stop(),
  };
}

/** Plays every item: per version, `workers` acceptors pull from one queue, slowest first. */
async function playAll(
  items: Item[],
  start: (beginString: string) => Promise<Acceptor>,
  workers = WORKERS_PER_VERSION,
): Promise<Map<string, ScenarioResult>> {
  const results = new Map<string, ScenarioResult>();
  const started: Promise<Acceptor>[] = [];
  try {
    const running: Promise<void>[] = [];
    for (const version of new Set(items.map((i) => i.version))) {
      const queue = items.filter((i) => i.version === version).sort((a, b) =>
        weight(b.scenario) - weight(a.scenario)
      );
      for (let w = 0; w < workers; w++) {
        const acceptor = start(version.beginString);
        started.push(acceptor);
        running.push((async () => {
          const { port, output, target } = await acceptor;
          for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
            const r = await runScenario(item.scenario, {
              mode: "acceptor-under-test",
              port,
              ...(target !== undefined ? { target } : {}),
              strict: true,
              timeoutMs: TIMEOUT_MS,
            });
            if (r.failure?.message.startsWith("cannot connect")) {
              r.failure.message += `\nacceptor output:\n${output().slice(-3000)}`;
            }
            if (!r.passed && target !== undefined) {
              r.failure!.message += `\nengine log (tail):\n${output()}`;
            } else if (!r.passed && !r.failure!.message.includes("acceptor output:")) {
              r.failure!.message += `\nacceptor output (tail):\n${output().slice(-3000)}`;
            }
            results.set(item.key, r);
            if (target?.time !== undefined) await manualWaits(target.time).sleep(GAP_MS);
            else await new Promise((res) => setTimeout(res, GAP_MS));
          }
        })());
      }
    }
    await Promise.all(running);
  } finally {
    const settled = await Promise.allSettled(started);
    await Promise.all(settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.stop()] : [])));
  }
  return results;
}

/** The first difference of a failed result, as the triage notes and assertion messages show it. */
export function describeFailure(r: ScenarioResult): string {
  const f = r.failure;
  if (!f) return "passed";
  const lines = [`line ${f.line}: ${f.message}`];
  if (f.expected !== undefined) lines.push(`expected: ${f.expected}`);
  if (f.received !== undefined) lines.push(`received: ${f.received}`);
  return lines.join("\n");
}

Deno.test({
  name:
    "QuickFIX's server definitions (FIX 4.0-4.4, FIXT 1.1) pass in strict mode against `fixg run --acceptor`",
  ignore: MISSING !== undefined,
  fn: async (t) => {
    const dir = (SOURCE as { dir: string }).dir;
    const items = await loadItems(dir);
    for (const v of VERSIONS) {
      // Debian's quickfix 1.15.1: 56 fix40 and fix41, 58 fix42 and fix43, 59 fix44, 60 for each fix50*.
      const n = items.filter((i) => i.version === v).length;
      assert.ok(n >= 20, `only ${n} ${v.dir} definitions in ${dir}`);
    }
    const docs = await Deno.readTextFile(`${ROOT}docs/conformance.md`);
    for (const [key, { section: heading }] of Object.entries(KNOWN_DEVIATIONS)) {
      if (!VERSIONS.some((v) => key.startsWith(`${v.dir}/`))) continue; // a version not played this time
      assert.ok(items.some((i) => i.key === key), `KNOWN_DEVIATIONS names ${key}, which is not a definition`);
      assert.ok(
        docs.includes(`### ${heading}`),
        `KNOWN_DEVIATIONS: ${key} cites "### ${heading}", not in docs/conformance.md`,
      );
    }
    const t0 = performance.now();
    const results = await playAll(items, fixgAcceptor);
    const elapsed = Math.round(performance.now() - t0);
    const report = Deno.env.get("FIXG_REFDEFS_REPORT");
    if (report !== undefined) {
      const failed = items.filter((i) => !results.get(i.key)?.passed);
      const body = [
        `${items.length - failed.length} passed, ${failed.length} failed in ${elapsed} ms`,
        "",
        ...failed.flatMap((i) => [`## ${i.key}`, "```", describeFailure(results.get(i.key)!), "```", ""]),
      ];
      await Deno.writeTextFile(report, body.join("\n"));
    }
    for (const item of items) await t.step(item.key, () => checkResult(item, results));
  },
});

/** An item passed, or failed exactly as its KNOWN_DEVIATIONS entry says. */
function checkResult(item: Item, results: Map<string, ScenarioResult>): void {
  const r = results.get(item.key);
  assert.ok(r !== undefined, `${item.key} was not played`);
  const deviation = KNOWN_DEVIATIONS[item.key];
  if (deviation !== undefined) {
    assert.ok(
      !r.passed,
      `${item.key} passes now: remove it from KNOWN_DEVIATIONS (and its section "${deviation.section}" in docs/conformance.md)`,
    );
    assert.equal(
      r.failure?.line,
      deviation.line,
      `${item.key}: the documented deviation shows at line ${deviation.line}, this failure is elsewhere:\n${
        describeFailure(r)
      }`,
    );
    return;
  }
  assert.ok(r.passed, `${item.scenario.file}\n${describeFailure(r)}`);
}

Deno.test({
  name:
    "QuickFIX's server definitions (FIX 4.0-4.4, FIXT 1.1) in-process (in-memory connections, manual clock)",
  ignore: MISSING !== undefined,
  fn: async (t) => {
    const items = await loadItems((SOURCE as { dir: string }).dir);
    // One acceptor per version: the heartbeat-timing definitions take no real time here.
    const results = await playAll(items, inProcessAcceptor, 1);
    for (const item of items) await t.step(item.key, () => checkResult(item, results));
  },
});

/** Heartbeat-timing definitions (HeartBtInt below 30 s) take tens of seconds: the check below leaves them out. */
function slow(s: Scenario): boolean {
  return weight(s) >= 1;
}

/** bench/peers/quickfix/session.cpp: QuickFIX C++ answering as the reference's `at` application. */
const QF_SESSION = PEER_PATHS.quickfixSession;
const QF_SESSION_MISSING = quickfixNotBuilt(QF_SESSION);

Deno.test({
  name:
    "the strict runner agrees with the reference: QuickFIX C++ as `at` passes its definitions of every version (no heartbeat waits)",
  ignore: MISSING !== undefined || QF_SESSION_MISSING !== undefined,
  fn: async () => {
    const items = (await loadItems((SOURCE as { dir: string }).dir)).filter((i) => !slow(i.scenario));
    // qf_session --role acceptor: QuickFIX C++ 1.15 (Debian's libquickfix), memory store, ResetOnLogon,
    // ISLD/TW, validating (FIXT: the FIXT 1.1 transport dictionary, FIX 5.0, SP1 and SP2 application
    // dictionaries, the DefaultApplVerID the definition's Logon names). It answers as `at`: orders and security
    // definitions echoed, other application messages with a BusinessMessageReject.
    const quickfix = async (beginString: string): Promise<Acceptor> => {
      const args = ["--role", "acceptor", "--port", String(freePort()), "--begin-string", beginString];
      const peer = await startPeer({ cmd: QF_SESSION, args: [...args, "--exit-on-eof"] });
      return { port: peer.port, output: () => "", stop: () => peer.stop() };
    };
    const results = await playAll(items, quickfix, 2);
    assert.ok(items.length >= 300, `only ${items.length} definitions without heartbeat waits`);
    const failed = items.filter((i) => !results.get(i.key)?.passed).map((i) =>
      `${i.key}: ${describeFailure(results.get(i.key)!)}`
    );
    assert.deepEqual(failed, []);
  },
});
