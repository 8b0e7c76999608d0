/**
 * The attacking peers of bench/attack.ts (raw FIX clients over TCP): idle connections, bad Logons, a
 * ResendRequest that never reads, and one that reads its resends again and again; and the timed Logon.
 */
import { Encoder, Framer, MessageView } from "../src/codec/mod.ts";

export const log = (s: string) => Deno.stderr.writeSync(new TextEncoder().encode(`attack: ${s}\n`));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const PASSWORD = "correct horse battery staple";

const enc = new Encoder();
/** A FIX 4.4 message from `[tag, value]` pairs after 35 (SendingTime added). */
export function fix(
  msgType: string,
  sender: string,
  target: string,
  seq: number,
  fields: Array<[number, string]>,
) {
  enc.begin("FIX.4.4", msgType);
  enc.str(49, sender).str(56, target).int(34, seq);
  enc.timestamp(52, Date.now());
  for (const [t, v] of fields) enc.str(t, v);
  return enc.finish().slice();
}

/** A raw FIX client: frames received (MsgType and a few tags), optional. */
export class Client {
  frames: MessageView[] = [];
  closed = false;
  #framer: Framer;
  #loop: Promise<void> | undefined;
  constructor(
    readonly conn: Deno.TcpConn,
    readonly keep = true,
    readonly onFrame?: (v: MessageView) => void,
  ) {
    this.#framer = new Framer({
      onFrame: (b, s, e) => {
        const v = MessageView.parse(b.subarray(s, e));
        this.onFrame?.(v);
        if (this.keep) this.frames.push(v.copy());
      },
      onGarbled: () => {},
    });
  }
  static async connect(host: string, port: number, keep = true, onFrame?: (v: MessageView) => void) {
    return new Client(await Deno.connect({ hostname: host, port }), keep, onFrame);
  }
  startReading(): void {
    this.#loop ??= (async () => {
      const buf = new Uint8Array(256 * 1024);
      try {
        for (;;) {
          const n = await this.conn.read(buf);
          if (n === null) break;
          this.#framer.push(buf.subarray(0, n));
        }
      } catch { /* reset */ }
      this.closed = true;
    })();
  }
  async send(b: Uint8Array): Promise<void> {
    await this.conn.write(b);
  }
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
  async done(): Promise<void> {
    await this.#loop;
  }
}

/** Waits for `cond` (polling every 5 ms) up to `ms`; false on timeout. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** A Logon of `sender` to GW and the time until the answer: a Logon back (accepted) or the close. */
export async function timedLogon(host: string, port: number, sender: string, password: string) {
  const t0 = performance.now();
  const c = await Client.connect(host, port);
  c.startReading();
  await c.send(
    fix("A", sender, "GW", 1, [[98, "0"], [108, "30"], [141, "Y"], [553, "alice"], [554, password]]),
  );
  await until(() => c.closed || c.frames.length > 0, 60_000);
  const accepted = c.frames[0]?.msgType === "A";
  const ms = performance.now() - t0;
  c.close();
  return { accepted, ms };
}

export type Attack = { start(): Promise<void>; stop(): Promise<string> };

export function idleAttack(port: number, n: number): Attack {
  const conns: Deno.TcpConn[] = [];
  let failed = 0;
  const closedByGateway = { n: 0 };
  return {
    async start() {
      for (let i = 0; i < n; i++) {
        try {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          conns.push(c);
          // Notice the gateway closing it (a read that ends), without sending anything.
          c.read(new Uint8Array(64)).then(
            (r) => r === null && closedByGateway.n++,
            () => closedByGateway.n++,
          );
        } catch {
          failed++;
        }
      }
    },
    async stop() {
      const closed = closedByGateway.n;
      const open = conns.length - closed;
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await sleep(50);
      return `${conns.length} connected (${failed} connects failed); closed by the gateway by the end: ${closed}, still open: ${open}`;
    },
  };
}

export function badLogonAttack(port: number, perSec: number): Attack {
  let running = true;
  let sent = 0, accepted = 0;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  let legit: { accepted: boolean; ms: number } | undefined;
  return {
    async start() {
      loop = (async () => {
        const t0 = performance.now();
        while (running) {
          const due = t0 + (sent * 1000) / perSec;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          const i = sent++;
          const p = timedLogon("127.0.0.1", port, `BAD${i}`, `wrong-${i}`).then(
            (r) => void (r.accepted && accepted++),
            () => {},
          );
          inFlight.add(p);
          p.finally(() => inFlight.delete(p));
        }
      })();
      await sleep(1000);
    },
    async stop() {
      // A legitimate Logon from another address during the flood.
      legit = await timedLogon("::1", port, "GOOD", PASSWORD);
      running = false;
      await loop;
      await Promise.race([Promise.all([...inFlight]), sleep(5000)]);
      return `${sent} bad Logons (${accepted} accepted); a legitimate Logon from ::1 during the flood: ${
        legit.accepted ? "accepted" : "REFUSED"
      } in ${legit.ms.toFixed(0)} ms`;
    },
  };
}

export function stalledResendAttack(port: number, requests: number, writeTimeout: string): Attack {
  let conn: Deno.TcpConn | undefined;
  return {
    async start() {
      // Log on, read the Logon answer, then send the requests and read nothing more.
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(fix("A", "SLOW", "GW", 1, [[98, "0"], [108, "30"]]));
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      if (n === null || !new TextDecoder().decode(buf.subarray(0, n)).includes("\x0135=A\x01")) {
        throw new Error("SLOW: Logon refused");
      }
      for (let i = 0; i < requests; i++) {
        await conn.write(fix("2", "SLOW", "GW", 2 + i, [[7, "1"], [16, "0"]]));
      }
      await sleep(1000);
    },
    stop() {
      try {
        conn?.close();
      } catch { /* closed by the gateway */ }
      return Promise.resolve(
        `${requests} ResendRequests 7=1 16=0, the peer reads nothing after its Logon (write timeout ${writeTimeout})`,
      );
    },
  };
}

export function readingResendAttack(port: number, messages: number): Attack {
  let conn: Deno.TcpConn | undefined;
  let running = true;
  let rounds = 0;
  let ignored = 0;
  let bytes = 0;
  let loop: Promise<void> | undefined;
  let reader: Promise<void> | undefined;
  // The end of a round: our Logon (messages + 1) gap-filled to messages + 2. The peer only scans the
  // bytes for it (parsing 100,000 frames a round would take the CPU the gateway is measured on).
  const end = `\x0136=${messages + 2}\x01`;
  const latin1 = new TextDecoder("latin1");
  const buf = new Uint8Array(256 * 1024);
  let seen = 0; // ends seen
  let loggedOn = false;
  const readAll = async (): Promise<void> => {
    let tail = "";
    for (;;) {
      const n = await conn!.read(buf).catch(() => null);
      if (n === null) return;
      bytes += n;
      const t = tail + latin1.decode(buf.subarray(0, n));
      if (!loggedOn && t.includes("\x0135=A\x01")) loggedOn = true;
      for (let i = t.indexOf(end); i >= 0; i = t.indexOf(end, i + 1)) {
        if (i + end.length > tail.length) seen++;
      }
      tail = t.slice(-32);
    }
  };
  return {
    async start() {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      reader = readAll();
      await conn.write(fix("A", "READER", "GW", 1, [[98, "0"], [108, "30"]]));
      if (!(await until(() => loggedOn, 10_000))) throw new Error("READER: Logon refused");
      let seq = 2;
      loop = (async () => {
        while (running) {
          const before = seen;
          await conn!.write(fix("2", "READER", "GW", seq++, [[7, "1"], [16, "0"]]));
          // A request that reaches the gateway before it saw its last write taken is answered with
          // nothing (the range is still on its way): ask again after a while.
          if (await until(() => seen > before || !running, 3000)) rounds++;
          else ignored++;
        }
      })();
      await sleep(1000);
    },
    async stop() {
      running = false;
      await Promise.race([loop, sleep(30_000)]);
      conn?.close();
      await reader;
      return `${rounds} resends of ${messages} messages read by the peer (${
        (bytes / 1048576).toFixed(0)
      } MB)${
        ignored > 0 ? `; ${ignored} requests answered with nothing (their range still on its way)` : ""
      }`;
    },
  };
}
