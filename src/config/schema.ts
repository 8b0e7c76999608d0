/**
 * The one schema checker of fixg's YAML configs (fixg.yaml, lp.yaml, bench.yaml): every scalar arrives
 * as a string (js-yaml's failsafe schema keeps CompIDs such as 0012 intact) and is converted here by
 * its declared type; values built in code (numbers, booleans) are accepted as well. Unknown keys and
 * bad values fail with the file, the key path and the reason (ConfigError). Imports only errors.
 */
import { ConfigError } from "../errors.ts";

/** A schema node. */
export type Schema =
  | {
    type: "string";
    enum?: readonly string[];
    default?: string;
    /** A further rule: returns why `s` is refused, or undefined when it is fine. */
    check?: (s: string) => string | undefined;
  }
  /** `above`: an exclusive minimum (a price must be > 0). */
  | { type: "int"; min?: number; above?: number; max?: number; default?: number }
  | { type: "number"; min?: number; above?: number; max?: number; default?: number }
  | { type: "bool"; default?: boolean }
  | { type: "array"; of: Schema }
  /** `nullable`: an explicit null (`~`, `null` or an empty value) is kept as null (e.g. "no day end"). */
  | { type: "object"; fields: Record<string, Schema>; required?: readonly string[]; nullable?: boolean }
  | { type: "map"; of: Schema }
  /** A string or a list of strings (a single value becomes a one-element list). */
  | { type: "strings" }
  /** A scalar checked by `scalar`, or a mapping checked by `mapping` (`fillLatencyMs: 5` or `{ min, max }`). */
  | { type: "either"; scalar: Schema; mapping: Schema };

/**
 * The numbers of a checked entry whose defaults come from a built-in table (lp.yaml's and bench.yaml's
 * symbols): for each key of `defaults` (in its order), `o[k]` when given, else `base[k]` (the built-in
 * entry of that name, if any), else `defaults[k]`; with none of them, `missing(k)`, which throws the
 * caller's error.
 */
export function numbersWithDefaults<K extends string>(
  o: Record<string, unknown>,
  base: Readonly<Record<NoInfer<K>, number>> | undefined,
  defaults: Readonly<Record<K, number | undefined>>,
  missing: (k: K) => never,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of Object.keys(defaults) as K[]) {
    const v = (o[k] as number | undefined) ?? base?.[k] ?? defaults[k];
    out[k] = v === undefined ? missing(k) : v;
  }
  return out;
}

/** Converts and checks `value` against `schema`; `path` is the key path for messages. */
export function checkValue(schema: Schema, value: unknown, path: string, file: string): unknown {
  const fail = (why: string): never => {
    throw new ConfigError(`${file}: ${path || "(top level)"}: ${why}`);
  };
  if (
    schema.type === "object" && schema.nullable === true &&
    (value === null || value === "~" || value === "null")
  ) {
    return null;
  }
  if (value === null || value === undefined) {
    if ("default" in schema && schema.default !== undefined) return schema.default;
    return undefined;
  }
  switch (schema.type) {
    case "string": {
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        fail("expected a string");
      }
      const s = String(value);
      if (schema.enum && !schema.enum.includes(s)) fail(`"${s}" is not one of ${schema.enum.join(", ")}`);
      const why = schema.check?.(s);
      if (why !== undefined) fail(why);
      return s;
    }
    case "int":
    case "number": {
      const s = String(value).trim();
      const ok = schema.type === "int" ? /^-?\d+$/.test(s) : /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(s);
      if (!ok) fail(`"${s}" is not ${schema.type === "int" ? "an integer" : "a number"}`);
      const n = Number(s);
      if (schema.min !== undefined && n < schema.min) fail(`${n} is below the minimum ${schema.min}`);
      if (schema.above !== undefined && n <= schema.above) fail(`${n} is not above ${schema.above}`);
      if (schema.max !== undefined && n > schema.max) fail(`${n} is above the maximum ${schema.max}`);
      return n;
    }
    case "bool": {
      const s = String(value).toLowerCase();
      if (["true", "yes", "y", "on", "1"].includes(s)) return true;
      if (["false", "no", "n", "off", "0"].includes(s)) return false;
      return fail(`"${value}" is not a boolean (true/false)`);
    }
    case "strings": {
      if (Array.isArray(value)) {
        return value.map((v, i) => checkValue({ type: "string" }, v, `${path}[${i}]`, file));
      }
      if (typeof value === "string") return value.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
      return fail("expected a string or a list of strings");
    }
    case "either": {
      const mapping = typeof value === "object" && !Array.isArray(value);
      return checkValue(mapping ? schema.mapping : schema.scalar, value, path, file);
    }
    case "array": {
      if (!Array.isArray(value)) fail("expected a list");
      return (value as unknown[]).map((v, i) => checkValue(schema.of, v, `${path}[${i}]`, file));
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) fail("expected a mapping");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out[k] = checkValue(schema.of, v, join(path, k), file);
      }
      return out;
    }
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) fail("expected a mapping");
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (!(k in schema.fields)) {
          const near = closest(k, Object.keys(schema.fields));
          throw new ConfigError(
            `${file}: ${join(path, k)}: unknown key${near ? ` (did you mean "${near}"?)` : ""}`,
          );
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(schema.fields)) {
        const v = checkValue(s, obj[k], join(path, k), file);
        if (v !== undefined) out[k] = v;
        else if (schema.required?.includes(k)) {
          throw new ConfigError(`${file}: ${join(path, k)}: required key missing`);
        }
      }
      return out;
    }
  }
}

function join(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}

/** Replaces `${VAR}` (and `${VAR:-default}`) in every string of a parsed YAML tree. */
export function substituteEnv(
  value: unknown,
  path: string,
  file: string,
  env: (name: string) => string | undefined,
): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_m, name: string, def: string | undefined) => {
        const v = env(name);
        if (v !== undefined) return v;
        if (def !== undefined) return def;
        throw new ConfigError(`${file}: ${path}: environment variable ${name} is not set`);
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, `${path}[${i}]`, file, env));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = substituteEnv(v, path ? `${path}.${k}` : k, file, env);
    }
    return out;
  }
  return value;
}

function closest(k: string, options: string[]): string | undefined {
  let best: string | undefined, bestD = 3;
  for (const o of options) {
    const d = distance(k.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(
        dp[i - 1]![j]! + 1,
        dp[i]![j - 1]! + 1,
        dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return dp[a.length]![b.length]!;
}
