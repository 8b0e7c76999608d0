/**
 * Everything an operator needs around a running gateway, in one place for `fixg run` (and any
 * command that runs the engine): the admin endpoint, metrics, hot reload on SIGHUP and file change,
 * the kill switch on SIGUSR1, and the process knobs with their reports.
 */
import type { BuildOptions } from "../engine/build.ts";
import type { FixgConfig } from "../engine/config.ts";
import type { Gateway } from "../engine/gateway.ts";
import type { Logger } from "../engine/log.ts";
import { EventLoopDelayMonitor } from "../metrics/process.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import type { EffectReport } from "../sys/types.ts";
import { AdminServer } from "./admin.ts";
import { applyProcessKnobs } from "./effective.ts";
import { gatewayRegistry } from "./metrics.ts";
import { logReload, reloadGateway, type ReloadOutcome, ReloadTrigger } from "./reload.ts";

/** Options of `Operations.start`. */
export interface OperationsOptions {
  config: FixgConfig;
  logger: Logger;
  /** Reads the config again (file plus flags) for a reload; without it there is no reload. */
  load?: () => Promise<FixgConfig>;
  /** Passed to the session builder on reload (application, output). */
  buildOptions?: BuildOptions;
  /** Listen to SIGHUP (reload) and SIGUSR1 (kill switch); default true. */
  signals?: boolean;
}

/** The operations layer of one running gateway. */
export class Operations {
  readonly gateway: Gateway;
  readonly registry: MetricsRegistry;
  readonly eventLoop = new EventLoopDelayMonitor();
  admin: AdminServer | undefined;
  /** The config in force (after reloads). */
  config: FixgConfig;
  /** Reports of the process knobs applied at start. */
  processKnobs: EffectReport[] = [];
  readonly #o: OperationsOptions;
  #trigger: ReloadTrigger | undefined;
  #kill: (() => void) | undefined;
  #hup: (() => void) | undefined;

  private constructor(gw: Gateway, o: OperationsOptions) {
    this.gateway = gw;
    this.#o = o;
    this.config = o.config;
    this.registry = gatewayRegistry(gw, {
      eventLoop: this.eventLoop,
      tuning: () => [...this.processKnobs, ...gw.tuningReports()],
    });
  }

  /** Starts the admin endpoint (when configured), reload triggers and signals; the gateway must be started. */
  static async start(gw: Gateway, o: OperationsOptions): Promise<Operations> {
    const ops = new Operations(gw, o);
    const log = o.logger;
    ops.processKnobs = applyProcessKnobs(o.config, gw.runners().flatMap((r) => r.ioBuffers()));
    for (const r of ops.processKnobs) {
      const text = `${r.knob}: requested ${JSON.stringify(r.requested)}, effective ${
        JSON.stringify(r.effective)
      }${r.warning ? ` (${r.warning})` : ""}`;
      if (r.ok) log.info("tuning", text);
      else log.warn("tuning", text);
    }
    ops.eventLoop.start();
    const admin = o.config.admin;
    if (admin?.port !== undefined) {
      ops.admin = new AdminServer(gw, {
        host: admin.host,
        port: admin.port,
        token: () => ops.config.admin?.token,
        // The name the endpoint is bound to is allowed as well.
        allowedHosts: () => [...(ops.config.admin?.allowedHosts ?? []), ops.config.admin?.host ?? ""],
        registry: ops.registry,
        logger: log,
        ...(o.load ? { reload: () => ops.reload("admin request") } : {}),
      });
      await ops.admin.start();
      log.info(
        "admin",
        `admin endpoint on http://${ops.admin.host}:${ops.admin.port} (metrics, health, ready${
          admin.token ? ", operator actions" : "; operator actions off: no admin.token"
        })`,
      );
    }
    if (o.load) {
      // The debounce of file changes runs on the gateway's scheduler (a test's manual one too).
      ops.#trigger = new ReloadTrigger(async (trigger) => {
        await ops.reload(trigger);
      }, gw.scheduler);
      if (o.signals !== false) ops.#trigger.listenSignal();
      if (o.config.reload.watch) {
        const files = watchedFiles(o.config);
        if (files.length > 0) ops.#trigger.watch(files);
      }
    }
    if (!o.load && o.signals !== false) {
      // Without a listener SIGHUP would end the process; with nothing to reload it only says so.
      ops.#hup = () =>
        log.warn("reload", "SIGHUP: sessions come from flags, there is no config file to reload");
      Deno.addSignalListener("SIGHUP", ops.#hup);
    }
    if (o.signals !== false) {
      ops.#kill = () => {
        log.error("kill-switch", "SIGUSR1 received");
        gw.engageKillSwitch("SIGUSR1");
      };
      Deno.addSignalListener("SIGUSR1", ops.#kill);
    }
    return ops;
  }

  /** Reads the config again and applies what can change; logs the outcome. */
  async reload(trigger: string): Promise<ReloadOutcome> {
    let next: FixgConfig;
    try {
      next = await this.#o.load!();
    } catch (e) {
      const o: ReloadOutcome = {
        ok: false,
        applied: [],
        needsRestart: [],
        error: e instanceof Error ? e.message : String(e),
        config: this.config,
      };
      logReload(this.#o.logger, o, trigger);
      return o;
    }
    const o = await reloadGateway(
      this.gateway,
      this.config,
      next,
      this.#o.logger,
      this.#o.buildOptions ?? {},
    );
    if (o.ok) this.config = o.config;
    logReload(this.#o.logger, o, trigger);
    return o;
  }

  /** Stops the admin endpoint, watchers and signal handlers (the gateway is stopped by its owner). */
  async stop(): Promise<void> {
    this.#trigger?.stop();
    if (this.#kill) Deno.removeSignalListener("SIGUSR1", this.#kill);
    if (this.#hup) Deno.removeSignalListener("SIGHUP", this.#hup);
    this.eventLoop.stop();
    await this.admin?.stop();
  }
}

/** The config file and every TLS file it names (certificate rotation triggers a reload too). */
function watchedFiles(c: FixgConfig): string[] {
  const files: string[] = [];
  try {
    if (Deno.statSync(c.file).isFile) files.push(c.file);
  } catch {
    // Sessions from flags only: nothing to watch.
  }
  for (const s of c.sessions) {
    const t = s.tls as Record<string, unknown> | undefined;
    for (const k of ["cert", "key", "ca"]) if (typeof t?.[k] === "string") files.push(t[k] as string);
  }
  return [...new Set(files)];
}
