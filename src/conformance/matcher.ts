/**
 * Comparing a received message with an expected (`E`) line: the same fields in the same order;
 * BodyLength (9) and CheckSum (10) are left out on both sides (the framer has already checked them);
 * timestamps are matched by pattern; everything else must be equal byte for byte.
 */
import { parseTimestampString } from "../codec/timestamps.ts";
import { isTimePlaceholder, isTimestampShaped, type TextField } from "./message.ts";

/** Tags whose value is a timestamp chosen by the peer: SendingTime, OrigSendingTime, TransactTime. */
export const TIMESTAMP_TAGS: ReadonlySet<string> = new Set(["52", "122", "60"]);

/** A field of an expected message: exact, or any valid UTCTimestamp. */
export interface ExpectedField {
  tag: string;
  value: string;
  /** Matched by pattern: any valid UTCTimestamp passes. */
  timestamp: boolean;
}

/** The first difference between an expected and a received message. */
export interface Mismatch {
  /** 1-based position among the compared fields (9 and 10 not counted). */
  position: number;
  /** The tag that differed: the expected one, or the received one when the received message has an extra field. */
  tag: number;
  /** The expected field as `tag=value` (undefined when the received message has an extra field). */
  expected: string | undefined;
  /** The received field as `tag=value` (undefined when the received message ended early). */
  received: string | undefined;
  /** One line saying what differed. */
  reason: string;
}

/** Turns the fields of an E line into expected fields: 9 and 10 dropped, timestamp fields marked. */
export function expectedFields(fields: readonly TextField[]): ExpectedField[] {
  const out: ExpectedField[] = [];
  for (const f of fields) {
    if (f.tag === "9" || f.tag === "10") continue;
    const timestamp = TIMESTAMP_TAGS.has(f.tag) || isTimePlaceholder(f.value) || isTimestampShaped(f.value);
    out.push({ tag: f.tag, value: f.value, timestamp });
  }
  return out;
}

/** Renders an expected field as written in a report (`52=<TIME>` for pattern fields given as placeholders). */
export function expectedText(f: ExpectedField): string {
  return `${f.tag}=${f.value}`;
}

/** Compares; undefined when the received fields match the expected ones. */
export function compareFields(
  expected: readonly ExpectedField[],
  received: readonly TextField[],
): Mismatch | undefined {
  const got = received.filter((f) => f.tag !== "9" && f.tag !== "10");
  const n = Math.max(expected.length, got.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const r = got[i];
    const position = i + 1;
    if (e === undefined) {
      const rt = `${r!.tag}=${r!.value}`;
      return {
        position,
        tag: tagNumber(r!.tag),
        expected: undefined,
        received: rt,
        reason: `unexpected extra field ${rt}`,
      };
    }
    const et = expectedText(e);
    if (r === undefined) {
      return {
        position,
        tag: tagNumber(e.tag),
        expected: et,
        received: undefined,
        reason: `missing field ${et}`,
      };
    }
    const rt = `${r.tag}=${r.value}`;
    if (r.tag !== e.tag) {
      return {
        position,
        tag: tagNumber(e.tag),
        expected: et,
        received: rt,
        reason: `field ${position}: expected tag ${e.tag} (${et}), received tag ${r.tag} (${rt})`,
      };
    }
    if (e.timestamp) {
      if (parseTimestampString(r.value) === undefined) {
        return {
          position,
          tag: tagNumber(e.tag),
          expected: et,
          received: rt,
          reason: `tag ${e.tag}: expected a valid UTCTimestamp, received ${rt}`,
        };
      }
      continue;
    }
    if (r.value !== e.value) {
      return {
        position,
        tag: tagNumber(e.tag),
        expected: et,
        received: rt,
        reason: `tag ${e.tag}: expected ${et}, received ${rt}`,
      };
    }
  }
  return undefined;
}

function tagNumber(tag: string): number {
  return /^\d+$/.test(tag) ? Number(tag) : -1;
}
