/** Framer: chunk boundaries everywhere, garbage and garbled frames with reasons and offsets. */
import assert from "node:assert/strict";
import { Framer, type FramerOptions, fromReadable, type Garbled, toReadable } from "../../src/codec/mod.ts";
import { frame, NOS } from "./frames.ts";
import { Prng } from "./random_messages.ts";

const F1 = frame(NOS);
/** A Logon whose RawData holds SOH and a fake "8=FIX" header: only BodyLength can frame it. */
const F2 = frame("35=A|49=TW|56=ISLD|34=1|52=20261122-01:02:03.045|98=0|108=30|95=15|96=ab|8=FIX.4.4|9=|c");
const F3 = frame("35=0|49=TW|56=ISLD|34=3|52=20261122-01:02:03.045");

function concat(...parts: Array<Uint8Array | string>): Uint8Array {
  const bytes = parts.map((p) => typeof p === "string" ? fromReadable(p) : p);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

interface Collected {
  frames: string[];
  garbled: Garbled[];
  framer: Framer;
}

/** A framer that records (copies of) its frames as readable strings, and its garbled reports. */
function collector(options?: FramerOptions): Collected {
  const c: Collected = { frames: [], garbled: [], framer: undefined as unknown as Framer };
  c.framer = new Framer({
    onFrame: (buf, s, e) => c.frames.push(toReadable(buf, s, e)),
    onGarbled: (g) => c.garbled.push(g),
  }, options);
  return c;
}

function feed(stream: Uint8Array, cuts: number[], options?: FramerOptions): Collected {
  const c = collector(options);
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    c.framer.push(stream.subarray(at, cut));
    at = cut;
  }
  return c;
}

const STREAM = concat(F1, F2, F3);
const WANT = [toReadable(F1), toReadable(F2), toReadable(F3)];

Deno.test("three frames in one chunk, split at every position, and one byte at a time", () => {
  const whole = feed(STREAM, []);
  assert.deepEqual(whole.frames, WANT);
  assert.deepEqual(whole.garbled, []);
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const c = feed(STREAM, [cut]);
    assert.deepEqual(c.frames, WANT, `cut at ${cut}`);
    assert.deepEqual(c.garbled, [], `cut at ${cut}`);
    assert.equal(c.framer.buffered, 0);
  }
  const bytes = feed(STREAM, Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1));
  assert.deepEqual(bytes.frames, WANT);
  assert.deepEqual(bytes.garbled, []);
  assert.equal(bytes.framer.frames, 3);
});

Deno.test("two cuts at every pair of positions around frame boundaries", () => {
  const edges = [0, F1.length, F1.length + F2.length, STREAM.length];
  const near = new Set<number>();
  for (const e of edges) {
    for (let d = -12; d <= 12; d++) if (e + d > 0 && e + d < STREAM.length) near.add(e + d);
  }
  const points = [...near].sort((a, b) => a - b);
  for (const a of points) {
    for (const b of points) {
      if (b <= a) continue;
      const c = feed(STREAM, [a, b]);
      assert.deepEqual(c.frames, WANT, `cuts ${a},${b}`);
      assert.deepEqual(c.garbled, []);
    }
  }
});

Deno.test("random chunkings (seeded) of a long stream with garbage between frames", () => {
  const rng = new Prng(7);
  const parts: Array<Uint8Array | string> = [];
  const want: string[] = [];
  for (let k = 0; k < 60; k++) {
    const f = rng.pick([F1, F2, F3]);
    if (rng.chance(0.3)) parts.push(rng.pick(["junk", "\r\n", "8=FI", "||", "8=X"]));
    parts.push(f);
    want.push(toReadable(f));
  }
  const stream = concat(...parts);
  for (let run = 0; run < 200; run++) {
    const cuts: number[] = [];
    for (let at = rng.int(1, 40); at < stream.length; at += rng.int(1, run % 2 === 0 ? 8 : 400)) {
      cuts.push(at);
    }
    const c = feed(stream, cuts);
    assert.deepEqual(c.frames, want, `run ${run}`);
    assert.ok(c.garbled.every((g) => g.reason === "junk before BeginString"), `run ${run}`);
    assert.equal(c.framer.buffered, 0);
  }
});

Deno.test("garbage before, between and after frames is reported with its offset and length", () => {
  const stream = concat("hello", F1, "||junk", F3, "8=FI");
  const c = feed(stream, []);
  assert.deepEqual(c.frames, [toReadable(F1), toReadable(F3)]);
  assert.deepEqual(c.garbled, [
    { reason: "junk before BeginString", offset: 0, length: 5 },
    { reason: "junk before BeginString", offset: 5 + F1.length, length: 6 },
  ]);
  // "8=FI" may begin a frame: it is held back, not reported.
  assert.equal(c.framer.buffered, 4);
  c.framer.reset();
  assert.equal(c.framer.buffered, 0);
});

/** Replaces the text of field `tag=` in a readable frame (no checksum fix-up). */
function tamper(f: Uint8Array, from: string, to: string): Uint8Array {
  const s = toReadable(f);
  assert.ok(s.includes(from), from);
  return fromReadable(s.replace(from, to));
}

Deno.test("garbled frames: bad BodyLength, bad CheckSum, 9 and 35 misplaced; the next frame still comes", () => {
  const len = Number(/\|9=(\d+)\|/.exec(toReadable(F1))![1]);
  const cases: Array<[Uint8Array, Garbled["reason"]]> = [
    [tamper(F1, `|9=${len}|`, `|9=${len - 3}|`), "BodyLength mismatch: no CheckSum where BodyLength points"],
    [tamper(F1, `|9=${len}|`, `|9=${len + 3}|`), "BodyLength mismatch: no CheckSum where BodyLength points"],
    [tamper(F1, `|9=${len}|`, `|9=1x2|`), "BodyLength invalid"],
    [tamper(F1, `|9=${len}|`, `|9=|`), "BodyLength invalid"],
    [tamper(F1, "|49=TW|", "|49=TX|"), "CheckSum mismatch"],
    [tamper(F1, toReadable(F1).slice(-7), "10=2x4|"), "CheckSum malformed"],
    [
      tamper(F1, `8=FIX.4.4|9=${len}|35=D|49=TW|`, `8=FIX.4.4|9=${len}|49=TW|35=D|`),
      "MsgType missing or not the third field",
    ],
    [
      tamper(F1, `8=FIX.4.4|9=${len}|35=D|`, `8=FIX.4.4|35=D|9=${len}|`),
      "BodyLength missing or not the second field",
    ],
  ];
  for (const [bad, reason] of cases) {
    for (
      const cuts of [
        [],
        [bad.length - 2],
        Array.from({ length: bad.length + F3.length - 1 }, (_, i) => i + 1),
      ]
    ) {
      const c = feed(concat(bad, F3), cuts);
      assert.deepEqual(c.frames, [toReadable(F3)], `${reason} cuts=${cuts.length}`);
      assert.equal(c.garbled[0]!.reason, reason);
      assert.equal(c.garbled[0]!.offset, 0);
      // Cut inside the bad frame, the framer cannot know the rest belongs to it: the rest is junk.
      if (cuts.length === 0) assert.equal(c.garbled.length, 1, `${reason}: ${JSON.stringify(c.garbled)}`);
      assert.ok(c.garbled.slice(1).every((g) => g.reason === "junk before BeginString"));
      assert.equal(c.garbled.reduce((n, g) => n + g.length, 0), bad.length, reason);
      for (let k = 1; k < c.garbled.length; k++) {
        assert.equal(c.garbled[k]!.offset, c.garbled[k - 1]!.offset + c.garbled[k - 1]!.length);
      }
    }
  }
});

Deno.test("a BodyLength beyond maxMessageSize is garbled at once, without waiting for the bytes", () => {
  const c = feed(concat("8=FIX.4.4|9=999999|35=D|49=TW|"), [], { maxMessageSize: 4096 });
  assert.deepEqual(c.garbled, [{ reason: "BodyLength too large", offset: 0, length: 30 }]);
  assert.equal(c.framer.buffered, 0);
  c.framer.push(F3);
  assert.deepEqual(c.frames, [toReadable(F3)]);
});

Deno.test("skipChecksum accepts a frame with a wrong CheckSum", () => {
  const bad = tamper(F1, "|49=TW|", "|49=TX|");
  const c = feed(concat(bad, F3), [], { skipChecksum: true });
  assert.equal(c.frames.length, 2);
  assert.deepEqual(c.garbled, []);
});

Deno.test("junk that looks like the start of a frame does not swallow the frame after it", () => {
  for (
    const junk of ["8=X", "8=FI", "8=", "8=FIX", "8=FIX.4.4|9=124|35=D|49=TW", "8=FIX.4.4|9=5|35=D|10=000|"]
  ) {
    const c = feed(concat(F1, junk, F3, junk, F1), []);
    assert.deepEqual(c.frames, [toReadable(F1), toReadable(F3), toReadable(F1)], junk);
    assert.equal(c.garbled.length, 2, junk);
    assert.deepEqual(c.garbled.map((g) => g.offset), [F1.length, F1.length + junk.length + F3.length], junk);
  }
});

Deno.test("stream offsets of garbled stretches count every byte pushed since creation", () => {
  const c = collector();
  c.framer.push(F1);
  c.framer.push(fromReadable("xx"));
  c.framer.push(F3);
  const bad = tamper(F3, "|34=3|", "|34=4|");
  c.framer.push(bad.subarray(0, 10));
  c.framer.push(bad.subarray(10));
  assert.deepEqual(c.garbled, [
    { reason: "junk before BeginString", offset: F1.length, length: 2 },
    { reason: "CheckSum mismatch", offset: F1.length + 2 + F3.length, length: bad.length },
  ]);
});
