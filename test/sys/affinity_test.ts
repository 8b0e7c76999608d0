import assert from "node:assert/strict";
import {
  currentPlacement,
  formatCpuList,
  formatEffectValue,
  getCpu,
  listThreadIds,
  openLibc,
  parseCpuList,
  readAllowedCpus,
  readThreadAllowedCpus,
  setAffinity,
} from "../../src/sys/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const libc = openLibc();
const skip = libc.ok ? undefined : `skipped: ${libc.reason}`;
/** Names a test that needs FFI so an ignored run says why. */
const needsFfi = (name: string) => (skip === undefined ? name : `${name} (${skip})`);

Deno.test("parseCpuList reads Linux CPU lists and rejects bad ones", () => {
  assert.deepEqual(parseCpuList("0"), [0]);
  assert.deepEqual(parseCpuList("0-3"), [0, 1, 2, 3]);
  assert.deepEqual(parseCpuList(" 4,0-1,1 "), [0, 1, 4]);
  assert.throws(() => parseCpuList(""), ConfigError);
  assert.throws(() => parseCpuList("3-1"), ConfigError);
  assert.throws(() => parseCpuList("a"), ConfigError);
  assert.throws(() => parseCpuList("0-1024"), ConfigError);
});

Deno.test("formatCpuList compresses ranges, formatEffectValue renders every value kind", () => {
  assert.equal(formatCpuList([5, 0, 1, 2, 7, 8]), "0-2,5,7-8");
  assert.equal(formatEffectValue([0, 1]), "0-1");
  assert.equal(formatEffectValue(true), "on");
  assert.equal(formatEffectValue(null), "-");
  assert.equal(formatEffectValue(131072), "131072");
});

Deno.test("setAffinity rejects an empty or invalid request as a usage error", () => {
  assert.throws(() => setAffinity([]), ConfigError);
  assert.throws(() => setAffinity([-1]), ConfigError);
  assert.throws(() => setAffinity([1.5]), ConfigError);
});

Deno.test({
  name: needsFfi("setAffinity pins the main thread: sched_getcpu() is then the pinned CPU"),
  ignore: skip !== undefined,
  fn() {
    const original = readAllowedCpus();
    assert.ok(original !== undefined && original.length > 0);
    try {
      for (const cpu of original) {
        const report = setAffinity([cpu]);
        assert.deepEqual(report, { knob: "cpu-affinity", requested: [cpu], effective: [cpu], ok: true });
        assert.equal(getCpu(), cpu);
        assert.deepEqual(readAllowedCpus(), [cpu]);
        assert.deepEqual(currentPlacement(), { pid: Deno.pid, cpus: [cpu], cpu });
      }
    } finally {
      assert.equal(setAffinity(original).ok, true);
    }
    assert.deepEqual(readAllowedCpus(), original);
  },
});

Deno.test({
  name: needsFfi("setAffinity with allThreads pins every thread in /proc/self/task"),
  ignore: skip !== undefined,
  fn() {
    const original = readAllowedCpus()!;
    const tids = listThreadIds();
    assert.ok(tids !== undefined && tids.includes(Deno.pid), "the main thread's tid is the pid");
    try {
      const report = setAffinity([0], { allThreads: true });
      assert.deepEqual(report, {
        knob: "cpu-affinity-all-threads",
        requested: [0],
        effective: [0],
        ok: true,
      });
      for (const tid of listThreadIds()!) {
        const cpus = readThreadAllowedCpus(tid);
        if (cpus !== undefined) assert.deepEqual(cpus, [0], `thread ${tid}`);
      }
    } finally {
      assert.equal(setAffinity(original, { allThreads: true }).ok, true);
    }
  },
});

Deno.test({
  name: needsFfi("setAffinity to a CPU that does not exist degrades to a warning"),
  ignore: skip !== undefined,
  fn() {
    const before = readAllowedCpus();
    const report = setAffinity([1000]);
    assert.equal(report.ok, false);
    assert.match(report.warning ?? "", /EINVAL/);
    assert.deepEqual(report.effective, before, "the mask in force is unchanged");
  },
});

/** Runs a snippet in a child Deno with the given permission flags and returns its JSON output. */
async function runChild(flags: string[], code: string): Promise<unknown> {
  const mod = new URL("../../src/sys/mod.ts", import.meta.url).href;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(script, `import * as sys from "${mod}";\n${code}\n`);
  // `deno eval` would grant every permission: run a file with exactly the flags under test.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", `--allow-read=${script}`, ...flags, script],
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(script));
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: needsFfi("without --allow-ffi every knob degrades to a report saying so"),
  ignore: skip !== undefined,
  async fn() {
    const result = await runChild(
      [],
      `console.log(JSON.stringify([sys.setAffinity([0]), sys.lockBuffer(new Uint8Array(4096), "io"), sys.getCpu() ?? null]));`,
    ) as [Record<string, unknown>, Record<string, unknown>, null];
    assert.deepEqual(result[0], {
      knob: "cpu-affinity",
      requested: [0],
      effective: null,
      ok: false,
      warning: "CPU affinity not applied: needs --allow-ffi",
    });
    assert.deepEqual(result[1], {
      knob: "mlock io",
      requested: 4096,
      effective: 0,
      ok: false,
      warning: "not locked: needs --allow-ffi",
    });
    assert.equal(result[2], null);
  },
});

Deno.test({
  name: needsFfi("with only --allow-ffi, /proc/self is read through libc (Deno wants --allow-all for it)"),
  ignore: skip !== undefined,
  async fn() {
    const result = await runChild(
      ["--allow-ffi"],
      `console.log(JSON.stringify({ cpus: sys.readAllowedCpus(), tids: sys.listThreadIds(), status: sys.readProcText("/proc/self/status")?.includes("VmLck") }));`,
    ) as { cpus: number[]; tids: number[]; status: boolean };
    assert.deepEqual(result.cpus, readAllowedCpus());
    assert.ok(result.tids.length >= 1);
    assert.equal(result.status, true);
  },
});
