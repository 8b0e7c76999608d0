/** The application's admin-message hooks: fromAdmin, toAdmin and onReject (src/engine/application.ts). */
import assert from "node:assert/strict";
import { MessageView, Tag } from "../../src/codec/mod.ts";
import { Encoder } from "../../src/codec/encoder.ts";
import { OutgoingAdminMessage } from "../../src/engine/admin_hooks.ts";
import type { Application, RejectedMessage, SessionHandle } from "../../src/engine/application.ts";
import { Gateway } from "../../src/engine/gateway.ts";
import { Logger } from "../../src/engine/log.ts";
import { startInitiator } from "../../src/engine/quick.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import type { MessageStore, SessionStore } from "../../src/store/types.ts";
import { frame, RawClient, startAcceptor, waitFor } from "./helpers.ts";

const quiet = () => new Logger({ level: "error" });

/** A memory store that lets the test read what the session stored. */
class PeekStore implements MessageStore {
  readonly inner = new MemoryMessageStore();
  readonly opened: SessionStore[] = [];
  async openSession(key: string, nowMs: number): Promise<SessionStore> {
    const s = await this.inner.openSession(key, nowMs);
    this.opened.push(s);
    return s;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function acceptor(
  app: Application,
  logonHook?: (v: MessageView) => boolean,
  store: MessageStore = new MemoryMessageStore(),
): Promise<Gateway> {
  return startAcceptor({
    gateway: { store, app },
    session: logonHook
      ? { logonHook: (v: MessageView) => logonHook(v) ? { accept: true } : { accept: false, reason: "bad" } }
      : {},
  });
}

const msg = (type: string, seq: number, fields = "") =>
  frame("FIX.4.4", type, `49=TW|56=ISLD|34=${seq}|52=<TIME>|${fields}`);
const logon = () => msg("A", 1, "98=0|108=30|");

/** The value of `tag` in a `|` frame string. */
function field(f: string, tag: number): string | undefined {
  return new RegExp(`\\|${tag}=([^|]*)\\|`).exec(f)?.[1];
}

Deno.test("fromAdmin: every inbound admin message taken in sequence, in order; not those the session rejects", async () => {
  const seen: string[] = [];
  const gw = await acceptor({
    fromAdmin(v) {
      seen.push(`${v.msgType}:${v.seqNum}`);
    },
    onMessage(v) {
      seen.push(`app ${v.msgType}:${v.seqNum}`);
    },
  });
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon());
  await waitFor(() => c.frames.length === 1, "logon reply");
  await c.send(msg("1", 2, "112=ping|"));
  await c.send(msg("0", 3));
  // A TestRequest without TestReqID is rejected (373=1): not handed over.
  await c.send(msg("1", 4));
  await c.send(msg("B", 5, "148=news|33=1|58=x|"));
  // SequenceReset-Reset takes no number: handed over as it arrives.
  await c.send(msg("4", 6, "36=10|"));
  // One that would lower the expected number is rejected (373=5): not handed over.
  await c.send(msg("4", 7, "36=3|"));
  await c.send(msg("5", 10));
  await waitFor(() => c.closed, "logout handshake and disconnect");
  assert.deepEqual(seen, ["A:1", "1:2", "0:3", "app B:5", "4:6", "5:10"]);
  await gw.stop();
});

Deno.test("toAdmin: fields set on outgoing admin messages are written (BodyLength and CheckSum recomputed) and stored", async () => {
  const store = new PeekStore();
  const gw = await acceptor(
    {
      toAdmin(m) {
        if (m.msgType === "A") {
          m.set(Tag.Text, "welcome");
          m.set(20001, "venue-tag");
        }
        if (m.msgType === "0") m.set(Tag.TestReqID, "replaced");
      },
    },
    undefined,
    store,
  );
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon());
  await waitFor(() => c.frames.length === 1, "logon reply");
  const reply = c.frames[0]!;
  assert.equal(field(reply, 35), "A");
  assert.equal(field(reply, 58), "welcome");
  assert.equal(field(reply, 20001), "venue-tag");
  // Ascending body: 58 before 98, 108; 20001 last.
  const tags = reply.split("|").filter((x) => x).map((x) => Number(x.split("=")[0]));
  assert.ok(tags.indexOf(58) < tags.indexOf(98) && tags.indexOf(108) < tags.indexOf(20001), reply);
  assert.equal(tags.at(-1), 10);
  await c.send(msg("1", 2, "112=abc|"));
  await waitFor(() => c.frames.length === 2, "heartbeat");
  assert.equal(field(c.frames[1]!, 112), "replaced");
  // The store keeps the messages as sent.
  const stored = await store.opened[0]!.getOutbound(1, 2);
  const asText = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll("\x01", "|");
  assert.deepEqual(stored.map((m) => asText(m.bytes)), [c.frames[0], c.frames[1]]);
  c.close();
  await gw.stop();
});

Deno.test("toAdmin on an initiator: Username/Password and a custom tag on the Logon reach the acceptor's logon check", async () => {
  let checked: Array<string | undefined> = [];
  const acc = await acceptor({}, (v) => {
    checked = [v.getString(Tag.Username), v.getString(Tag.Password), v.getString(9999)];
    return v.getString(Tag.Password) === "s3cret";
  });
  const logons: string[] = [];
  const ini = await startInitiator({
    port: acc.ports[0]!,
    senderCompId: "TW",
    targetCompId: "ISLD",
    logger: quiet(),
  }, {
    toAdmin(m) {
      if (m.msgType !== "A") return;
      m.set(Tag.Username, "trader1");
      m.set(Tag.Password, "s3cret");
      m.set(9999, "desk-7");
    },
    onLogon(s) {
      logons.push(s.key);
    },
  });
  await waitFor(() => logons.length === 1, "initiator logged on");
  assert.deepEqual(checked, ["trader1", "s3cret", "desk-7"]);
  await ini.stop();
  await acc.stop();
});

Deno.test("toAdmin's message: session-owned tags and SOH refused; a new body field goes in tag order", () => {
  const m = new OutgoingAdminMessage(frame("FIX.4.4", "0", "49=A|56=B|34=7|52=20260101-00:00:00.000|"));
  assert.throws(() => m.set(Tag.MsgSeqNum, 8), /tag 34 is written by the session/);
  assert.throws(() => m.set(58, "a\x01b"), /contains SOH/);
  assert.equal(m.changed, false);
  m.set(58, "hi");
  const v = MessageView.parse(m.build());
  assert.deepEqual(v.toPairs().map(([t]) => t), [8, 9, 35, 49, 56, 34, 52, 58, 10]);
  assert.equal(v.getString(58), "hi");
});

Deno.test("toAdmin that throws: logged, and the message goes out unchanged", async () => {
  const gw = await acceptor({
    toAdmin(m) {
      m.set(Tag.MsgSeqNum, 99);
    },
  });
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon());
  await waitFor(() => c.frames.length === 1, "logon reply");
  assert.equal(field(c.frames[0]!, 34), "1");
  assert.equal(gw.runners()[0]!.loggedOn, true);
  c.close();
  await gw.stop();
});

Deno.test("onReject: session Reject and BusinessMessageReject of application messages, with the ClOrdID as sent", async () => {
  const rejects: Array<Omit<RejectedMessage, "view"> & { viewType: string }> = [];
  let session: SessionHandle | undefined;
  const order = (id: string) => ({
    msgType: "D",
    fields: [[Tag.ClOrdID, id], [Tag.Symbol, "EUR/USD"], [Tag.Side, "1"], [Tag.OrderQty, 1000], [
      Tag.OrdType,
      "1",
    ]] as Array<
      [number, string | number]
    >,
  });
  const gw = await acceptor({
    onLogon(s) {
      session = s;
      s.send(order("ord-2"));
      s.send(order("ord-3"));
    },
    onReject(r) {
      const { view, ...rest } = r;
      rejects.push({ ...rest, viewType: view.msgType });
    },
  });
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon());
  await waitFor(() => c.frames.length === 3, "logon reply and two orders");
  assert.equal(field(c.frames[1]!, 11), "ord-2");
  // A Reject of the Logon reply (seq 1, an admin message): not the application's.
  await c.send(msg("3", 2, "45=1|58=about your logon|"));
  await c.send(msg("3", 3, "45=2|371=38|372=D|373=5|58=bad qty|"));
  await c.send(msg("j", 4, "45=3|372=D|379=ord-3|380=4|58=not authorized|"));
  await waitFor(() => rejects.length === 2, "two rejects");
  assert.deepEqual(rejects, [
    {
      msgType: "3",
      refSeqNum: 2,
      refMsgType: "D",
      refTagId: 38,
      reason: 5,
      text: "bad qty",
      businessRejectRefId: undefined,
      clOrdId: "ord-2",
      viewType: "3",
    },
    {
      msgType: "j",
      refSeqNum: 3,
      refMsgType: "D",
      refTagId: undefined,
      reason: 4,
      text: "not authorized",
      businessRejectRefId: "ord-3",
      clOrdId: "ord-3",
      viewType: "j",
    },
  ]);
  assert.ok(session);
  c.close();
  await gw.stop();
});

Deno.test("onReject: a message no longer among the recent sends is read from the store", async () => {
  const rejects: RejectedMessage[] = [];
  const n = 1100;
  const gw = await acceptor({
    onLogon(s) {
      for (let i = 2; i < 2 + n; i++) {
        s.send({ msgType: "D", fields: [[Tag.ClOrdID, `o${i}`], [Tag.Symbol, "X"], [Tag.Side, "1"]] });
      }
    },
    onReject(r) {
      rejects.push({ ...r, view: r.view.copy() });
    },
  });
  const c = await RawClient.connect(gw.ports[0]!);
  await c.send(logon());
  await waitFor(() => c.frames.length === 1 + n, "every order");
  // No RefMsgType: the store says what seq 2 was.
  await c.send(msg("3", 2, "45=2|373=99|58=late|"));
  await waitFor(() => rejects.length === 1, "the reject");
  assert.equal(rejects[0]!.clOrdId, "o2");
  assert.equal(rejects[0]!.refMsgType, "D");
  assert.equal(rejects[0]!.reason, 99);
  c.close();
  await gw.stop();
});

Deno.test("toAdmin's view is of an ordinary ArrayBuffer even when the session's frame lies on a SharedArrayBuffer: Web APIs taking a BufferSource (Blob, crypto.subtle) accept its bytes", async () => {
  // The session's frames are the encoder's finishOwned() frames: past its first buffer, on SharedArrayBuffers.
  const enc = new Encoder(256);
  let f = enc.begin("FIX.4.4", "0").str(49, "A").str(56, "B").int(34, 1).finishOwned();
  for (let seq = 2; !(f.buffer instanceof SharedArrayBuffer); seq++) {
    f = enc.begin("FIX.4.4", "0").str(49, "A").str(56, "B").int(34, seq).finishOwned();
  }
  const m = new OutgoingAdminMessage(f);
  const bytes = m.view.bytes();
  assert.deepEqual(bytes, f.slice());
  assert.equal(new Blob([bytes]).size, f.length);
  const digest = async (b: Uint8Array) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  assert.deepEqual(await digest(bytes), await digest(f.slice()));
  // Unchanged, the session's own frame goes out (no copy written or stored).
  assert.equal(m.changed, false);
});
