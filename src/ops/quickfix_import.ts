/**
 * `fixg config import-quickfix`: converts a QuickFIX / QuickFIX/J session settings file ([DEFAULT]
 * and [SESSION] sections of Key=Value lines) to fixg's YAML. [DEFAULT] settings become `defaults:`
 * (or top-level sections for gateway-wide ones such as FileStorePath); each [SESSION] becomes an
 * entry of `sessions:`. Settings fixg has no equivalent for, and unknown ones, are kept as comments
 * so nothing is lost silently (password values are never copied into comments).
 */
import { BUILTIN_DICTIONARY_FILES } from "../dictionary/loader.ts";
import { DAY_NAMES as DAYS, dayIndex as day } from "../engine/schedule.ts";
import { emit, ordered, parseSections, type Setting, type Tree } from "./quickfix_format.ts";

/** Where converted values go while one section is read. */
interface Target {
  /** Session keys (defaults: or one session). */
  session: Tree;
  /** Gateway-wide sections (store, tuning, admin). */
  global: Tree;
  /** Comments for this block. */
  notes: string[];
  /** Whether this is the [DEFAULT] section. */
  isDefault: boolean;
}

const yn = (v: string): boolean | undefined => {
  const s = v.trim().toUpperCase();
  if (s === "Y" || s === "YES" || s === "TRUE") return true;
  if (s === "N" || s === "NO" || s === "FALSE") return false;
  return undefined;
};

function set(t: Tree, path: string[], v: unknown): void {
  let o = t;
  for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Tree;
  o[path[path.length - 1]!] = v;
}

const APPL_VER_ID: Record<string, string> = {
  "FIX.2.7": "0",
  "FIX.3.0": "1",
  "FIX.4.0": "2",
  "FIX.4.1": "3",
  "FIX.4.2": "4",
  "FIX.4.3": "5",
  "FIX.4.4": "6",
  "FIX.5.0": "7",
  "FIX.5.0SP1": "8",
  "FIX.5.0SP2": "9",
};

/** QuickFIX's stock dictionaries, which fixg ships: the BeginString each one is for. */
const STOCK_DICTIONARIES: Record<string, string> = {
  "FIX40.xml": "FIX.4.0",
  "FIX41.xml": "FIX.4.1",
  "FIX42.xml": "FIX.4.2",
  "FIX43.xml": "FIX.4.3",
  "FIX44.xml": "FIX.4.4",
  "FIXT11.xml": "FIXT.1.1",
};

/** Application versions (keys of appDictionaries) and the stock QuickFIX file of each: the shipped files but FIXT11.xml. */
const APP_VERSION_FILES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(BUILTIN_DICTIONARY_FILES).filter(([version]) => version !== "FIXT.1.1"),
);

const PRECISION: Record<string, string> = {
  SECONDS: "s",
  MILLIS: "ms",
  MICROS: "us",
  NANOS: "ns",
  "0": "s",
  "3": "ms",
  "6": "us",
  "9": "ns",
};

/** Settings fixg has no use for, with why (printed as comments). */
const NOT_CONVERTED: Record<string, string> = {
  FileLogPath: "fixg logs to stderr (JSON lines with log.format: json); collect them with your log shipper",
  FileIncludeMilliseconds: "fixg log timestamps always have milliseconds",
  FileIncludeTimeStampForMessages: "fixg log lines always carry a timestamp",
  ScreenLogShowIncoming: "use log.level: debug to log every message (secrets redacted)",
  ScreenLogShowOutgoing: "use log.level: debug to log every message (secrets redacted)",
  ScreenLogShowEvents: "fixg always logs session events",
  ScreenLogShowHeartBeats: "use log.level: debug",
  ScreenIncludeMilliseconds: "fixg log timestamps always have milliseconds",
  PersistMessages: "fixg always journals outbound messages so it can answer ResendRequests",
  SocketReuseAddress: "fixg's listeners reuse the address",
  ContinueInitializationOnError: "fixg refuses a config with errors as a whole (fixg config check)",
  PreserveMessageFieldsOrder: "fixg keeps the field order of every message it sends",
  FileStoreSync: "set store.fsync (always, batch or none)",
  FileStoreMaxCachedMsgs: "the journal keeps an index, not a cache",
  SocketSynchronousWrites: "fixg batches writes per event-loop turn",
  SocketSynchronousWriteTimeout: "fixg batches writes per event-loop turn",
  RejectInvalidMessage: "fixg always rejects invalid messages (35=3 with the reason)",
  RejectMessageOnUnhandledException: "application errors are logged, the session carries on",
  ResetOnError: "not supported: fixg never resets sequence numbers on an error",
  DisconnectOnError: "not supported: fixg rejects bad messages and keeps the session",
  ForceResendWhenCorruptedStore: "the journal is repaired with fixg journal repair",
  TestRequestDelayMultiplier:
    "QuickFIX/J's extra wait after a TestRequest; fixg sends the TestRequest after HeartBtInt x testRequestDelayFactor (default 1.2) of silence",
  HeartBeatTimeoutMultiplier: "fixg: testRequestDelayFactor",
  NonStopSession: "without StartTime/EndTime a fixg session has no schedule (always open)",
  ValidateUnorderedGroupFields: "fixg checks groups with validation.checkGroups",
  ValidateSequenceNumbers: "fixg always checks sequence numbers",
  SocketKeyStore:
    "Java keystore: export the key and certificate to PEM (openssl pkcs12 -in store.p12 -nodes) and set tls.cert and tls.key",
  SocketKeyStorePassword: "Java keystore password: not needed with PEM files (value not copied)",
  SocketTrustStore: "Java truststore: export the CA certificates to PEM and set tls.ca",
  SocketTrustStorePassword: "Java truststore password: not needed with PEM files (value not copied)",
  KeyStoreType: "Java keystore type: not needed with PEM files",
  EnableProtocole: "fixg uses TLS 1.2 and 1.3 (rustls defaults)",
  CipherSuites: "fixg uses the rustls default cipher suites",
  SSLProtocol: "fixg uses TLS 1.2 and 1.3 (rustls defaults)",
  SSLCipherSuite: "fixg uses the rustls default cipher suites",
  ClientCertificatePassword:
    "encrypted keys are not supported: decrypt the key to a protected PEM file (value not copied)",
  ServerCertificateKeyPassword:
    "encrypted keys are not supported: decrypt the key to a protected PEM file (value not copied)",
  SocketConnectProtocol: "fixg uses TCP",
  SocketAcceptProtocol: "fixg uses TCP",
  UseLocalTime: "set schedule.timezone to the IANA zone of the host",
};

/** Converts one setting into `t`; false when it is not a known setting. */
function convert(key: string, value: string, t: Target, role: () => string | undefined): boolean {
  const s = t.session;
  const bool = (k: string) => {
    const b = yn(value);
    if (b === undefined) t.notes.push(`${key}=${value}: not Y or N, not converted`);
    else s[k] = b;
  };
  const int = (path: string[], scale = 1) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) t.notes.push(`${key}=${value}: not a number, not converted`);
    else set(s, path, n * scale);
  };
  // QuickFIX/J names per-version application dictionaries AppDataDictionary.FIX.5.0 and so on:
  // fixg's appDictionaries by version.
  if (key.startsWith("AppDataDictionary.")) {
    const version = key.slice("AppDataDictionary.".length);
    if (!(version in APP_VERSION_FILES)) return convert("AppDataDictionary", value, t, role);
    ((s._appDictionaries ??= {}) as Record<string, string>)[version] = value;
    return true;
  }
  const hostN = /^SocketConnect(Host|Port)(\d+)$/.exec(key);
  if (hostN) {
    const hosts = (s["_hosts"] ??= []) as Array<{ host?: string; port?: string }>;
    const i = Number(hostN[2]);
    hosts[i] ??= {};
    if (hostN[1] === "Host") hosts[i]!.host = value;
    else hosts[i]!.port = value;
    return true;
  }
  switch (key) {
    case "BeginString":
      s.beginString = value;
      return true;
    case "SenderCompID":
      s.senderCompId = value;
      return true;
    case "TargetCompID":
      s.targetCompId = value;
      return true;
    case "SenderSubID":
      s.senderSubId = value;
      return true;
    case "TargetSubID":
      s.targetSubId = value;
      return true;
    case "SessionQualifier":
      s.qualifier = value;
      return true;
    case "ConnectionType":
      if (value !== "initiator" && value !== "acceptor") {
        t.notes.push(`ConnectionType=${value}: expected initiator or acceptor`);
      } else s.role = value;
      return true;
    case "SocketConnectHost":
      s.host = value;
      return true;
    case "SocketConnectPort":
      int(["port"]);
      return true;
    case "SocketAcceptPort":
      int(["port"]);
      return true;
    case "SocketAcceptHost":
    case "SocketAcceptAddress":
      s.bindHost = value;
      return true;
    case "HeartBtInt":
      int(["heartbeatIntervalSec"]);
      if (role() === "acceptor") {
        t.notes.push("HeartBtInt: an acceptor uses the interval the initiator sends; kept for reference");
      }
      return true;
    case "ResetOnLogon":
      bool("resetOnLogon");
      return true;
    case "ResetOnLogout":
      bool("resetOnLogout");
      return true;
    case "ResetOnDisconnect":
      bool("resetOnDisconnect");
      return true;
    case "RefreshOnLogon":
      bool("refreshOnLogon");
      return true;
    case "SendRedundantResendRequests":
      bool("sendRedundantResendRequests");
      return true;
    case "ResendRequestChunkSize":
      int(["resendRequestChunkSize"]);
      return true;
    case "CheckLatency":
      bool("checkLatency");
      return true;
    case "MaxLatency":
      int(["maxLatencySec"]);
      return true;
    case "CheckCompID":
      bool("checkCompId");
      return true;
    case "LogonTimeout":
      int(["logonTimeoutSec"]);
      return true;
    case "LogoutTimeout":
      int(["logoutTimeoutSec"]);
      return true;
    case "EnableNextExpectedMsgSeqNum":
      bool("enableNextExpectedMsgSeqNum");
      return true;
    case "ReconnectInterval": {
      const n = Number(value);
      if (!(n >= 0)) t.notes.push(`ReconnectInterval=${value}: not a number`);
      else {
        s.reconnect = { initialMs: n * 1000, maxMs: n * 1000, factor: 1, jitter: 0 };
        t.notes.push(
          `ReconnectInterval=${value}: fixed ${value} s as in QuickFIX; consider backoff (reconnect.factor: 2, jitter: 0.2)`,
        );
      }
      return true;
    }
    case "StartTime":
      set(s, ["schedule", "start"], value);
      return true;
    case "EndTime":
      set(s, ["schedule", "end"], value);
      return true;
    case "StartDay":
    case "EndDay":
      s[key === "StartDay" ? "_startDay" : "_endDay"] = value;
      return true;
    case "Weekdays":
      s._weekdays = value;
      return true;
    case "TimeZone":
      set(s, ["schedule", "timezone"], value);
      return true;
    case "DataDictionary":
    case "TransportDataDictionary":
      s._dictionary = value;
      return true;
    case "AppDataDictionary":
      s._appDictionary = value;
      return true;
    case "UseDataDictionary": {
      const b = yn(value);
      if (b === false) set(s, ["validation", "enabled"], false);
      else if (b === true) set(s, ["validation", "enabled"], true);
      return true;
    }
    case "ValidateIncomingMessage": {
      if (yn(value) === false) set(s, ["validation", "enabled"], false);
      return true;
    }
    case "ValidateFieldsOutOfOrder":
      if (yn(value) !== undefined) set(s, ["validation", "checkFieldOrder"], yn(value));
      return true;
    case "ValidateFieldsHaveValues":
      if (yn(value) !== undefined) set(s, ["validation", "checkFieldsHaveValues"], yn(value));
      return true;
    case "ValidateUserDefinedFields":
      if (yn(value) !== undefined) set(s, ["validation", "validateUserDefinedFields"], yn(value));
      return true;
    case "AllowUnknownMsgFields":
      if (yn(value) === true) {
        set(s, ["validation", "rejectUndefinedTags"], false);
        set(s, ["validation", "rejectTagsNotInMessage"], false);
      }
      return true;
    case "DefaultApplVerID":
      s.defaultApplVerId = APPL_VER_ID[value] ?? value;
      return true;
    case "TimeStampPrecision":
    case "TimestampPrecision": {
      const p = PRECISION[value.toUpperCase()];
      if (p) s.timestampPrecision = p;
      else t.notes.push(`${key}=${value}: fixg writes s, ms, us or ns; not converted`);
      return true;
    }
    case "MillisecondsInTimeStamp":
      if (yn(value) === false) s.timestampPrecision = "s";
      return true;
    case "Username":
      s.username = value;
      return true;
    case "Password":
      // Never copied into the YAML (no secret written to disk): the output reads it from the environment.
      s._password = true;
      return true;
    case "AllowedRemoteAddresses":
      s.allowedAddresses = value.split(",").map((x) => x.trim()).filter((x) => x);
      return true;
    case "SocketUseSSL":
    case "SSLEnable":
      if (yn(value) === true) s.tls ??= {};
      return true;
    case "NeedClientAuth":
      if (yn(value) === true) set(s, ["tls", "requireClientCert"], true);
      return true;
    case "CertificateVerifyLevel":
      if (Number(value) >= 1 && role() !== "initiator") set(s, ["tls", "requireClientCert"], true);
      return true;
    case "ServerCertificateFile":
    case "ClientCertificateFile":
      set(s, ["tls", "cert"], value);
      return true;
    case "ServerCertificateKeyFile":
    case "ClientCertificateKeyFile":
      set(s, ["tls", "key"], value);
      return true;
    case "CertificationAuthoritiesFile":
    case "CertificateAuthoritiesFile":
      set(s, ["tls", "ca"], value);
      return true;
    case "SNIHostName":
      set(s, ["tls", "serverName"], value);
      return true;
    case "FileStorePath":
      if (t.isDefault || t.global.store === undefined) set(t.global, ["store"], { type: "file", dir: value });
      else if ((t.global.store as Tree).dir !== value) {
        t.notes.push(
          `FileStorePath=${value}: fixg keeps every session in one journal (store.dir); not converted`,
        );
      }
      return true;
    case "SocketNodelay":
    case "SocketTcpNoDelay":
      if (yn(value) !== undefined) set(t.global, ["tuning", "noDelay"], yn(value));
      return true;
    case "SocketReceiveBufferSize":
      set(t.global, ["tuning", "rcvBufBytes"], Number(value));
      return true;
    case "SocketSendBufferSize":
      set(t.global, ["tuning", "sndBufBytes"], Number(value));
      return true;
    case "HttpAcceptPort":
      set(t.global, ["admin", "port"], Number(value));
      t.notes.push(
        `HttpAcceptPort=${value}: the fixg admin endpoint (metrics, health, ready, operator actions with admin.token)`,
      );
      return true;
  }
  const why = NOT_CONVERTED[key];
  if (why !== undefined) {
    const secret = secretSetting(key, value);
    t.notes.push(`${key}${secret ? "" : `=${value}`}: not converted: ${why}`);
    return true;
  }
  return false;
}

/** Turns the collected helper keys (_hosts, _startDay, dictionaries) into fixg keys. */
function finish(
  s: Tree,
  notes: string[],
  beginString: string | undefined,
  locate: (path: string) => string | undefined,
): void {
  if (s._password === true) {
    delete s._password;
    const part = (v: unknown) => String(v ?? "").toUpperCase().replace(/[^A-Z0-9]+/g, "_");
    const name = s.senderCompId === undefined && s.targetCompId === undefined
      ? "FIXG_PASSWORD"
      : `FIXG_PASSWORD_${part(s.senderCompId)}_${part(s.targetCompId)}`;
    s.password = "${" + name + "}";
    notes.push(`Password: not copied; set ${name} in the environment (password: \${${name}})`);
  }
  const hosts = s._hosts as Array<{ host?: string; port?: string }> | undefined;
  delete s._hosts;
  if (hosts) {
    const list: string[] = [];
    if (s.host !== undefined && s.port !== undefined) list.push(`${s.host}:${s.port}`);
    for (const h of hosts) if (h?.host && h.port) list.push(`${h.host}:${h.port}`);
    s.hosts = list;
    delete s.host;
    delete s.port;
  }
  const sd = s._startDay as string | undefined, ed = s._endDay as string | undefined;
  delete s._startDay;
  delete s._endDay;
  if (sd !== undefined || ed !== undefined) {
    const a = day(sd ?? "sun"), b = day(ed ?? "sat");
    if (a === undefined || b === undefined) {
      notes.push(`StartDay/EndDay ${sd}/${ed}: not weekdays, not converted`);
    } else {
      // QuickFIX's StartDay/EndDay is one window a week: open on StartDay at StartTime, close on EndDay
      // at EndTime; sequence numbers reset once a week.
      set(s, ["schedule", "startDay"], DAYS[a]!);
      set(s, ["schedule", "endDay"], DAYS[b]!);
      notes.push(
        `StartDay=${sd} EndDay=${ed}: a weekly session (${DAYS[a]} to ${
          DAYS[b]
        }); sequence numbers reset when it opens`,
      );
    }
  }
  const wd = s._weekdays as string | undefined;
  delete s._weekdays;
  if (wd !== undefined) {
    const days = wd.split(",").map((x) => x.trim()).filter((x) => x !== "");
    const idx = days.map(day);
    if (idx.some((x) => x === undefined) || days.length === 0) {
      notes.push(`Weekdays=${wd}: not weekdays, not converted`);
    } else set(s, ["schedule", "days"], idx.map((i) => DAYS[i!]!));
  }
  for (const k of ["_dictionary", "_appDictionary"] as const) {
    const v = s[k] as string | undefined;
    delete s[k];
    if (v === undefined) continue;
    const base = v.slice(v.lastIndexOf("/") + 1);
    const target = k === "_dictionary" ? "dictionary" : "appDictionary";
    const stock = k === "_dictionary"
      ? STOCK_DICTIONARIES[base]
      : base === "FIX50SP2.xml"
      ? "app"
      : undefined;
    const setting = k === "_dictionary" ? "DataDictionary" : "AppDataDictionary";
    const found = locate(v);
    if (found !== undefined) {
      // The settings name a file that exists: use it, even when its name is a stock one (a venue's
      // customised FIX44.xml keeps its custom fields and validation).
      s[target] = found;
      notes.push(
        `${setting}=${v}: the file the settings name is used${found === v ? "" : ` (found at ${found})`}${
          stock !== undefined ? `; fixg also ships the stock ${base} (dictionary: builtin)` : ""
        }`,
      );
    } else if (
      stock !== undefined && (stock === "app" || beginString === undefined || stock === beginString)
    ) {
      s[target] = "builtin";
      notes.push(
        `${setting}=${v}: not found here; QuickFIX's stock ${base} is shipped with fixg (builtin). ` +
          `If your copy is customised, set ${target}: to its path`,
      );
    } else {
      s[target] = v;
      notes.push(`${setting}=${v}: not found here, path kept as written (fix it before fixg config check)`);
    }
  }
  const byVersion = s._appDictionaries as Record<string, string> | undefined;
  delete s._appDictionaries;
  for (const [version, v] of Object.entries(byVersion ?? {})) {
    const base = v.slice(v.lastIndexOf("/") + 1);
    const setting = `AppDataDictionary.${version}`;
    const found = locate(v);
    if (found !== undefined) {
      set(s, ["appDictionaries", version], found);
      notes.push(
        `${setting}=${v}: appDictionaries.${version}, the file the settings name${
          found === v ? "" : ` (found at ${found})`
        }`,
      );
    } else if (APP_VERSION_FILES[version] === base) {
      set(s, ["appDictionaries", version], "builtin");
      notes.push(
        `${setting}=${v}: not found here; QuickFIX's stock ${base} is shipped with fixg (appDictionaries.${version}: builtin). ` +
          `If your copy is customised, set it to its path`,
      );
    } else {
      set(s, ["appDictionaries", version], v);
      notes.push(`${setting}=${v}: not found here, path kept as written (fix it before fixg config check)`);
    }
  }
}

/**
 * Whether a setting's value must not be copied into a comment: a password (or secret, passphrase) key, or
 * a value carrying credentials (QuickFIX/J's JdbcURL `jdbc:mysql://user:pw@host/db`, `...?password=pw`).
 */
function secretSetting(key: string, value: string): boolean {
  return /password|passphrase|secret|credential/i.test(key) ||
    /\/\/[^/@\s]*:[^/@\s]*@|passw(or)?d=/i.test(value);
}

/** The comment for a setting fixg does not know (a password's value is never copied). */
function unknownSetting(st: Setting): string {
  const shown = secretSetting(st.key, st.value) ? st.key : `${st.key}=${st.value}`;
  return `${shown}: unknown QuickFIX setting (line ${st.line}), not converted`;
}

/**
 * Converts QuickFIX settings text to fixg YAML; `file` names the source in the header and errors.
 * `locate` says where a dictionary file the settings name is found (undefined: not found), so a
 * customised dictionary is kept and a missing stock one becomes fixg's builtin copy.
 */
export function importQuickfix(
  text: string,
  file: string,
  locate: (path: string) => string | undefined = () => undefined,
): string {
  const sections = parseSections(text, file);
  const global: Tree = {};
  const defaults: Tree = {};
  const defaultNotes: string[] = [];
  const sessions: Array<{ s: Tree; notes: string[]; line: number }> = [];
  let defaultRole: string | undefined;
  for (const sec of sections.filter((x) => x.name === "DEFAULT")) {
    const t: Target = { session: defaults, global, notes: defaultNotes, isDefault: true };
    for (const st of sec.settings) {
      if (!convert(st.key, st.value, t, () => defaults.role as string | undefined)) {
        defaultNotes.push(unknownSetting(st));
      }
    }
    defaultRole = defaults.role as string | undefined;
  }
  finish(defaults, defaultNotes, defaults.beginString as string | undefined, locate);
  for (const sec of sections.filter((x) => x.name === "SESSION")) {
    const s: Tree = {};
    const notes: string[] = [];
    const t: Target = { session: s, global, notes, isDefault: false };
    for (const st of sec.settings) {
      if (!convert(st.key, st.value, t, () => (s.role as string | undefined) ?? defaultRole)) {
        notes.push(unknownSetting(st));
      }
    }
    finish(s, notes, (s.beginString ?? defaults.beginString) as string | undefined, locate);
    // A DEFAULT dictionary meant for another version than this session's: use the session's own builtin.
    const begin = (s.beginString ?? defaults.beginString) as string | undefined;
    if (s.dictionary === undefined && defaults.dictionary === "builtin") {
      const dflt = sections.find((x) => x.name === "DEFAULT")?.settings.find((x) =>
        x.key === "DataDictionary"
      )?.value;
      const base = dflt?.slice(dflt.lastIndexOf("/") + 1);
      if (base !== undefined && STOCK_DICTIONARIES[base] !== begin) {
        s.dictionary = "builtin";
        notes.push(
          `the [DEFAULT] DataDictionary ${dflt} is for ${
            STOCK_DICTIONARIES[base]
          }: fixg's builtin ${begin} dictionary is used`,
        );
      }
    }
    sessions.push({ s: ordered(s), notes, line: sec.line });
  }
  const out: string[] = [
    `# fixg configuration converted from ${file} by "fixg config import-quickfix".`,
    `# Check it with "fixg config check"; the reference is docs/configuration.md.`,
  ];
  if (global.store === undefined) global.store = { type: "file", dir: "./fixg-journal" };
  for (const k of ["store", "tuning", "admin"]) {
    if (global[k] !== undefined) emit({ [k]: global[k] }, "", out);
  }
  if (defaultNotes.length > 0) {
    out.push("# From [DEFAULT]:");
    for (const n of defaultNotes) out.push(`#   ${n}`);
  }
  if (Object.keys(defaults).length > 0) emit({ defaults: ordered(defaults) }, "", out);
  out.push("sessions:");
  for (const { s, notes, line } of sessions) {
    out.push(`  # [SESSION] at line ${line}`);
    for (const n of notes) out.push(`  #   ${n}`);
    if (Object.keys(s).length === 0) out.push("  - {}");
    else emit(s, "    ", out, "  - ");
  }
  return out.join("\n") + "\n";
}
