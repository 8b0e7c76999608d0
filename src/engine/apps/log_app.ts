/** The log application: prints every application message, decoded with field names, to stdout. */
import type { MessageView } from "../../codec/mod.ts";
import type { Dictionary } from "../../dictionary/model.ts";
import type { Application, SessionHandle } from "../application.ts";
import type { Logger } from "../log.ts";

/** Creates a log application; `dict` supplies field names and enum meanings when given. */
export function logApp(
  logger: Logger,
  dict?: Dictionary,
  out: (line: string) => void = (l) => console.log(l),
): Application {
  return {
    onLogon(s: SessionHandle) {
      out(`[${s.key}] logged on`);
    },
    onLogout(s: SessionHandle, reason: string) {
      out(`[${s.key}] logged out: ${reason}`);
    },
    onMessage(view: MessageView, s: SessionHandle) {
      const name = dict?.messagesByType.get(view.msgType)?.name ?? view.msgType;
      const parts: string[] = [];
      const redacted = logger.redactedMessage(view).split("|").filter((x) => x.length > 0);
      for (const f of redacted) {
        const eq = f.indexOf("=");
        const tag = Number(f.slice(0, eq));
        const v = f.slice(eq + 1);
        const fd = dict?.fieldsByTag.get(tag);
        const meaning = fd?.enums.get(v);
        parts.push(`${fd ? fd.name : tag}(${tag})=${v}${meaning ? ` [${meaning}]` : ""}`);
      }
      out(`[${s.key}] ${name} ${parts.join(" ")}`);
    },
  };
}
