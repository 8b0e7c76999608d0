import assert from "node:assert/strict";
import { Gateway } from "../../src/engine/gateway.ts";
import { AdminServer } from "../../src/ops/admin.ts";
import { Operations } from "../../src/ops/operations.ts";
import { MemoryMessageStore } from "../../src/store/memory_store.ts";
import { waitFor } from "../engine/helpers.ts";
import { http, LogCapture, lpApp, newOrder, startGateway } from "./helpers.ts";

const TOKEN = "test-token-0123456789";

Deno.test("admin endpoint: metrics, health, ready, sessions, operator actions, kill switch, refusals", async (t) => {
  const logs = new LogCapture();
  const lp = await startGateway(
    `store: { type: memory }
sessions:
  - { role: acceptor, port: 0, bindHost: 127.0.0.1, senderCompId: ISLD, targetCompId: TW }
`,
    { app: lpApp(), logger: logs.logger("error") },
  );
  const port = lp.gw.ports[0]!;
  const { gw, config } = await startGateway(
    `store: { type: memory }
admin: { port: 0, token: ${TOKEN} }
sessions:
  - { name: venue, role: initiator, host: 127.0.0.1, port: ${port}, senderCompId: TW, targetCompId: ISLD, heartbeatIntervalSec: 5 }
  - name: backup
    role: initiator
    host: 127.0.0.1
    port: 1
    senderCompId: TW
    targetCompId: BACKUP
    reconnect: { initialMs: 20, maxMs: 50 }
`,
    { logger: logs.logger("info") },
  );
  const ops = await Operations.start(gw, { config, logger: gw.logger, signals: false });
  const base = `http://127.0.0.1:${ops.admin!.port}`;
  const venue = gw.find("venue")!;
  await waitFor(() => venue.loggedOn, "venue logged on");
  const key = encodeURIComponent("FIX.4.4:TW->ISLD");

  await t.step("GET /health is 200 and needs no token", async () => {
    const r = await http(base, "/health");
    assert.equal(r.status, 200);
    assert.equal(r.json.status, "ok");
    assert.equal(r.json.sessions, 2);
  });

  await t.step(
    "GET /ready is 503 while an enabled session is down, with per-session detail (token)",
    async () => {
      const r = await http(base, "/ready", { token: TOKEN });
      assert.equal(r.status, 503);
      assert.equal(r.json.ready, false);
      const s = r.json.sessions as Array<Record<string, unknown>>;
      const v = s.find((x) => x.name === "venue")!;
      assert.equal(v.id, "FIX.4.4:TW->ISLD");
      assert.equal(v.connected, true);
      assert.equal(v.loggedOn, true);
      assert.equal(v.inSync, true);
      assert.equal(v.nextSenderSeq, 2);
      assert.equal(v.nextTargetSeq, 2);
      assert.equal(v.lastError, null);
      assert.equal(typeof v.uptimeSec, "number");
      assert.ok("lastHeartbeatIn" in v && "lastHeartbeatOut" in v);
      const b = s.find((x) => x.name === "backup")!;
      assert.equal(b.loggedOn, false);
      assert.match(String(b.lastError ?? ""), /.*/);
    },
  );

  await t.step("operator endpoints refuse a missing or wrong token with 401", async () => {
    for (
      const [path, method] of [["/sessions", "GET"], [`/sessions/${key}/logout`, "POST"], [
        "/kill-switch",
        "POST",
      ], ["/reload", "POST"]]
    ) {
      const none = await http(base, path!, { method: method! });
      assert.equal(none.status, 401, `${method} ${path} without token`);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="fixg"');
      const wrong = await http(base, path!, { method: method!, token: "not-the-token-at-all" });
      assert.equal(wrong.status, 401, `${method} ${path} wrong token`);
    }
    assert.equal(venue.loggedOn, true, "nothing happened");
    assert.equal(gw.killSwitch.engaged, false);
  });

  await t.step(
    "GET /sessions and /sessions/{id} by URL-encoded key or by name; 404 for an unknown one",
    async () => {
      const all = await http(base, "/sessions", { token: TOKEN });
      assert.equal(all.status, 200);
      assert.deepEqual((all.json.sessions as Array<{ id: string }>).map((s) => s.id), [
        "FIX.4.4:TW->ISLD",
        "FIX.4.4:TW->BACKUP",
      ]);
      const byKey = await http(base, `/sessions/${key}`, { token: TOKEN });
      const byName = await http(base, "/sessions/venue", { token: TOKEN });
      assert.equal(byKey.status, 200);
      assert.equal(byKey.json.id, "FIX.4.4:TW->ISLD");
      assert.equal(byName.json.id, "FIX.4.4:TW->ISLD");
      assert.equal(typeof (byKey.json.counters as Record<string, number>).messagesOut, "number");
      const unknown = await http(base, "/sessions/nobody", { token: TOKEN });
      assert.equal(unknown.status, 404);
      assert.equal(
        (await http(base, "/sessions/nobody/logout", { method: "POST", token: TOKEN })).status,
        404,
      );
      assert.equal(
        (await http(base, "/sessions/venue/explode", { method: "POST", token: TOKEN })).status,
        404,
      );
    },
  );

  await t.step("POST /sessions/backup/logout holds a session down: /ready becomes 200", async () => {
    const r = await http(base, "/sessions/backup/logout", { method: "POST", token: TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.json.held, true);
    const ready = await http(base, "/ready");
    assert.equal(ready.status, 200);
    assert.equal(ready.json.ready, true);
  });

  await t.step("kill switch: cancels every open order, blocks new ones until reset", async () => {
    venue.send(newOrder("o1"));
    venue.send(newOrder("o2"));
    await waitFor(() => venue.orders.open().length === 2, "two orders acknowledged");
    const k = await http(base, "/kill-switch", {
      method: "POST",
      token: TOKEN,
      body: { reason: "test drill" },
    });
    assert.equal(k.status, 200);
    assert.equal(k.json.engaged, true);
    assert.equal(k.json.reason, "test drill");
    assert.equal(k.json.cancelsSent, 2);
    await waitFor(() => venue.orders.size === 0, "both cancels confirmed");
    const refused = venue.send(newOrder("o3"));
    assert.equal(refused.kind, "refused");
    assert.match(refused.kind === "refused" ? refused.reason : "", /order entry blocked \(test drill\)/);
    const st = await http(base, "/kill-switch", { token: TOKEN });
    assert.equal(st.json.engaged, true);
    const s = await http(base, "/sessions/venue", { token: TOKEN });
    assert.match(String(s.json.ordersBlocked), /test drill/);
    assert.equal((await http(base, "/kill-switch/reset", { method: "GET", token: TOKEN })).status, 405);
    const reset = await http(base, "/kill-switch/reset", { method: "POST", token: TOKEN });
    assert.equal(reset.json.engaged, false);
    venue.send(newOrder("o4"));
    await waitFor(() => venue.orders.open().length === 1, "orders accepted again");
  });

  await t.step(
    "GET /metrics: Prometheus text with session, order, queue, journal and process metrics",
    async () => {
      // The backup session retries an unreachable port every 20-50 ms: wait for its first retry (on a
      // loaded machine it can come after the steps above) rather than assume it.
      await waitFor(
        () => gw.find("backup")!.counters.reconnects > 0,
        "a reconnect attempt of the backup session",
      );
      const r = await http(base, "/metrics", { token: TOKEN });
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const m = r.text;
      const s = 'session="FIX.4.4:TW->ISLD"';
      assert.match(m, new RegExp(`fixg_messages_sent_total\\{${s},msg_type="D"\\} 3`));
      assert.match(m, new RegExp(`fixg_messages_sent_total\\{${s},msg_type="F"\\} 2`));
      assert.match(m, new RegExp(`fixg_messages_received_total\\{${s},msg_type="8"\\} 5`));
      assert.match(m, new RegExp(`fixg_order_ack_latency_seconds_count\\{${s},request="D"\\} 3`));
      assert.match(m, new RegExp(`fixg_order_ack_latency_seconds_count\\{${s},request="F"\\} 2`));
      assert.match(m, new RegExp(`fixg_kill_switch_cancels_total\\{${s}\\} 2`));
      assert.match(m, new RegExp(`fixg_orders_refused_total\\{${s}\\} 1`));
      assert.match(m, new RegExp(`fixg_open_orders\\{${s}\\} 1`));
      assert.match(m, new RegExp(`fixg_session_state\\{${s},state="active"\\} 1`));
      assert.match(m, new RegExp(`fixg_next_sender_seq_num\\{${s}\\} 7`));
      assert.match(m, new RegExp(`fixg_outbound_queue_depth\\{${s},priority="critical"\\} 0`));
      assert.match(m, new RegExp(`fixg_outbound_queue_wait_seconds_count\\{${s},priority="critical"\\} 2`));
      assert.match(m, /fixg_reconnects_total\{session="FIX.4.4:TW->BACKUP"\} [1-9]/);
      assert.match(m, /fixg_journal_bytes_total\{direction="out"\} [1-9]/);
      assert.match(m, /fixg_journal_flush_seconds_count /);
      assert.match(m, /fixg_kill_switch_engaged 0/);
      assert.match(m, /process_resident_memory_bytes [1-9]/);
      assert.match(m, /fixg_eventloop_delay_p99_seconds /);
      assert.match(m, /fixg_heartbeats_missed_total\{session="FIX.4.4:TW->ISLD"\} 0/);
      assert.match(m, /fixg_rejects_sent_total/);
      assert.doesNotMatch(m, /ACC-7731/, "no message content in labels");
      assert.equal((await http(base, "/metrics", { method: "POST" })).status, 405);
    },
  );

  await t.step("POST set-seq validates its body; reset and set-seq act on the session", async () => {
    assert.equal(
      (await http(base, "/sessions/venue/set-seq", { method: "POST", token: TOKEN, body: {} })).status,
      400,
    );
    assert.equal(
      (await http(base, "/sessions/venue/set-seq", {
        method: "POST",
        token: TOKEN,
        body: { nextSenderSeq: 0 },
      })).status,
      400,
    );
    assert.equal(
      (await http(base, "/sessions/venue/set-seq", { method: "POST", token: TOKEN, body: "{nope" })).status,
      400,
    );
    const r = await http(base, "/sessions/venue/set-seq", {
      method: "POST",
      token: TOKEN,
      body: { nextSenderSeq: 50 },
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.nextSenderSeq, 50);
    const reset = await http(base, "/sessions/venue/reset", { method: "POST", token: TOKEN });
    assert.equal(reset.status, 200);
    await waitFor(
      () => venue.status().nextSenderSeq === 2 && venue.status().nextTargetSeq === 2,
      "both sides restarted at 1",
    );
    assert.equal(venue.loggedOn, true);
  });

  await t.step("POST logout holds the session down; POST logon brings it back", async () => {
    const out = await http(base, `/sessions/${key}/logout`, { method: "POST", token: TOKEN });
    assert.equal(out.status, 200);
    await waitFor(() => !venue.connected, "logged out");
    assert.equal((await http(base, "/ready")).status, 200, "held sessions do not make the gateway unready");
    const on = await http(base, `/sessions/${key}/logon`, { method: "POST", token: TOKEN });
    assert.equal(on.status, 200);
    assert.equal(on.json.held, false);
    await waitFor(() => venue.loggedOn, "logged on again", 5000);
  });

  await t.step("POST /reload without a config file is 409; unknown paths 404", async () => {
    assert.equal((await http(base, "/reload", { method: "POST", token: TOKEN })).status, 409);
    assert.equal((await http(base, "/nothing-here")).status, 404);
  });

  await t.step("the admin log names operator actions", () => {
    assert.equal(logs.grep(/"event":"admin".*kill switch requested: test drill/).length, 1);
    assert.equal(logs.grep(/"event":"admin".*operator set-seq nextSenderSeq=50/).length, 1);
  });

  await ops.stop();
  await gw.stop();
  await lp.gw.stop();
});

Deno.test("admin endpoint without a token: operator endpoints answer 403, read-only ones work", async () => {
  const gw = new Gateway({ store: new MemoryMessageStore(), app: {} });
  await gw.start();
  const ops = await Operations.start(gw, {
    config: {
      ...(await import("../../src/engine/config.ts")).checkConfig(
        { admin: { port: "0" } },
        "t.yaml",
        () => undefined,
      ),
    },
    logger: gw.logger,
    signals: false,
  });
  const base = `http://127.0.0.1:${ops.admin!.port}`;
  assert.equal(ops.admin!.host, "127.0.0.1", "bound to loopback by default");
  assert.equal((await http(base, "/sessions", { token: "anything-at-all-123" })).status, 403);
  assert.equal((await http(base, "/kill-switch", { method: "POST" })).status, 403);
  assert.equal((await http(base, "/health")).status, 200);
  assert.equal((await http(base, "/ready")).status, 200);
  assert.ok(ops.admin instanceof AdminServer);
  await ops.stop();
  await gw.stop();
});
