/**
 * The layer check (`deno task check`, and test/scripts/check_layers_test.ts in CI): reads the import
 * graph of main.ts and src/mod.ts from `deno info --json` and fails on any import against the layers
 *
 * ```
 *   errors/version <- codec, config <- dictionary <- session <- app <- engine <- ops, report, conformance <- bench
 *                                                               ^                                   <- commands, src/mod.ts <- main.ts
 *                         store, transport, metrics, sys ───────┘ (import only errors, version and codec)
 * ```
 *
 * - A folder imports only folders of a lower rank (RANKS): so no folder cycle can form.
 * - store, transport, metrics and sys (SIDE) import only errors, version and codec, never each other.
 *   The codec is allowed in full, not only its types: it is pure (no I/O, no state), and the journal's
 *   reader and secret masking parse frames with it.
 * - app (order logic, simulator, load generator) sits below engine and the SIDE folders: it never
 *   imports engine or transport.
 * - The checked code imports nothing of the repository outside src/, commands/ and main.ts (scripts,
 *   tests, bench scripts, fixtures as modules).
 *
 * Known violations are listed in EXCEPTIONS, each with why it exists and what removes it; any other
 * violating edge fails. An exception that no longer matches an edge is reported (remove it).
 *
 * Run: ./deno run --allow-read --allow-run scripts/check_layers.ts   (exit 1 on a violation)
 */

/** A layer: src/<folder>, or "commands", "main" (main.ts), "mod" (src/mod.ts). */
export type Layer = string;

/** Rank of each layer: an import must go to a strictly lower rank. */
export const RANKS: Readonly<Record<Layer, number>> = {
  errors: 0,
  version: 0,
  clock: 0,
  codec: 1,
  config: 1,
  dictionary: 2,
  session: 3,
  app: 4,
  store: 5,
  transport: 5,
  metrics: 5,
  sys: 5,
  engine: 6,
  ops: 7,
  report: 7,
  conformance: 7,
  bench: 8,
  commands: 9,
  mod: 9,
  main: 10,
};

/** Folders at the side of the stack: they import only these layers. */
export const SIDE: ReadonlySet<Layer> = new Set(["store", "transport", "metrics", "sys"]);
const SIDE_MAY_IMPORT: ReadonlySet<Layer> = new Set(["errors", "version", "clock", "codec"]);

/** One import: from a file to a file (paths relative to the repository root), type-only or not. */
export interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** A tolerated violation: edges whose `from` and `to` start with these paths (a file or a folder/). */
export interface LayerException {
  from: string;
  to: string;
  /** Why the edge exists today. */
  why: string;
  /** What change removes it (then delete the exception). */
  removedBy: string;
}

/**
 * Known violations, as of issue 16's partial restructure. Each is a debt: the check fails on any
 * violating edge not listed here.
 */
export const EXCEPTIONS: readonly LayerException[] = [];

/** The layer of a repository-relative path, or undefined outside the checked code (tests, npm, ...). */
export function layerOf(path: string): Layer | undefined {
  if (path === "main.ts") return "main";
  if (path === "src/mod.ts") return "mod";
  if (path.startsWith("commands/")) return "commands";
  const m = /^src\/([^/]+?)(?:\.ts|\/)/.exec(path);
  return m === null ? undefined : m[1];
}

/** Why `edge` breaks the layers, or undefined when it does not (exceptions are not consulted). */
export function ruleBroken(edge: Edge): string | undefined {
  const a = layerOf(edge.from), b = layerOf(edge.to);
  if (a === undefined || a === b) return undefined;
  if (b === undefined) return `${a} imports ${edge.to}, outside src/, commands/ and main.ts`;
  const ra = RANKS[a], rb = RANKS[b];
  if (ra === undefined) return `${a} is not a known layer (add it to RANKS in scripts/check_layers.ts)`;
  if (rb === undefined) return `${b} is not a known layer (add it to RANKS in scripts/check_layers.ts)`;
  if (SIDE.has(a) && !SIDE_MAY_IMPORT.has(b)) return `${a} may import only errors, version and codec`;
  if (a === "app" && (b === "engine" || b === "transport")) return "app never imports engine or transport";
  if (rb >= ra) return `${a} (rank ${ra}) may not import ${b} (rank ${rb}): imports go down the layers`;
  return undefined;
}

function matches(e: LayerException, edge: Edge): boolean {
  const hit = (prefix: string, path: string) =>
    prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix;
  return hit(e.from, edge.from) && hit(e.to, edge.to);
}

/** Folder cycles (each as its layers in order, first repeated at the end) among `edges`. */
export function folderCycles(edges: readonly Edge[]): Layer[][] {
  const next = new Map<Layer, Set<Layer>>();
  for (const e of edges) {
    const a = layerOf(e.from), b = layerOf(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    let s = next.get(a);
    if (s === undefined) next.set(a, s = new Set());
    s.add(b);
  }
  const cycles: Layer[][] = [];
  const seen = new Set<string>();
  // Small graph (tens of folders): a DFS from each node, reporting each cycle once (by its node set).
  const visit = (start: Layer, node: Layer, path: Layer[]) => {
    for (const b of next.get(node) ?? []) {
      if (b === start) {
        const key = [...path].sort().join(",");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...path, start]);
        }
      } else if (!path.includes(b) && b > start) visit(start, b, [...path, b]);
    }
  };
  for (const a of [...next.keys()].sort()) visit(a, a, [a]);
  return cycles;
}

/** The outcome of a check. */
export interface LayerReport {
  /** Violating edges not covered by an exception, each with the rule it breaks. */
  violations: { edge: Edge; rule: string }[];
  /** Violating edges an exception covers. */
  excepted: { edge: Edge; exception: LayerException }[];
  /** Exceptions that match no edge any more (to delete). */
  stale: LayerException[];
  /** Folder cycles made only of edges not covered by exceptions. */
  cycles: Layer[][];
}

/** Checks `edges` against the layers, tolerating `exceptions`. */
export function checkLayers(
  edges: readonly Edge[],
  exceptions: readonly LayerException[] = EXCEPTIONS,
): LayerReport {
  const report: LayerReport = { violations: [], excepted: [], stale: [], cycles: [] };
  const used = new Set<LayerException>();
  const unexcepted: Edge[] = [];
  for (const edge of edges) {
    const rule = ruleBroken(edge);
    const exception = exceptions.find((e) => matches(e, edge));
    if (rule === undefined) {
      unexcepted.push(edge);
      continue;
    }
    if (exception === undefined) {
      report.violations.push({ edge, rule });
      unexcepted.push(edge);
    } else {
      used.add(exception);
      report.excepted.push({ edge, exception });
    }
  }
  report.stale = exceptions.filter((e) => !used.has(e));
  report.cycles = folderCycles(unexcepted);
  return report;
}

/** The import edges of `deno info --json` output, between files of the repository at `root` (a file URL). */
export function edgesFromInfo(info: unknown, root: string): Edge[] {
  const out: Edge[] = [];
  const rel = (spec: string) => spec.startsWith(root) ? spec.slice(root.length) : undefined;
  const modules = (info as { modules?: unknown[] }).modules ?? [];
  for (const m of modules as { specifier?: string; dependencies?: unknown[] }[]) {
    const from = m.specifier === undefined ? undefined : rel(m.specifier);
    if (from === undefined || from.startsWith("node_modules/")) continue;
    for (
      const d of (m.dependencies ?? []) as { code?: { specifier?: string }; type?: { specifier?: string } }[]
    ) {
      const code = d.code?.specifier, type = d.type?.specifier;
      const target = code ?? type;
      const to = target === undefined ? undefined : rel(target);
      if (to === undefined || to.startsWith("node_modules/")) continue;
      out.push({ from, to, typeOnly: code === undefined });
    }
  }
  return out;
}

/** Runs `deno info --json` on each entry point and returns the union of their edges. */
export async function repositoryEdges(rootUrl: URL, entries: readonly string[]): Promise<Edge[]> {
  const all = new Map<string, Edge>();
  for (const entry of entries) {
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: rootUrl,
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await cmd.output();
    if (code !== 0) {
      throw new Error(`deno info --json ${entry} failed: ${new TextDecoder().decode(stderr).trim()}`);
    }
    const info: unknown = JSON.parse(new TextDecoder().decode(stdout));
    for (const e of edgesFromInfo(info, rootUrl.href)) {
      const key = `${e.from} ${e.to}`;
      const had = all.get(key);
      if (had === undefined || (had.typeOnly && !e.typeOnly)) all.set(key, e);
    }
  }
  return [...all.values()];
}

/** The report as lines for a terminal. */
export function formatReport(r: LayerReport): string[] {
  const lines: string[] = [];
  for (const { edge, rule } of r.violations) {
    lines.push(`layers: ${edge.from} -> ${edge.to}${edge.typeOnly ? " (type-only)" : ""}: ${rule}`);
  }
  for (const c of r.cycles) lines.push(`layers: folder cycle ${c.join(" -> ")}`);
  if (r.violations.length > 0 || r.cycles.length > 0) {
    lines.push(
      "layers: fix the import (see docs/architecture.md), or list it in EXCEPTIONS in scripts/check_layers.ts " +
        "with why it exists and what removes it",
    );
  }
  for (const e of r.stale) {
    lines.push(`layers: stale exception ${e.from} -> ${e.to}: no such edge now, remove it`);
  }
  return lines;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const edges = await repositoryEdges(root, ["main.ts", "src/mod.ts"]);
  const report = checkLayers(edges);
  for (const line of formatReport(report)) console.error(line);
  const failed = report.violations.length > 0 || report.cycles.length > 0;
  console.log(
    `layers: ${edges.length} imports checked, ${report.violations.length} violations, ` +
      `${report.excepted.length} excepted by ${EXCEPTIONS.length - report.stale.length} listed exceptions` +
      (failed ? "" : ": ok"),
  );
  if (failed) Deno.exit(1);
}
