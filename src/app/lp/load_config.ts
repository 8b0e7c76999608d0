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
    obj = jsyaml.load(text, { filename: path });
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
  return parseLpConfig(obj, path);
}
