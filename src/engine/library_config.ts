/** The engine endpoint a fixg.yaml asks for (`engine: { socket, secret | secretEnv }`). */
import { ConfigError } from "../errors.ts";
import type { FixgConfig } from "./config.ts";
import type { Logger } from "./log.ts";
import { EngineServer } from "./library_server.ts";

/**
 * The socket and secret a config's `engine:` section asks for, checked (`fixg config check` refuses what
 * `fixg run` would), or undefined when it has no `engine.socket`. The secret is read here and never printed.
 */
export function engineEndpointOf(config: FixgConfig): { socket: string; secret?: string } | undefined {
  const e = config.raw.engine as { socket?: string; secret?: string; secretEnv?: string } | undefined;
  if (e?.socket === undefined) {
    if (e !== undefined && (e.secret !== undefined || e.secretEnv !== undefined)) {
      throw new ConfigError(`${config.file}: engine: a secret needs engine.socket (or --engine-socket)`);
    }
    return undefined;
  }
  if (e.socket === "") throw new ConfigError(`${config.file}: engine.socket: empty path`);
  if (e.secret !== undefined && e.secretEnv !== undefined) {
    throw new ConfigError(`${config.file}: engine: give secret or secretEnv, not both`);
  }
  let secret = e.secret;
  if (e.secretEnv !== undefined) {
    secret = Deno.env.get(e.secretEnv);
    if (secret === undefined || secret === "") {
      throw new ConfigError(
        `${config.file}: engine.secretEnv: environment variable ${e.secretEnv} is not set`,
      );
    }
  }
  if (secret !== undefined && secret.length < 16) {
    throw new ConfigError(`${config.file}: engine.secret: use at least 16 characters`);
  }
  return { socket: e.socket, ...(secret !== undefined ? { secret } : {}) };
}

/** The endpoint a config asks for (engineEndpointOf), or undefined when it has no `engine.socket`. */
export function engineServerFor(config: FixgConfig, logger: Logger): EngineServer | undefined {
  const endpoint = engineEndpointOf(config);
  if (endpoint === undefined) return undefined;
  const { socket, secret } = endpoint;
  return new EngineServer({
    socket,
    ...(secret !== undefined ? { secret } : {}),
    ...(config.store.type === "file" ? { journalDir: config.store.dir } : {}),
    // tuning.readSpinUs spins the engine socket's reads too (library_spin.ts: a spinning FIX socket
    // alone kept the event loop from seeing the library's frames in time).
    ...((config.tuning.readSpinUs ?? 0) > 0 ? { readSpinUs: config.tuning.readSpinUs } : {}),
    logger,
  });
}
