/** Reading lp.yaml from disk: the only part of the simulator that touches the file system. */
import * as jsyaml from "js-yaml";
import { ConfigError, EnvironmentError } from "../../errors.ts";
import { type LpConfig, parseLpConfig } from "./config.ts";

/** Reads and validates an lp.yaml (YAML or JSON). Throws ConfigError for bad content, EnvironmentError when unreadable. */
export async function loadLpConfig(path: string): Promise<LpConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new EnvironmentError(`Cannot read simulator config "${path}": ${(e as Error).message}`, {
      cause: e,
    });
  }
  let obj: unknown;
  try {
    // The failsafe schema, as fixg.yaml: every scalar a string (an unquoted 0012 CompID stays "0012"),
    // converted by LP_SCHEMA.
    obj = jsyaml.load(text, { schema: jsyaml.FAILSAFE_SCHEMA, filename: path });
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
  return parseLpConfig(obj, path);
}
