/**
 * The echo application: the standard test counterparty. Every supported application message is
 * sent back with the same MsgType and body; the header is rebuilt by the session, PossDupFlag (43)
 * and OrigSendingTime (122) are dropped, PossResend (97) is kept. A NewOrderSingle with PossResend=Y
 * whose ClOrdID was already seen in this logon session is not echoed (FIX test case 19).
 *
 * With the session's dictionary, the body comes back in the QuickFIX family's order (its echo copies
 * the message into a FieldMap): top-level fields in ascending tag order, each repeating group kept
 * whole at the place of its NumInGroup tag, entries as received. Without one, the received order.
 *
 * The ClOrdIDs seen are remembered in two generations of at most SEEN_GENERATION each: at least the
 * last SEEN_GENERATION ClOrdIDs of a session are always known, and memory stays bounded however long
 * the session runs (before, every ClOrdID of the logon was kept).
 */
import { type Field, type MessageView, Tag } from "../../codec/mod.ts";
import { DATA_LENGTH_TAGS } from "../../codec/tags.ts";
import type { Dictionary } from "../../dictionary/model.ts";
import type { Application, SessionHandle } from "../application.ts";

/** Message types the echo app handles by default: NewOrderSingle, SecurityDefinition, Email. */
export const ECHO_DEFAULT_MSG_TYPES: ReadonlySet<string> = new Set(["D", "d", "C"]);

/** Header and trailer tags the session writes itself (not copied from the received message). */
const NOT_COPIED = new Set([
  8,
  9,
  35,
  10,
  34,
  49,
  56,
  52,
  43,
  122,
  50,
  57,
  115,
  128,
  116,
  129,
  142,
  143,
  144,
  145,
  369,
  1128,
  1129,
]);

/** ClOrdIDs per generation of the seen set. */
const SEEN_GENERATION = 65_536;

/** How bodyOf treats a tag: copy as a string, skip, or copy as bytes (a data field). */
const COPY = 0;
const SKIP = 1;
const DATA = 2;
const KIND_LIMIT = 8192;
/** Kinds of tags below KIND_LIMIT: an array read per field instead of two Set lookups. */
const KINDS = new Uint8Array(KIND_LIMIT);
for (let t = 0; t < KIND_LIMIT; t++) KINDS[t] = kindOf(t);

function kindOf(tag: number): number {
  if (NOT_COPIED.has(tag) || tag < 0) return SKIP;
  return DATA_LENGTH_TAGS.has(tag) ? DATA : COPY;
}

/**
 * ClOrdIDs seen on one session's logon: the current generation and the one before, as plain arrays
 * (a push per order). The Set for lookups is built only when a PossResend=Y order asks (rare), and
 * kept up to date from then on until the generation rolls over.
 */
class SeenIds {
  current: string[] = [];
  previous: string[] = [];
  index: Set<string> | undefined;
  has(id: string): boolean {
    if (this.index === undefined) this.index = new Set([...this.previous, ...this.current]);
    return this.index.has(id);
  }
  add(id: string): void {
    this.current.push(id);
    this.index?.add(id);
    if (this.current.length >= SEEN_GENERATION) {
      this.previous = this.current;
      this.current = [];
      this.index = undefined;
    }
  }
}

/** Creates an echo application; with `dictionary`, bodies are echoed in ascending tag order (see above). */
export function echoApp(dictionary?: Dictionary): Application {
  const seenClOrdIds = new Map<string, SeenIds>();
  // The session of the last message and its set: one Map lookup saved per message.
  let lastKey = "";
  let lastSeen: SeenIds | undefined;
  return {
    onLogon(s: SessionHandle) {
      const seen = new SeenIds();
      seenClOrdIds.set(s.key, seen);
      if (lastKey === s.key) lastSeen = seen;
    },
    onMessage(view: MessageView, s: SessionHandle) {
      const type = view.msgType;
      if (type === "D") {
        const id = view.getString(Tag.ClOrdID) ?? "";
        let seen = lastKey === s.key ? lastSeen : undefined;
        if (seen === undefined) {
          seen = seenClOrdIds.get(s.key);
          if (!seen) seenClOrdIds.set(s.key, seen = new SeenIds());
          lastKey = s.key;
          lastSeen = seen;
        }
        if (view.getChar(Tag.PossResend) === "Y" && seen.has(id)) return;
        seen.add(id);
      }
      s.send({ msgType: type, fields: bodyOf(view, dictionary) });
    },
  };
}

/**
 * The fields of a message minus what the session writes itself; data fields keep their bytes. With a
 * dictionary that knows the message, in ascending tag order with repeating groups kept whole.
 */
export function bodyOf(view: MessageView, dictionary?: Dictionary): Field[] {
  const out: Field[] = [];
  let ascending = true;
  let last = -1;
  for (let i = 0; i < view.count; i++) {
    const tag = view.tagAt(i);
    const k = tag >= 0 && tag < KIND_LIMIT ? KINDS[tag]! : kindOf(tag);
    if (k === SKIP) continue;
    if (tag < last) ascending = false;
    last = tag;
    if (k === DATA) out.push([tag, view.buf.slice(view.valueStartAt(i), view.valueEndAt(i))]);
    else out.push([tag, view.stringAt(i)]);
  }
  if (ascending || dictionary === undefined) return out;
  const def = dictionary.messagesByType.get(view.msgType);
  if (def === undefined) return out;
  return sortedBody(out, def.groupsByCountTag);
}

/** Top-level fields by ascending tag; a group (its count tag and every entry) moves as one unit. */
function sortedBody(fields: Field[], groups: ReadonlyMap<number, { allTags: ReadonlySet<number> }>): Field[] {
  const units: Array<{ tag: number; at: number; fields: Field[] }> = [];
  for (let i = 0; i < fields.length;) {
    const tag = fields[i]![0];
    const g = groups.get(tag);
    let j = i + 1;
    if (g !== undefined) { while (j < fields.length && g.allTags.has(fields[j]![0])) j++; }
    units.push({ tag, at: i, fields: fields.slice(i, j) });
    i = j;
  }
  units.sort((a, b) => a.tag - b.tag || a.at - b.at);
  return units.flatMap((u) => u.fields);
}
