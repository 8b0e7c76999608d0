import assert from "node:assert/strict";
import {
  lockBuffer,
  mlockallRefusal,
  openLibc,
  readLockedKb,
  readMemlockLimitBytes,
  unlockBuffer,
} from "../../src/sys/mod.ts";

const libc = openLibc();
const skip = libc.ok ? undefined : `skipped: ${libc.reason}`;

Deno.test({
  name: skip === undefined
    ? "lockBuffer mlocks the buffer: VmLck grows by its size, and shrinks on unlock"
    : `lockBuffer (${skip})`,
  ignore: skip !== undefined,
  fn() {
    const bytes = 1 << 20;
    const buf = new Uint8Array(bytes);
    const before = readLockedKb();
    assert.ok(before !== undefined, "VmLck readable");
    const report = lockBuffer(buf, "io buffer");
    const limit = readMemlockLimitBytes();
    if (!report.ok) {
      // An unprivileged user with a small RLIMIT_MEMLOCK: the report must say why.
      assert.match(report.warning ?? "", /RLIMIT_MEMLOCK/);
      console.log(`mlock refused here (limit ${limit}): ${report.warning}`);
      return;
    }
    try {
      assert.deepEqual(report, { knob: "mlock io buffer", requested: bytes, effective: bytes, ok: true });
      const after = readLockedKb()!;
      // mlock works on whole pages: an unaligned 1 MiB spans 256 or 257 pages.
      assert.ok(after - before >= 1024, `VmLck grew from ${before} to ${after} kB`);
      assert.ok(after - before <= 1028, `VmLck grew from ${before} to ${after} kB`);
    } finally {
      assert.equal(unlockBuffer(buf), true);
    }
    assert.equal(readLockedKb(), before);
  },
});

Deno.test("lockBuffer of an empty buffer is a no-op success", () => {
  assert.deepEqual(
    lockBuffer(new Uint8Array(0)),
    libc.ok ? { knob: "mlock buffer", requested: 0, effective: 0, ok: true } : {
      knob: "mlock buffer",
      requested: 0,
      effective: 0,
      ok: false,
      warning: `not locked: ${libc.reason}`,
    },
  );
});

Deno.test("mlockallRefusal explains why mlockall is not used and what was locked instead", () => {
  assert.deepEqual(mlockallRefusal(["journal segment"]), {
    knob: "mlockall",
    requested: true,
    effective: false,
    ok: false,
    warning:
      "mlockall is not used: it makes V8 abort (madvise fails on locked reserved memory); locked instead: journal segment",
  });
});
