import assert from "node:assert/strict";
import {
  applyProcessTuning,
  openLibc,
  readAllowedCpus,
  readScheduler,
  setScheduler,
  unlockBuffer,
} from "../../src/sys/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const libc = openLibc();
const skip = libc.ok ? undefined : `skipped: ${libc.reason}`;

Deno.test("setScheduler validates the priority range", () => {
  assert.throws(() => setScheduler("fifo", 0), ConfigError);
  assert.throws(() => setScheduler("fifo", 100), ConfigError);
  assert.throws(() => setScheduler("other", 5), ConfigError);
});

Deno.test({
  name: skip === undefined
    ? "setScheduler sets SCHED_FIFO and back to SCHED_OTHER, read back each time"
    : `setScheduler (${skip})`,
  ignore: skip !== undefined,
  fn() {
    assert.equal(readScheduler(), "other:0");
    const report = setScheduler("fifo", 1);
    try {
      if (!report.ok) {
        assert.match(report.warning ?? "", /EPERM/);
        console.log(`SCHED_FIFO refused here: ${report.warning}`);
        return;
      }
      assert.equal(report.effective, "fifo:1");
      assert.equal(readScheduler(), "fifo:1");
    } finally {
      assert.deepEqual(setScheduler("other"), {
        knob: "scheduler",
        requested: "other:0",
        effective: "other:0",
        ok: true,
      });
    }
  },
});

Deno.test({
  name: skip === undefined
    ? "applyProcessTuning reports every knob in order"
    : `applyProcessTuning (${skip})`,
  ignore: skip !== undefined,
  fn() {
    const original = readAllowedCpus()!;
    const journal = new Uint8Array(8192);
    try {
      const reports = applyProcessTuning({
        cpus: original,
        lockBuffers: [{ label: "journal", buffer: journal }],
        mlockall: true,
      });
      assert.deepEqual(reports.map((r) => r.knob), ["cpu-affinity", "mlock journal", "mlockall"]);
      assert.equal(reports[0]!.ok, true);
      if (reports[1]!.ok) assert.match(reports[2]!.warning ?? "", /locked instead: journal$/);
    } finally {
      unlockBuffer(journal);
    }
  },
});
