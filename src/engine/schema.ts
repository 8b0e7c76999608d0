/**
 * The config schema machinery moved to src/config/schema.ts (one typed schema for fixg.yaml, lp.yaml
 * and bench.yaml). This re-export remains for src/bench/options.ts; delete it once that imports
 * ../config/schema.ts.
 */
export { checkValue, type Schema, substituteEnv } from "../config/schema.ts";
