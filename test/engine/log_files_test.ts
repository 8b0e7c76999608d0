/**
 * `log: { dir: ... }`: per-session messages log (every message in and out, one line, redacted as the
 * console is) and events log, rotated by size or at a new UTC day, at most keepFiles rotated files.
 */
import assert from "node:assert/strict";
import { decodeInput } from "../../commands/decode.ts";
import { Tag } from "../../src/codec/mod.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { SessionLogFiles } from "../../src/engine/log_files.ts";
import { hashPassword } from "../../src/engine/auth/password.ts";
import { waitFor } from "./helpers.ts";
import { lpApp, newOrder, startGateway } from "../ops/helpers.ts";

const PASSWORD = "S3cr3t-Pa55w0rd";

Deno.test("log.dir: a messages log and an events log per session, redacted like the console", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-logdir-" });
  try {
    const hash = await hashPassword(PASSWORD, 1000);
    const acceptor = await startGateway(
      `store: { type: memory }
log: { level: warn, dir: ${dir}/acc }
users:
  alice: { passwordHash: "${hash}" }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW, authentication: users, allowedUsers: [alice] }
`,
      { app: lpApp() },
    );
    const ini = await startGateway(
      `store: { type: memory }
log: { level: warn, dir: ${dir}/ini }
sessions:
  - { role: initiator, host: 127.0.0.1, port: ${
        acceptor.gw.ports[0]
      }, senderCompId: TW, targetCompId: ISLD, username: alice, password: "${PASSWORD}" }
`,
    );
    const r = ini.gw.runners()[0]!;
    await waitFor(() => r.loggedOn, "logged on");
    const o = newOrder("o1", "ACC-1");
    r.send({
      ...o,
      fields: [...o.fields, [Tag.Text, "a free text longer than thirty-two characters, kept whole"]],
    });
    await waitFor(() => r.orders.open().length === 1, "order acknowledged");
    await ini.gw.stop();
    await acceptor.gw.stop();

    const files = [...Deno.readDirSync(`${dir}/ini`)].map((e) => e.name).sort();
    assert.deepEqual(files, ["FIX.4.4-TW-ISLD.event.current.log", "FIX.4.4-TW-ISLD.messages.current.log"]);
    const messages = Deno.readTextFileSync(`${dir}/ini/FIX.4.4-TW-ISLD.messages.current.log`).trim().split(
      "\n",
    );
    const kinds = messages.map((l) => {
      const m = /^\d{4}-\d\d-\d\dT[\d:.]+Z (in|out) 8=FIX\.4\.4\|9=\d+\|35=(\w+)\|/.exec(l);
      assert.ok(m, l);
      return `${m[1]} ${m[2]}`;
    });
    assert.deepEqual(kinds.slice(0, 4), ["out A", "in A", "out D", "in 8"]);
    assert.ok(kinds.includes("out 5") && kinds.includes("in 5"), kinds.join(", "));
    const all = messages.join("\n");
    assert.equal(all.includes(PASSWORD), false, "the password is masked");
    assert.match(all, /\|554=\*\*\*\|/);
    assert.match(all, /\|1=\*\*\*\|/, "Account masked as on the console");
    assert.match(all, /\|58=a free text longer than thirty-two characters, kept whole\|/);
    // Every logged line is a frame fixg decode reads.
    const d = decodeInput(new TextEncoder().encode(all + "\n"), { json: true }, () => {});
    assert.equal(d.garbled, 0);
    assert.equal(d.messages, messages.length);
    const events = Deno.readTextFileSync(`${dir}/ini/FIX.4.4-TW-ISLD.event.current.log`);
    assert.match(events, /INFO {2}FIX\.4\.4:TW->ISLD logon: Logged on/, events);
    assert.equal(events.includes(" in: "), false, "messages are not in the events log");
    const accMessages = Deno.readTextFileSync(`${dir}/acc/FIX.4.4-ISLD-TW.messages.current.log`);
    assert.match(accMessages, / in 8=FIX\.4\.4\|9=\d+\|35=D\|/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log files rotate by size and at a new UTC day, keeping keepFiles rotated files", () => {
  const dir = Deno.makeTempDirSync({ prefix: "fixg-logrot-" });
  try {
    const t0 = Date.UTC(2026, 0, 5, 23, 59, 0);
    const files = new SessionLogFiles({ dir, rotateBytes: 200, rotateDaily: true, keepFiles: 2 });
    const line = "x".repeat(60);
    for (let i = 0; i < 3; i++) files.message("FIX.4.4:A->B", t0 + i, "out", line); // 3 x 88 bytes > 200
    const names = () => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names(), [
      "FIX.4.4-A-B.messages.20260105-235900.log",
      "FIX.4.4-A-B.messages.current.log",
    ]);
    files.message("FIX.4.4:A->B", t0 + 61_000, "in", "next day"); // 2026-01-06 00:00:01
    assert.equal(
      Deno.readTextFileSync(`${dir}/FIX.4.4-A-B.messages.current.log`).trim().endsWith("in next day"),
      true,
    );
    assert.equal(names().length, 3);
    for (let i = 0; i < 6; i++) files.message("FIX.4.4:A->B", t0 + 62_000 + i * 1000, "out", line);
    const rotated = names().filter((n) => !n.endsWith(".current.log"));
    assert.equal(rotated.length, 2, names().join(", "));
    files.event("FIX.4.4:A->B", t0, "an event");
    assert.ok(names().includes("FIX.4.4-A-B.event.current.log"));
    files.close();
    // A write that fails (the directory removed under it) is counted, never thrown at the session.
    Deno.removeSync(dir, { recursive: true });
    const err = console.error;
    const said: string[] = [];
    console.error = (m: string) => said.push(m);
    try {
      files.message("FIX.4.4:C->D", t0, "out", line);
      files.message("FIX.4.4:C->D", t0, "out", line);
    } finally {
      console.error = err;
    }
    assert.equal(files.failures, 2);
    assert.equal(said.length, 1);
    assert.match(said[0]!, /^fixg: cannot write log file ".*FIX\.4\.4-C-D\.messages\.current\.log": /);
    Deno.mkdirSync(dir);
    assert.throws(
      () => parseConfig("log: { dir: x, rotateBytes: -1 }\n", "t.yaml", () => undefined),
      /log\.rotateBytes/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("log.dir: a directory it creates is 0700 and its files 0600, as the journal's (messages carry personal data)", () => {
  const parent = Deno.makeTempDirSync({ prefix: "fixg-logmode-" });
  const umask = Deno.umask(0o022);
  try {
    const dir = `${parent}/logs`;
    const files = new SessionLogFiles({ dir, rotateBytes: 0, rotateDaily: false, keepFiles: 0 });
    files.message("FIX.4.4:A->B", Date.UTC(2026, 0, 5), "out", "8=FIX.4.4|35=D|1=ACC-7|");
    files.event("FIX.4.4:A->B", Date.UTC(2026, 0, 5), "an event");
    files.close();
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
    for (const e of Deno.readDirSync(dir)) {
      assert.equal(Deno.statSync(`${dir}/${e.name}`).mode! & 0o777, 0o600, e.name);
    }
  } finally {
    Deno.umask(umask);
    Deno.removeSync(parent, { recursive: true });
  }
});
