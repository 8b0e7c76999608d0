/**
 * Writes the per-version conformance scenarios: fixtures/conformance/fix40, fix41, fix43,
 * fixt11_fix50, fixt11_fix50sp1 and fixt11_fix50sp2. One template per case, one directory per
 * version; what differs between versions (BeginString, ResetSeqNumFlag from FIX 4.1, EndSeqNo
 * "infinity" 999999 before FIX 4.2 and 0 after, TransactTime in NewOrderSingle from FIX 4.2,
 * DefaultApplVerID 1137 on FIXT 1.1 Logons) is filled in here.
 *
 * Run: ./deno run --allow-write scripts/gen_version_scenarios.ts   (then commit the .def files)
 */

interface Version {
  dir: string;
  begin: string;
  /** Two-letter tag for CompIDs (each scenario has its own client CompID). */
  short: string;
  /** FIX 4.1 and later have ResetSeqNumFlag (141). */
  reset: boolean;
  /** EndSeqNo meaning "up to the last": 999999 before FIX 4.2, 0 from FIX 4.2. */
  infinity: string;
  /** NewOrderSingle requires TransactTime (60) from FIX 4.2 (FIX 4.3 here). */
  transactTime: boolean;
  /** FIXT 1.1: the DefaultApplVerID (1137) of the Logon. */
  applVerId?: string;
  label: string;
}

const VERSIONS: Version[] = [
  {
    dir: "fix40",
    begin: "FIX.4.0",
    short: "40",
    reset: false,
    infinity: "999999",
    transactTime: false,
    label: "FIX.4.0",
  },
  {
    dir: "fix41",
    begin: "FIX.4.1",
    short: "41",
    reset: true,
    infinity: "999999",
    transactTime: false,
    label: "FIX.4.1",
  },
  {
    dir: "fix43",
    begin: "FIX.4.3",
    short: "43",
    reset: true,
    infinity: "0",
    transactTime: true,
    label: "FIX.4.3",
  },
  {
    dir: "fixt11_fix50",
    begin: "FIXT.1.1",
    short: "50",
    reset: true,
    infinity: "0",
    transactTime: true,
    applVerId: "7",
    label: "FIXT.1.1 with FIX.5.0 (DefaultApplVerID 7)",
  },
  {
    dir: "fixt11_fix50sp1",
    begin: "FIXT.1.1",
    short: "51",
    reset: true,
    infinity: "0",
    transactTime: true,
    applVerId: "8",
    label: "FIXT.1.1 with FIX.5.0SP1 (DefaultApplVerID 8)",
  },
  {
    dir: "fixt11_fix50sp2",
    begin: "FIXT.1.1",
    short: "52",
    reset: true,
    infinity: "0",
    transactTime: true,
    applVerId: "9",
    label: "FIXT.1.1 with FIX.5.0SP2 (DefaultApplVerID 9)",
  },
];

/** One scenario: its file name, comment and body lines, given the version helpers. */
interface Case {
  name: string;
  about: string;
  lines: (h: Helpers) => string[];
}

interface Helpers {
  v: Version;
  /** I line: a message from the client (the scenario) to the acceptor ISLD. */
  i: (fields: string) => string;
  /** E line: a message from the acceptor to the client. */
  e: (fields: string) => string;
  /** The Logon fields after MsgType/header: 98, 108, [141], [1137]. */
  logonBody: string;
  /** Header for a client message with MsgSeqNum n (34, 49, 52, 56 in ascending order). */
  /** A message with MsgSeqNum n: body fields, then extra header fields ("43=Y", "122=<TIME>"). */
  ours: (type: string, n: number, body?: string, ...extra: string[]) => string;
  theirs: (type: string, n: number, body?: string, ...extra: string[]) => string;
  order: string;
}

const CASES: Case[] = [
  {
    name: "1S_a_valid_logon",
    about:
      "a valid Logon is answered with a Logon (same HeartBtInt, EncryptMethod 0{reply}); a Heartbeat is taken in sequence, a TestRequest answered with its TestReqID, a Logout with a Logout.",
    lines: (h) => [
      "iCONNECT",
      h.i(h.ours("A", 1, h.logonBody)),
      h.e(h.theirs("A", 1, h.logonBody)),
      h.i(h.ours("0", 2)),
      h.i(h.ours("1", 3, `112=${h.v.short}-1SA|`)),
      h.e(h.theirs("0", 2, `112=${h.v.short}-1SA|`)),
      "# log out",
      h.i(h.ours("5", 4)),
      h.e(h.theirs("5", 3)),
      "iDISCONNECT",
    ],
  },
  {
    name: "2a_app_message_echo",
    about:
      "application messages with the expected MsgSeqNum are accepted, validated against this version's dictionary, and the echo application sends each NewOrderSingle back.",
    lines: (h) => [
      "iCONNECT",
      h.i(h.ours("A", 1, h.logonBody)),
      h.e(h.theirs("A", 1, h.logonBody)),
      h.i(h.ours("D", 2, h.order.replace("ID", `${h.v.short}-2A-1`))),
      h.e(h.theirs("D", 2, h.order.replace("ID", `${h.v.short}-2A-1`))),
      h.i(h.ours("D", 3, h.order.replace("ID", `${h.v.short}-2A-2`))),
      h.e(h.theirs("D", 3, h.order.replace("ID", `${h.v.short}-2A-2`))),
      "# log out",
      h.i(h.ours("5", 4)),
      h.e(h.theirs("5", 4)),
      "iDISCONNECT",
    ],
  },
  {
    name: "2b_seq_too_high",
    about:
      "a MsgSeqNum higher than expected gets a ResendRequest from the expected number to {infinity}; the message is queued and processed once a SequenceReset-GapFill fills the gap.",
    lines: (h) => [
      "iCONNECT",
      h.i(h.ours("A", 1, h.logonBody)),
      h.e(h.theirs("A", 1, h.logonBody)),
      "# 2 and 3 are missing",
      h.i(h.ours("1", 4, `112=${h.v.short}-2B|`)),
      h.e(h.theirs("2", 2, `7=2|16=${h.v.infinity}|`)),
      h.i(h.ours("4", 2, "36=4|123=Y|", "43=Y", "122=<TIME>")),
      "# the queued TestRequest (4) is processed now",
      h.e(h.theirs("0", 3, `112=${h.v.short}-2B|`)),
      "# log out",
      h.i(h.ours("5", 5)),
      h.e(h.theirs("5", 4)),
      "iDISCONNECT",
    ],
  },
  {
    name: "2c_seq_too_low",
    about:
      'a MsgSeqNum lower than expected without PossDupFlag: Logout with Text "MsgSeqNum too low, expecting X but received Y", then disconnect.',
    lines: (h) => [
      "iCONNECT",
      h.i(h.ours("A", 1, h.logonBody)),
      h.e(h.theirs("A", 1, h.logonBody)),
      h.i(h.ours("1", 1, `112=${h.v.short}-2C|`)),
      h.e(h.theirs("5", 2, "58=MsgSeqNum too low, expecting 2 but received 1|")),
      "eDISCONNECT",
    ],
  },
  {
    name: "8_resend_request",
    about:
      "a ResendRequest up to {infinity} is answered from the store: the admin messages sent (Logon, Heartbeat) are replaced by one SequenceReset-GapFill with PossDupFlag=Y and OrigSendingTime.",
    lines: (h) => [
      "iCONNECT",
      h.i(h.ours("A", 1, h.logonBody)),
      h.e(h.theirs("A", 1, h.logonBody)),
      h.i(h.ours("1", 2, `112=${h.v.short}-8|`)),
      h.e(h.theirs("0", 2, `112=${h.v.short}-8|`)),
      h.i(h.ours("2", 3, `7=1|16=${h.v.infinity}|`)),
      h.e(h.theirs("4", 1, "36=3|123=Y|", "43=Y", "122=<TIME>")),
      "# log out",
      h.i(h.ours("5", 4)),
      h.e(h.theirs("5", 3)),
      "iDISCONNECT",
    ],
  },
];

/**
 * A message: BeginString, MsgType, then the header fields in ascending tag order (34, 43, 49, 52, 56,
 * 122), then the body.
 */
function message(
  v: Version,
  type: string,
  seq: number,
  sender: string,
  target: string,
  body: string,
  extra: string[],
): string {
  const header: Array<[number, string]> = [[34, String(seq)], [49, sender], [52, "<TIME>"], [56, target]];
  for (const x of extra) {
    const eq = x.indexOf("=");
    header.push([Number(x.slice(0, eq)), x.slice(eq + 1)]);
  }
  header.sort((a, b) => a[0] - b[0]);
  return `8=${v.begin}|35=${type}|${header.map(([t, val]) => `${t}=${val}|`).join("")}${body}`;
}

for (const v of VERSIONS) {
  const dir = new URL(`../fixtures/conformance/${v.dir}/`, import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  for (const c of CASES) {
    const client = `V${v.short}_${c.name.split("_")[0]!.toUpperCase()}`;
    const logonBody = `98=0|108=30|${v.reset ? "141=Y|" : ""}${v.applVerId ? `1137=${v.applVerId}|` : ""}`;
    const order = `11=ID|21=1|38=100|40=1|54=1|55=IBM|${v.transactTime ? "60=<TIME>|" : ""}`;
    const h: Helpers = {
      v,
      i: (f) => `I${f}`,
      e: (f) => `E${f}`,
      logonBody,
      order,
      ours: (type, n, body = "", ...extra) => message(v, type, n, client, "ISLD", body, extra),
      theirs: (type, n, body = "", ...extra) => message(v, type, n, "ISLD", client, body, extra),
    };
    const about = c.about
      .replace("{reply}", v.reset ? ", ResetSeqNumFlag echoed" : "")
      .replace("{infinity}", v.infinity === "0" ? "0 (infinity)" : "999999 (infinity before FIX 4.2)");
    const comment = wrap(`${c.name.split("_")[0]} (M), ${v.label}: ${about}`, 100).map((l) => `# ${l}`);
    const text = [
      ...comment,
      "# Generated by scripts/gen_version_scenarios.ts: change the template there, not this file.",
      "#!mode=acceptor",
      "",
      ...c.lines(h),
      "",
    ].join("\n");
    await Deno.writeTextFile(new URL(`${c.name}.def`, dir), text);
  }
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") out.push(line);
  return out;
}
