/**
 * Comparing a received message with an expected (`E`) line: the same fields in the same order;
 * BodyLength (9) and CheckSum (10) are left out on both sides (the framer has already checked them);
 * timestamps are matched by pattern; everything else must be equal byte for byte. Strict mode
 * (`strictExpectedFields` + `compareFields(..., { strict: true })`) compares every field, 9 and 10
 * by pattern in their places, and only the time fields by pattern.
 */
import { parseTimestampString } from "../codec/timestamps.ts";
import { isTimePlaceholder, isTimestampShaped, type TextField } from "./message.ts";

/** Tags whose value is a timestamp chosen by the peer: SendingTime, OrigSendingTime, TransactTime. */
export const TIMESTAMP_TAGS: ReadonlySet<string> = new Set(["52", "122", "60"]);

/**
 * Strict mode: the tags whose values are times chosen by the peer (the reference runner's
 * `fields.fmt`: OrigTime, SendingTime, TransactTime, OrigSendingTime), matched by pattern.
 */
export const STRICT_TIME_TAGS: ReadonlySet<string> = new Set(["42", "52", "60", "122"]);

/** A field of an expected message: exact, or any valid UTCTimestamp (or, strict mode, 9 and 10 by pattern). */
export interface ExpectedField {
  tag: string;
  value: string;
  /** Matched by pattern: any valid UTCTimestamp passes. */
  timestamp: boolean;
  /** Strict mode: BodyLength (any whole number) or CheckSum (three digits), matched by pattern. */
  pattern?: "length" | "checksum";
}

/**
 * Strict mode (`fixg conformance --strict`, the reference definitions' rules): every field of the E
 * line, in order, 8, 9 and 10 included; BodyLength (9) is expected right after BeginString and
 * CheckSum (10) last even when the line leaves them out (the reference runner fills them in), and
 * they match by pattern (`\d+`, `\d{3}`); time values match by pattern (any valid UTCTimestamp): the
 * fields 42, 52, 60, 122 and any value written as `<TIME>`, `<TIME+n>`, `<TIME-n>`; every other
 * field must be equal byte for byte (a timestamp-shaped value in another tag too).
 */
export function strictExpectedFields(fields: readonly TextField[]): ExpectedField[] {
  const out: ExpectedField[] = [];
  for (const f of fields) {
    if (f.tag === "9") out.push({ tag: "9", value: f.value, timestamp: false, pattern: "length" });
    else if (f.tag === "10") out.push({ tag: "10", value: f.value, timestamp: false, pattern: "checksum" });
    else {
      const timestamp = STRICT_TIME_TAGS.has(f.tag) || isTimePlaceholder(f.value);
      out.push({ tag: f.tag, value: f.value, timestamp });
    }
  }
  if (!out.some((f) => f.tag === "9")) {
    const i8 = out.findIndex((f) => f.tag === "8");
    out.splice(i8 + 1, 0, { tag: "9", value: "", timestamp: false, pattern: "length" });
  }
  if (!out.some((f) => f.tag === "10")) {
    out.push({ tag: "10", value: "", timestamp: false, pattern: "checksum" });
  }
  return out;
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
  if (f.pattern !== undefined && f.value === "") {
    return `${f.tag}=<${f.pattern === "length" ? "BodyLength" : "CheckSum"}>`;
  }
  return `${f.tag}=${f.value}`;
}

/**
 * Compares; undefined when the received fields match the expected ones. Default mode leaves 9 and 10
 * out of the received message; `strict` compares every received field (use `strictExpectedFields`).
 */
export function compareFields(
  expected: readonly ExpectedField[],
  received: readonly TextField[],
  options: { strict?: boolean } = {},
): Mismatch | undefined {
  const got = options.strict ? received : received.filter((f) => f.tag !== "9" && f.tag !== "10");
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
    if (e.pattern !== undefined) {
      const ok = e.pattern === "length" ? /^\d+$/.test(r.value) : /^\d{3}$/.test(r.value);
      if (!ok) {
        return {
          position,
          tag: tagNumber(e.tag),
          expected: et,
          received: rt,
          reason: `tag ${e.tag}: expected ${
            e.pattern === "length" ? "a whole number" : "three digits"
          }, received ${rt}`,
        };
      }
      continue;
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
