/**
 * simulate-lp's ackOnly window keeps ClOrdIDs as bytes (WindowIds), the session's IdMap as strings: a
 * ClOrdID with bytes above 127 (Latin-1 text, UTF-8 text, 40 and 41 bytes on the wire) is the same id in
 * both. Its acknowledgement echoes its bytes; it is a duplicate while in the window and once it moved to
 * the map (canceled); a status request and a cancel find it either way; a different id that shares its
 * characters below 128 is not it. Answers as before WindowIds (22577c6): checked against the base with a
 * throwaway differential of random sequences over the same ids.
 */
import assert from "node:assert/strict";
import { LpSimulator } from "../../src/app/lp/mod.ts";
import { encodeMessage, Encoder, type FixMessage, MessageView } from "../../src/codec/mod.ts";
import { get, msg } from "./helpers.ts";
import { cxl, messages, nos, START, sumER, testConfig } from "./lp_helpers.ts";

const T = START + 10;
const enc = new Encoder();

/** The wire bytes of ClOrdID (11) in a message the simulator sent. */
function clOrdIdBytes(m: FixMessage): number[] {
  const v = MessageView.parse(encodeMessage(enc, "FIX.4.4", m));
  const i = v.indexOf(11);
  return [...v.buf.subarray(v.valueStartAt(i), v.valueEndAt(i))];
}

/** The bytes a ClOrdID written by the test's encoder has on the wire (chars above 255 as UTF-8). */
function wire(id: string): number[] {
  return [...id].flatMap((c) =>
    c.charCodeAt(0) <= 0xff ? [c.charCodeAt(0)] : [...new TextEncoder().encode(c)]
  );
}

const status = (cl: string) => msg("H", [[11, cl], [790, "S1"], [55, "TEST"], [54, "1"]]);

Deno.test("ackOnly window: ClOrdIDs with bytes above 127 (Latin-1, UTF-8, 40 and 41 bytes) are one id in the window and in the map", () => {
  const sim = new LpSimulator(
    testConfig((c) => {
      c.behaviours = [{ ackOnly: true }];
      c.orders.ackOnlyWindow = 8;
    }),
    START,
  );
  sim.onLogon("A", "CLIENT_A", START);
  const ids = [
    "é1", // one byte E9
    "\xff\xfe", // bytes FF FE
    "€x", // UTF-8 E2 82 AC, then x: three Latin-1 characters as decoded
    "K".repeat(37) + "€", // 40 bytes: kept as bytes
    "K".repeat(38) + "€", // 41 bytes: kept as a string
  ];
  const seen: string[] = [];
  for (const id of ids) {
    const ack = messages(sim.onMessage("A", nos(id, "1", 10, "100.01"), T))[0]!;
    assert.equal(get(ack, 150), "0", id);
    assert.deepEqual(clOrdIdBytes(ack), wire(id), `ack of ${JSON.stringify(id)} echoes its bytes`);
    const decoded = get(ack, 11)!; // the id as the simulator read it (one character per byte)
    assert.equal(decoded.length, wire(id).length);
    seen.push(decoded);
    assert.equal(sim.order("A", decoded)?.clOrdId, decoded);
  }
  for (const [i, id] of ids.entries()) {
    // In the window (or the map, for 41 bytes): a duplicate, found by status.
    const dup = messages(sim.onMessage("A", nos(id, "2", 5, "100.02"), T))[0]!;
    assert.deepEqual([get(dup, 150), get(dup, 103)], ["8", "6"], `duplicate ${JSON.stringify(id)}`);
    assert.deepEqual(clOrdIdBytes(dup), wire(id));
    const st = messages(sim.onMessage("A", status(id), T))[0]!;
    assert.deepEqual([get(st, 150), get(st, 39)], ["I", "0"], `status ${JSON.stringify(id)}`);
    assert.deepEqual(clOrdIdBytes(st), wire(id));
    // Canceled: the id moves to the map as a string, still the same id.
    const done = messages(sim.onMessage("A", cxl(`x${i}`, id), T));
    assert.deepEqual(done.map(sumER), [`4/4 x${i} 0/0 @0`], `cancel ${JSON.stringify(id)}`);
    const again = messages(sim.onMessage("A", nos(id, "1", 1, "100.01"), T))[0]!;
    assert.deepEqual(
      [get(again, 150), get(again, 103)],
      ["8", "6"],
      `duplicate after cancel ${JSON.stringify(id)}`,
    );
    const st2 = messages(sim.onMessage("A", status(id), T))[0]!;
    assert.deepEqual([get(st2, 150), get(st2, 39), get(st2, 41)], ["I", "4", seen[i]]);
    assert.deepEqual(clOrdIdBytes(st2), wire(`x${i}`));
  }
  // Same characters below 128, other bytes: other ids.
  for (const id of ["e1", "\xfe\xff", "€y", "K".repeat(37) + "£"]) {
    const ack = messages(sim.onMessage("A", nos(id, "1", 10, "100.01"), T))[0]!;
    assert.equal(get(ack, 150), "0", `${JSON.stringify(id)} is a new id`);
  }
});
