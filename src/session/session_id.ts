/**
 * Session identity: one definition used by the gateway (finding the session of an inbound Logon),
 * the config check (duplicate sessions), hot reload (matching old and new sessions) and the store
 * (the key a session's journal is kept under).
 *
 * A session is identified, from our side, by BeginString, our SenderCompID and SenderSubID, their
 * TargetCompID and TargetSubID, and a qualifier (a local name that is never on the wire, to tell
 * apart sessions that have the same CompIDs). Location IDs are carried on every message we send but
 * are not part of the identity.
 */
import { type MessageView, Tag } from "../codec/mod.ts";

/** Identifies a session from our side: BeginString, our SenderCompID, their TargetCompID (and sub IDs). */
export interface SessionId {
  beginString: string;
  senderCompId: string;
  targetCompId: string;
  senderSubId?: string;
  targetSubId?: string;
  senderLocationId?: string;
  targetLocationId?: string;
  /** Qualifier to tell apart two sessions with the same CompIDs. */
  qualifier?: string;
}

/** The value that matches anything in a dynamic-session template. */
export const WILDCARD = "*";

/**
 * A stable string key of a session: "FIX.4.4:TW->ISLD", with sub IDs ("FIX.4.4:TW/DESK->ISLD/T1")
 * and the qualifier ("…#primary") appended when set. Stores keep a session's data under this key.
 */
export function sessionKey(id: SessionId): string {
  let k = `${id.beginString}:${id.senderCompId}`;
  if (id.senderSubId) k += `/${id.senderSubId}`;
  k += `->${id.targetCompId}`;
  if (id.targetSubId) k += `/${id.targetSubId}`;
  if (id.qualifier) k += `#${id.qualifier}`;
  return k;
}

/** True when two ids name the same session (same key: location IDs are not part of the identity). */
export function sameSession(a: SessionId, b: SessionId): boolean {
  return sessionKey(a) === sessionKey(b);
}

/**
 * The session id, from our side, of a message the counterparty sent (a Logon): their SenderCompID
 * and SenderSubID are our target, their TargetCompID and TargetSubID ours. No qualifier (it is not
 * on the wire); empty values count as absent.
 */
export function sessionIdFromInbound(view: MessageView): SessionId {
  const id: SessionId = {
    beginString: view.getString(Tag.BeginString) ?? "",
    senderCompId: view.getString(Tag.TargetCompID) ?? "",
    targetCompId: view.getString(Tag.SenderCompID) ?? "",
  };
  const ourSub = view.getString(Tag.TargetSubID);
  const theirSub = view.getString(Tag.SenderSubID);
  if (ourSub) id.senderSubId = ourSub;
  if (theirSub) id.targetSubId = theirSub;
  return id;
}

/**
 * A session id from a config entry (YAML session or `defaults:` merged in): only string values
 * count, so a half-checked entry still gives the key it would have.
 */
export function sessionIdOf(e: Record<string, unknown>): SessionId {
  const str = (k: string) => (typeof e[k] === "string" ? e[k] as string : "");
  const id: SessionId = {
    beginString: str("beginString"),
    senderCompId: str("senderCompId"),
    targetCompId: str("targetCompId"),
  };
  for (const k of ["senderSubId", "targetSubId", "qualifier"] as const) {
    if (str(k) !== "") id[k] = str(k);
  }
  return id;
}

/** True when `id` is a dynamic-session template (its targetCompId is "*"). */
export function isTemplate(id: SessionId): boolean {
  return id.targetCompId === WILDCARD;
}

/** One identity field of a template against the incoming value: "*" matches anything, else equal (absent = ""). */
function fieldMatches(template: string | undefined, value: string | undefined): boolean {
  return template === WILDCARD || (template ?? "") === (value ?? "");
}

const IDENTITY_FIELDS = [
  "beginString",
  "senderCompId",
  "senderSubId",
  "targetCompId",
  "targetSubId",
] as const;

/**
 * True when an incoming id (from a Logon) matches a template: every identity field of the template
 * is either "*" or equal to the incoming one. A template with a sub ID compares both sub IDs (one it
 * leaves out must be absent); a template without sub IDs ignores them, as `findForLogon` does for a
 * session configured without them. The qualifier is not compared (it is not on the wire).
 */
export function matchesTemplate(template: SessionId, incoming: SessionId): boolean {
  const subs = template.senderSubId !== undefined || template.targetSubId !== undefined;
  for (const f of IDENTITY_FIELDS) {
    if (!subs && (f === "senderSubId" || f === "targetSubId")) continue;
    if (!fieldMatches(template[f], incoming[f])) return false;
  }
  return true;
}

/** The id of the session a template creates for an incoming id: "*" fields take the incoming values. */
export function instantiate(template: SessionId, incoming: SessionId): SessionId {
  const id: SessionId = { ...template };
  for (const f of IDENTITY_FIELDS) {
    if (template[f] !== WILDCARD) continue;
    const v = incoming[f];
    if (v) id[f] = v;
    else if (f === "senderSubId" || f === "targetSubId") delete id[f];
    else id[f] = "";
  }
  return id;
}

/**
 * The session id a key (`sessionKey`) stands for, or undefined when the text is no such key. A key is
 * read as `BEGIN:SENDER[/SUB]->TARGET[/SUB][#QUALIFIER]`; one whose CompIDs hold "/", "->" or "#"
 * reads ambiguously, and only a reading that gives the same key back is returned.
 */
export function sessionIdOfKey(key: string): SessionId | undefined {
  const m = /^([^:]+):([^/]*?)(?:\/(.+?))?->([^/#]*)(?:\/([^#]+))?(?:#(.+))?$/.exec(key);
  if (m === null) return undefined;
  const id: SessionId = { beginString: m[1]!, senderCompId: m[2]!, targetCompId: m[4]! };
  if (m[3] !== undefined) id.senderSubId = m[3];
  if (m[5] !== undefined) id.targetSubId = m[5];
  if (m[6] !== undefined) id.qualifier = m[6];
  return sessionKey(id) === key ? id : undefined;
}

/**
 * The first of `templates` that makes the dynamic session `key` (the session a Logon matching it
 * would create has that key), with the id of that session; undefined when none does. A cluster's
 * gateway takes a dynamic session moved to it by an operator from such a template (docs/ha.md).
 */
export function templateMaking<T>(
  templates: Iterable<T>,
  idOf: (t: T) => SessionId,
  key: string,
): { template: T; id: SessionId } | undefined {
  const wanted = sessionIdOfKey(key);
  if (wanted === undefined) return undefined;
  const { qualifier: _q, ...incoming } = wanted;
  for (const t of templates) {
    const tid = idOf(t);
    if (!isTemplate(tid) || !matchesTemplate(tid, incoming)) continue;
    const id = instantiate(tid, incoming);
    if (sessionKey(id) === key) return { template: t, id };
  }
  return undefined;
}

/** What `findForLogon` decided. */
export type LogonMatch<T> =
  | { kind: "found"; item: T }
  | { kind: "ambiguous"; keys: string[] }
  | { kind: "none" };

/**
 * Finds the configured session an inbound Logon's id (no qualifier) is for, among `candidates`:
 *  1. a session whose id, qualifier aside, equals the incoming one (sub IDs included);
 *  2. else a session configured without sub IDs whose BeginString and CompIDs match (the peer's
 *     sub IDs are then routing information of its messages, not part of the session).
 * Within a rule, more than one candidate (sessions told apart by a qualifier only) is ambiguous.
 */
export function findForLogon<T>(
  incoming: SessionId,
  candidates: Iterable<T>,
  idOf: (item: T) => SessionId,
): LogonMatch<T> {
  const key = sessionKey({ ...incoming, qualifier: "" });
  const bare = sessionKey({
    beginString: incoming.beginString,
    senderCompId: incoming.senderCompId,
    targetCompId: incoming.targetCompId,
  });
  const exact: T[] = [];
  const loose: T[] = [];
  for (const c of candidates) {
    const id = idOf(c);
    if (isTemplate(id)) continue;
    const k = sessionKey({ ...id, qualifier: "" });
    if (k === key) exact.push(c);
    else if (!id.senderSubId && !id.targetSubId && k === bare) loose.push(c);
  }
  for (const list of [exact, loose]) {
    if (list.length === 1) return { kind: "found", item: list[0]! };
    if (list.length > 1) return { kind: "ambiguous", keys: list.map((c) => sessionKey(idOf(c))).sort() };
  }
  return { kind: "none" };
}
