/** Number formatting and aligned text tables shared by the terminal and comparison renderers. */

/** Latency in µs with precision that suits its size: 3.21, 26.6, 1234. */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  const a = Math.abs(us);
  if (a < 10) return us.toFixed(2);
  if (a < 1000) return us.toFixed(1);
  return us.toFixed(0);
}

/** A count or rate: integers as is, others with one decimal. */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** A signed percentage change: "+12.3%", "-4.0%", "n/a" for null. */
export function formatChangePct(pct: number | null): string {
  if (pct === null) return "n/a";
  if (!Number.isFinite(pct)) return pct > 0 ? "+inf%" : "-inf%";
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
}

/** Column alignment of a text table. */
export type Align = "left" | "right";

/** Renders rows under a header with columns padded to their widest cell; numbers usually align right. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (align[i] === "right" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
