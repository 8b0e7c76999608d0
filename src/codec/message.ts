/**
 * A FIX message as data (`FixMessage`: MsgType and `[tag, value]` fields) and the builders' form of it
 * (`BuiltMessage`: the builder's input, written field by field into a `FieldSink` on demand, so the
 * encoder's fast path never makes the field list). The Encoder (encoder.ts) is a FieldSink.
 */
import { formatTimestamp } from "./timestamps.ts";

/** A field value as callers give it: strings as they are, numbers as integers or decimals, booleans as Y/N, bytes as data. */
export type FieldValue = string | number | boolean | Uint8Array;

/** One field: tag and value. */
export type Field = readonly [tag: number, value: FieldValue];

/**
 * A FIX message as data: MsgType plus fields in order (header fields other than 8, 9, 35 and 10
 * may be included; `encodeMessage` puts them first). Repeating groups are their fields in order.
 */
export interface FixMessage {
  msgType: string;
  fields: Field[];
  /**
   * Optional fast path of messages made by fixg's builders (BuiltMessage): writes the body fields
   * (the same, in the same order, as `fields`) straight into `out` and returns true. Returns false
   * once `fields` has been read (the list may have been changed since); the caller encodes `fields`.
   */
  writeBody?(out: FieldSink): boolean;
}

/** Counts approximate bytes per field: 6 for "tag=" and SOH, the value's length (12 for a number). */
const SIZE_SINK = {
  n: 0,
  field(_tag: number, value: FieldValue): void {
    this.n += 6 +
      (typeof value === "string" ? value.length : value instanceof Uint8Array ? value.length : 12);
  },
  timestamp(_tag: number, _epochMs: number): void {
    this.n += 6 + 21;
  },
};

/** The last counted body size per builder writer (see BuiltMessage.estimateBytes). */
// deno-lint-ignore no-explicit-any
const SIZE_HINTS = new Map<(data: any, out: FieldSink) => void, { bytes: number; uses: number }>();
/** Messages one count stands for. */
const SIZE_HINT_USES = 64;

/** Where fields can be written one by one: an Encoder, or a collector making a Field list. */
export interface FieldSink {
  field(tag: number, value: FieldValue): unknown;
  /** A UTCTimestamp field with milliseconds (the text `formatTimestamp(epochMs)`). */
  timestamp(tag: number, epochMs: number): unknown;
}

/**
 * Writes a message's fields into `sink`, in order: a builder's straight from its data (its field list
 * is not made, so its encoding fast path stays; its timestamps arrive through `sink.timestamp`), any
 * other message's from its list. For code that reads a few fields of every message sent.
 */
export function forEachField(message: FixMessage, sink: FieldSink): void {
  if (message.writeBody?.(sink) === true) return;
  const f = message.fields;
  for (let i = 0; i < f.length; i++) sink.field(f[i]![0], f[i]![1]);
}

/** A FieldSink that collects the fields as a list (timestamps as their text). */
function listSink(list: Field[]): FieldSink {
  return {
    field: (tag, value) => list.push([tag, value]),
    timestamp: (tag, epochMs) => list.push([tag, formatTimestamp(epochMs)]),
  };
}

/**
 * A message from a builder that keeps the builder's input and writes its fields on demand: straight
 * into the encoder when it is sent (no array per field: the hot path allocates two objects per
 * message instead of one per field), or as a Field list the first time `fields` is read.
 */
export class BuiltMessage<T> implements FixMessage {
  #fields: Field[] | undefined;
  constructor(
    readonly msgType: string,
    /** The builder's input (a copy: later changes to the caller's object do not reach the message). */
    readonly data: T,
    readonly write: (data: T, out: FieldSink) => void,
  ) {}

  get fields(): Field[] {
    if (this.#fields === undefined) {
      const list: Field[] = [];
      this.write(this.data, listSink(list));
      this.#fields = list;
    }
    return this.#fields;
  }

  set fields(list: Field[]) {
    this.#fields = list;
  }

  writeBody(out: FieldSink): boolean {
    if (this.#fields !== undefined) return false;
    this.write(this.data, out);
    return true;
  }

  /**
   * Approximate encoded size of the body (as `estimateBytes` counts a field list), without making the
   * list. Messages of one builder are about the same size: the count made for one of them stands for
   * the next SIZE_HINT_USES (a queue's byte accounting needs no more, and counting costs a pass over
   * the fields).
   */
  estimateBytes(): number {
    if (this.#fields !== undefined) return -1;
    const hint = SIZE_HINTS.get(this.write);
    if (hint !== undefined && hint.uses < SIZE_HINT_USES) {
      hint.uses++;
      return hint.bytes;
    }
    SIZE_SINK.n = 0;
    this.write(this.data, SIZE_SINK);
    if (hint !== undefined) {
      hint.bytes = SIZE_SINK.n;
      hint.uses = 1;
    } else SIZE_HINTS.set(this.write, { bytes: SIZE_SINK.n, uses: 1 });
    return SIZE_SINK.n;
  }

  /** The plain-data form ({msgType, fields}), for comparisons and serialisation. */
  toJSON(): { msgType: string; fields: Field[] } {
    return { msgType: this.msgType, fields: this.fields };
  }
}
