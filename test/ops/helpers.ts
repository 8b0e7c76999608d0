/** Helpers for operations tests: an order-acknowledging counterparty, gateways from YAML, log capture, HTTP. */
import { type Field, type MessageView, Tag } from "../../src/codec/mod.ts";
import type { Application, SessionHandle } from "../../src/engine/application.ts";
import { buildGateway, type BuildOptions } from "../../src/engine/build.ts";
import { type FixgConfig, parseConfig } from "../../src/engine/config.ts";
import type { Gateway } from "../../src/engine/gateway.ts";
import { loadConfig } from "../../src/engine/config.ts";
import { Logger, type LogLevel } from "../../src/engine/log.ts";
import { Operations } from "../../src/ops/operations.ts";
import { waitFor } from "../_helpers/mod.ts";

/** A liquidity provider in miniature: acknowledges each D (39=0) and confirms each F (39=4). */
export function lpApp(): Application {
  let exec = 0;
  return {
    onMessage(v: MessageView, s: SessionHandle) {
      const id = v.getString(Tag.ClOrdID) ?? "?";
      const common = (): Field[] => [[Tag.Symbol, v.getString(Tag.Symbol) ?? "IBM"], [
        Tag.Side,
        v.getString(Tag.Side) ?? "1",
      ]];
      if (v.msgType === "D") {
        s.send({
          msgType: "8",
          fields: [
            [Tag.OrderID, `X-${id}`],
            [Tag.ClOrdID, id],
            [17, `E${++exec}`],
            [150, "0"],
            [39, "0"],
            ...common(),
            [151, v.getString(38) ?? "0"],
            [14, 0],
            [6, 0],
          ],
        });
      } else if (v.msgType === "F") {
        const orig = v.getString(Tag.OrigClOrdID) ?? "?";
        s.send({
          msgType: "8",
          fields: [
            [Tag.OrderID, `X-${orig}`],
            [Tag.ClOrdID, id],
            [Tag.OrigClOrdID, orig],
            [17, `E${++exec}`],
            [150, "4"],
            [39, "4"],
            ...common(),
            [151, 0],
            [14, 0],
            [6, 0],
          ],
        });
      }
    },
  };
}

/** A valid FIX 4.4 NewOrderSingle body. */
export function newOrder(id: string, account = "ACC-7731"): { msgType: string; fields: Field[] } {
  return {
    msgType: "D",
    fields: [
      [Tag.ClOrdID, id],
      [Tag.Account, account],
      [Tag.Symbol, "IBM"],
      [Tag.Side, "1"],
      [60, "20260105-12:00:00.000"],
      [38, 100],
      [40, "1"],
    ],
  };
}

/** Log lines captured in memory. */
export class LogCapture {
  readonly lines: string[] = [];
  #waiting = new Set<(line: string) => void>();
  logger(level: LogLevel = "info", format: "json" | "text" = "json"): Logger {
    return new Logger({
      level,
      format,
      sink: (l) => {
        this.lines.push(l);
        for (const w of [...this.#waiting]) w(l);
      },
    });
  }
  /** Lines matching a pattern. */
  grep(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
  /**
   * The first line matching `re`, already logged or logged later (resolved by the logger's sink, no
   * polling); rejects naming `what` after `timeoutMs`.
   */
  waitLine(re: RegExp, what: string, timeoutMs = 5000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const on = (l: string) => {
        if (!re.test(l)) return;
        this.#waiting.delete(on);
        clearTimeout(timer);
        resolve(l);
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(on);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiting.add(on);
    });
  }
}

/** Parses YAML (no environment) and builds a started gateway. */
export async function startGateway(
  yaml: string,
  options: BuildOptions = {},
): Promise<{ gw: Gateway; config: FixgConfig }> {
  const config = parseConfig(yaml, "test.yaml", () => undefined);
  const gw = await buildGateway(config, options);
  await gw.start();
  return { gw, config };
}

/** A fetch against the admin endpoint; returns status and parsed JSON (or text). */
export async function http(
  base: string,
  path: string,
  o: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const init: RequestInit = { method: o.method ?? "GET", headers };
  if (o.body !== undefined) init.body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (metrics).
  }
  return { status: res.status, json, text, headers: res.headers };
}

/**
 * A reloadable acceptor (ISLD, TW) from a fixg.yaml written with `yaml` in a temp dir, its Operations
 * (no signals; `reload()` rereads the file), and a memory-store initiator (TW) logged on to it;
 * `initiatorExtra` is added to the initiator's session line (e.g. `, validation: { enabled: false }`).
 */
export async function startReloadable(
  yaml: string,
  o: { prefix: string; logger: Logger; initiatorExtra?: string },
) {
  const dir = await Deno.makeTempDir({ prefix: o.prefix });
  const file = `${dir}/fixg.yaml`;
  await Deno.writeTextFile(file, yaml);
  const config = await loadConfig(file);
  const gw = await buildGateway(config, { logger: o.logger, app: lpApp() });
  await gw.start();
  const ops = await Operations.start(gw, {
    config,
    logger: o.logger,
    load: () => loadConfig(file),
    signals: false,
    buildOptions: { app: lpApp() },
  });
  const ini = await startGateway(
    `store: { type: memory }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${gw.ports[0]}, senderCompId: TW, targetCompId: ISLD${
      o.initiatorExtra ?? ""
    } }
`,
    { logger: new LogCapture().logger("error") },
  );
  const client = ini.gw.runners()[0]!;
  const cleanup = async () => {
    await ops.stop();
    await ini.gw.stop();
    await gw.stop();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await waitFor(() => client.loggedOn, "logged on");
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, file, gw, ops, ini, client, server: gw.runners()[0]!, cleanup };
}
