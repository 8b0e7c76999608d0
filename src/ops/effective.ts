/**
 * The effective configuration and the performance knobs: `fixg run --print-effective-config` prints
 * the merged config (defaults and flags applied, secrets masked) and what each knob really did.
 */
import type { FixgConfig } from "../engine/config.ts";
import { setAffinity } from "../sys/affinity.ts";
import { lockBuffer, unlockBuffer } from "../sys/memory_lock.ts";
import { applySocketTuning } from "../sys/socket.ts";
import type { EffectReport } from "../sys/types.ts";
import { socketTuningFor } from "../engine/build.ts";
import { redactUrl } from "../store/postgres_schema.ts";

const MASK = "***";

/** The merged config as a plain tree, with passwords, tokens and hashes masked. */
export function redactedConfig(config: FixgConfig): Record<string, unknown> {
  const sessions = config.sessions.map((s) => {
    const o: Record<string, unknown> = { ...s };
    if (o.password !== undefined) o.password = MASK;
    return o;
  });
  const out: Record<string, unknown> = {
    file: config.file,
    // A PostgreSQL URL may carry the database password (user part, password=, sslpassword=).
    store: config.store.url !== undefined
      ? { ...config.store, url: redactUrl(config.store.url) }
      : config.store,
    log: config.log,
  };
  if (config.admin) {
    out.admin = { ...config.admin, ...(config.admin.token !== undefined ? { token: MASK } : {}) };
  }
  if (Object.keys(config.users).length > 0) {
    out.users = Object.fromEntries(Object.keys(config.users).map((u) => [u, { passwordHash: MASK }]));
  }
  const engine = config.raw.engine as Record<string, unknown> | undefined;
  if (engine !== undefined) {
    // The library endpoint: its shared secret is never printed (secretEnv names a variable, kept).
    out.engine = { ...engine, ...(engine.secret !== undefined ? { secret: MASK } : {}) };
  }
  if (Object.keys(config.tuning).length > 0) out.tuning = config.tuning;
  out.reload = config.reload;
  out.sessions = sessions;
  return JSON.parse(JSON.stringify(out));
}

/** Locks buffers and reports them as one knob (the sum of bytes). */
function lockAll(label: string, buffers: Uint8Array<ArrayBuffer>[], keepLocked: boolean): EffectReport {
  let requested = 0, locked = 0;
  let warning: string | undefined;
  for (const b of buffers) {
    requested += b.byteLength;
    const r = lockBuffer(b, label);
    if (r.ok) {
      locked += b.byteLength;
      if (!keepLocked) unlockBuffer(b);
    } else warning ??= r.warning;
  }
  const report: EffectReport = {
    knob: `mlock ${label}`,
    requested,
    effective: locked,
    ok: locked === requested,
  };
  if (warning !== undefined) report.warning = warning;
  return report;
}

/** The journal keeps its buffers private: say so rather than pretend they are locked. */
const JOURNAL_LOCK_REPORT: EffectReport = {
  knob: "mlock journal",
  requested: true,
  effective: false,
  ok: false,
  warning:
    "the journal does not expose its write buffers; only the session I/O buffers are locked (mlockall is never used: V8 aborts under it)",
};

/**
 * Applies the process knobs to this process: CPU affinity, and locking `ioBuffers` in RAM when
 * `lockBuffers` is on (they stay locked). Each knob reports whether it took effect.
 */
export function applyProcessKnobs(config: FixgConfig, ioBuffers: Uint8Array<ArrayBuffer>[]): EffectReport[] {
  const t = config.tuning;
  const out: EffectReport[] = [];
  if (t.cpus !== undefined) out.push(setAffinity(t.cpus, t.allThreads === true ? { allThreads: true } : {}));
  if (t.lockBuffers === true) {
    out.push(lockAll("io-buffers", ioBuffers, true));
    out.push(JOURNAL_LOCK_REPORT);
  }
  return out;
}

/**
 * What every knob of the config would do here: process knobs applied to this process, socket knobs
 * tried on a loopback connection pair opened for the purpose.
 */
export async function probeKnobs(config: FixgConfig): Promise<EffectReport[]> {
  const t = config.tuning;
  const out: EffectReport[] = [];
  if (t.cpus !== undefined) out.push(setAffinity(t.cpus, t.allThreads === true ? { allThreads: true } : {}));
  if (t.lockBuffers === true) {
    out.push(
      lockAll(
        "io-buffers",
        [new Uint8Array(64 * 1024), new Uint8Array(64 * 1024), new Uint8Array(64 * 1024)],
        false,
      ),
    );
    out.push(JOURNAL_LOCK_REPORT);
  }
  const sock = socketTuningFor(config);
  if (Object.keys(sock).length > 0) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const accepted = l.accept();
      const c = await Deno.connect({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port });
      const s = await accepted;
      try {
        out.push(...applySocketTuning(c, sock));
      } finally {
        c.close();
        s.close();
      }
    } finally {
      l.close();
    }
  }
  return out;
}
