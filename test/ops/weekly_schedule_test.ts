import assert from "node:assert/strict";
import {
  checkSchedule,
  currentWindow,
  inWindow,
  nextWindowStart,
  type Schedule,
} from "../../src/engine/schedule.ts";
import { parseConfig } from "../../src/engine/config.ts";
import { importQuickfix } from "../../src/ops/quickfix_import.ts";
import { fixgOutput, ROOT } from "../_helpers/mod.ts";
const utc = (s: string) => Date.parse(s + "Z");

// The FX week: Sunday 17:00 to Friday 17:00 New York.
const FX: Schedule = {
  start: "17:00",
  end: "17:00",
  startDay: "sun",
  endDay: "fri",
  timezone: "America/New_York",
};

Deno.test("weekly schedule: the FX week opens Sunday 17:00 and closes Friday 17:00 New York (EST and EDT)", () => {
  // 2026-12-06 is a Sunday; New York is UTC-5 in December.
  assert.equal(currentWindow(FX, utc("2026-12-06T21:59:59")), undefined);
  const w = currentWindow(FX, utc("2026-12-06T22:00:00"));
  assert.deepEqual(w, { startMs: utc("2026-12-06T22:00:00"), endMs: utc("2026-12-11T22:00:00") });
  // One window the whole week: Wednesday and Friday afternoon are in the same window (no daily reset).
  assert.deepEqual(currentWindow(FX, utc("2026-12-09T05:00:00")), w);
  assert.deepEqual(currentWindow(FX, utc("2026-12-11T21:59:59")), w);
  assert.equal(currentWindow(FX, utc("2026-12-11T22:00:00")), undefined);
  assert.equal(inWindow(FX, utc("2026-12-12T12:00:00")), false);
  assert.equal(nextWindowStart(FX, utc("2026-12-12T12:00:00")), utc("2026-12-13T22:00:00"));
  // July: UTC-4.
  assert.deepEqual(currentWindow(FX, utc("2026-07-08T12:00:00")), {
    startMs: utc("2026-07-05T21:00:00"),
    endMs: utc("2026-07-10T21:00:00"),
  });
});

Deno.test("weekly schedule: same start and end day with end <= start is a whole week; names and prefixes", () => {
  const s: Schedule = { start: "00:00", end: "00:00", startDay: "Monday", endDay: "MON" };
  assert.deepEqual(currentWindow(s, utc("2026-12-10T00:00:00")), {
    startMs: utc("2026-12-07T00:00:00"),
    endMs: utc("2026-12-14T00:00:00"),
  });
  checkSchedule({ start: "09:00", end: "17:00", startDay: "tu", endDay: "Thurs" }, "s");
  assert.throws(
    () => checkSchedule({ start: "09:00", end: "17:00", startDay: "t", endDay: "fri" }, "s"),
    /s\.startDay: "t" is not a weekday/,
  );
  assert.throws(
    () => checkSchedule({ start: "09:00", end: "17:00", startDay: "mon" }, "s"),
    /s\.endDay: a weekly schedule needs both/,
  );
  assert.throws(
    () => checkSchedule({ start: "09:00", end: "17:00", startDay: "mon", endDay: "fri", days: ["mon"] }, "s"),
    /s\.days: a weekly schedule/,
  );
});

Deno.test("config: a session's schedule merges key by key with defaults.schedule", () => {
  const c = parseConfig(
    `defaults:
  schedule: { start: "17:00", end: "17:00", timezone: America/New_York }
sessions:
  - { role: acceptor, port: 9876, senderCompId: A, targetCompId: B, schedule: { startDay: sun, endDay: fri } }
`,
    "merge.yaml",
    () => undefined,
  );
  assert.deepEqual(c.sessions[0]!.schedule, FX);
  const daily = parseConfig(
    `defaults:\n  schedule: { start: "08:00", end: "17:00" }\nsessions:\n` +
      `  - { role: acceptor, port: 9876, senderCompId: A, targetCompId: B, schedule: { days: [mon, tue] } }\n`,
    "daily.yaml",
    () => undefined,
  );
  assert.deepEqual(daily.sessions[0]!.schedule, { start: "08:00", end: "17:00", days: ["mon", "tue"] });
  assert.throws(
    () =>
      parseConfig(
        `sessions:\n  - { role: acceptor, port: 9876, senderCompId: A, targetCompId: B, schedule: { end: "17:00" } }\n`,
        "x.yaml",
        () => undefined,
      ),
    /x\.yaml: sessions\[0\]\.schedule\.start: required key missing/,
  );
});

Deno.test("import-quickfix: Weekdays becomes daily windows on those days; StartDay/EndDay a weekly window", () => {
  const yaml = importQuickfix(
    `[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=5001\nStartTime=08:00:00\nEndTime=17:00:00\n` +
      `[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nWeekdays=Mon,Tue,Wed\n` +
      `[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\nStartDay=Sunday\nEndDay=Friday\nTimeZone=America/New_York\n`,
    "w.cfg",
  );
  const c = parseConfig(yaml, "w.yaml", () => undefined);
  assert.deepEqual(c.sessions[0]!.schedule, {
    start: "08:00:00",
    end: "17:00:00",
    days: ["mon", "tue", "wed"],
  });
  assert.deepEqual(c.sessions[1]!.schedule, {
    start: "08:00:00",
    end: "17:00:00",
    startDay: "sun",
    endDay: "fri",
    timezone: "America/New_York",
  });
});

const fixg = (args: string[], cwd: string) => fixgOutput(args, { cwd });

Deno.test("import-quickfix: a QuickFIX/J file with weekly sessions and a customised spec/FIX44.xml keeps both; config check accepts it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fixg-weekly-" });
  await Deno.mkdir(`${dir}/spec`);
  // A venue's customised FIX44.xml: the stock dictionary with one custom field.
  const stock = await Deno.readTextFile(`${ROOT}fixtures/dictionaries/FIX44.xml`);
  await Deno.writeTextFile(
    `${dir}/spec/FIX44.xml`,
    stock.replace("<fields>", '<fields>\n  <field number="20001" name="VenueTag" type="STRING"/>'),
  );
  await Deno.writeTextFile(
    `${dir}/fx.cfg`,
    `[default]
ConnectionType=initiator
StartTime=17:00:00
EndTime=17:00:00
StartDay=sunday
EndDay=friday
TimeZone=America/New_York
UseDataDictionary=Y
DataDictionary=spec/FIX44.xml
HeartBtInt=30
ReconnectInterval=5
FileStorePath=store

[session]
BeginString=FIX.4.4
SenderCompID=FUND
TargetCompID=BANK
SocketConnectHost=127.0.0.1
SocketConnectPort=9999
`.replace("[default]", "[DEFAULT]").replace("[session]", "[SESSION]"),
  );
  const r = await fixg(["config", "import-quickfix", "fx.cfg", "-o", "fx.yaml"], dir);
  assert.equal(r.code, 0, r.stderr);
  const yaml = await Deno.readTextFile(`${dir}/fx.yaml`);
  assert.match(yaml, /DataDictionary=spec\/FIX44\.xml: the file the settings name is used/);
  const c = parseConfig(yaml, "fx.yaml", () => undefined);
  const s = c.sessions[0]!;
  assert.equal(s.dictionary, "spec/FIX44.xml");
  assert.deepEqual(s.schedule, {
    start: "17:00:00",
    end: "17:00:00",
    startDay: "sun",
    endDay: "fri",
    timezone: "America/New_York",
  });
  const check = await fixg(["config", "check", "fx.yaml"], dir);
  assert.equal(check.code, 0, check.stderr + check.stdout);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("import-quickfix: a Password is never copied into the YAML; the session reads it from the environment", () => {
  const yaml = importQuickfix(
    `[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\nSocketConnectPort=9\n` +
      `[SESSION]\nBeginString=FIX.4.4\nSenderCompID=TW\nTargetCompID=IS.LD\nUsername=tw\nPassword=hunter2\n`,
    "p.cfg",
  );
  assert.equal(yaml.includes("hunter2"), false, yaml);
  assert.match(yaml, /Password: not copied; set FIXG_PASSWORD_TW_IS_LD in the environment/);
  const c = parseConfig(yaml, "p.yaml", (n) => (n === "FIXG_PASSWORD_TW_IS_LD" ? "from-env" : undefined));
  assert.equal(c.sessions[0]!.password, "from-env");
  assert.throws(() => parseConfig(yaml, "p.yaml", () => undefined), /FIXG_PASSWORD_TW_IS_LD is not set/);
});
