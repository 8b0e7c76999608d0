/** What every tuning knob reports: asked for, got, and why not when the OS refused. */

/** A knob's value: a number (bytes, µs, priority), a flag, a CPU list, a name, or null for "none/unknown". */
export type EffectValue = string | number | boolean | null | readonly number[];

/** The outcome of one tuning knob, printed by `fixg bench` and `fixg run --print-effective-config`. */
export interface EffectReport {
  /** Knob name, e.g. "cpu-affinity", "mlock", "SO_RCVBUF", "TCP_NODELAY". */
  knob: string;
  /** What was asked for. */
  requested: EffectValue;
  /** What is in force now, read back from the OS where it can be. */
  effective: EffectValue;
  /** True when the effective value is what was asked for. */
  ok: boolean;
  /** Why it did not (fully) take effect, or a caveat worth printing. */
  warning?: string;
}

/** Compresses a CPU list into ranges: [0,1,2,5] -> "0-2,5". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Renders an EffectValue for a table cell (arrays are CPU lists). */
export function formatEffectValue(v: EffectValue): string {
  if (v === null) return "-";
  if (Array.isArray(v)) return formatCpuList(v as readonly number[]);
  if (typeof v === "boolean") return v ? "on" : "off";
  return String(v);
}
