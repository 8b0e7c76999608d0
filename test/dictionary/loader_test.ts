import assert from "node:assert/strict";
import { DictionaryError } from "../../src/errors.ts";
import {
  BUILTIN_DICTIONARY_FILES,
  builtinDictionary,
  builtinDictionaryPath,
  type Dictionary,
  type GroupDef,
  loadDictionary,
  type MessageDef,
  parseDictionary,
  validate,
} from "../../src/dictionary/mod.ts";
import { viewOf } from "../codec/frames.ts";

function group(def: MessageDef | GroupDef, countTag: number): GroupDef {
  const g = def.groupsByCountTag.get(countTag);
  assert.ok(g, `group ${countTag}`);
  return g;
}

Deno.test("every shipped dictionary loads with the expected numbers of fields and messages", () => {
  const expected: Record<string, [string, number, number]> = {
    "FIX40.xml": ["FIX.4.0", 138, 27],
    "FIX41.xml": ["FIX.4.1", 206, 28],
    "FIX42.xml": ["FIX.4.2", 405, 46],
    "FIX43.xml": ["FIX.4.3", 635, 68],
    "FIX44.xml": ["FIX.4.4", 912, 93],
    "FIX50.xml": ["FIX.5.0", 1090, 93],
    "FIX50SP1.xml": ["FIX.5.0SP1", 1373, 105],
    "FIX50SP2.xml": ["FIX.5.0SP2", 1452, 108],
    "FIXT11.xml": ["FIXT.1.1", 62, 7],
  };
  for (const [file, [begin, fields, messages]] of Object.entries(expected)) {
    const d = loadDictionary(builtinDictionaryPath(file));
    assert.equal(d.beginString, begin, file);
    assert.equal(d.fieldsByTag.size, fields, file);
    assert.equal(d.fieldsByName.size, fields, file);
    assert.equal(d.messagesByType.size, messages, file);
    assert.equal(d.messagesByName.size, messages, file);
    assert.equal(d.source, builtinDictionaryPath(file));
  }
  for (const begin of Object.keys(BUILTIN_DICTIONARY_FILES)) assert.ok(builtinDictionary(begin));
});

Deno.test("FIX 4.4 model: fields, enums, header, trailer, required tags, categories", () => {
  const d = builtinDictionary("FIX.4.4");
  assert.deepEqual([d.major, d.minor, d.servicePack], [4, 4, 0]);
  const side = d.fieldsByTag.get(54)!;
  assert.equal(side.name, "Side");
  assert.equal(side.type, "CHAR");
  assert.equal(side.enums.get("1"), "BUY");
  assert.equal(d.fieldsByName.get("OrderQty")?.tag, 38);
  assert.equal(d.fieldsByTag.get(38)?.enums.size, 0);
  assert.deepEqual([...d.header.requiredTags], [8, 9, 35, 49, 56, 34, 52]);
  assert.deepEqual([...d.trailer.requiredTags], [10]);
  assert.deepEqual(d.trailer.members.map((m) => m.kind === "field" ? m.tag : -1), [93, 89, 10]);
  const nos = d.messagesByType.get("D")!;
  assert.equal(nos.name, "NewOrderSingle");
  assert.equal(nos.category, "app");
  assert.equal(d.messagesByName.get("Logon")?.category, "admin");
  for (const t of [11, 54, 60, 40]) assert.ok(nos.requiredTags.has(t), `NOS requires ${t}`);
  assert.ok(!nos.requiredTags.has(55), "Symbol is optional in FIX 4.4's Instrument");
  assert.ok(nos.topLevelTags.has(55) && nos.topLevelTags.has(453) && !nos.topLevelTags.has(448));
  // Header group NoHops.
  assert.equal(group(d.header, 627).delimiterTag, 628);
});

Deno.test("components are flattened and nested repeating groups keep delimiter and all tags", () => {
  const d = builtinDictionary("FIX.4.4");
  const cross = d.messagesByName.get("NewOrderCross")!;
  const sides = group(cross, 552);
  assert.equal(sides.name, "NoSides");
  assert.equal(sides.delimiterTag, 54);
  assert.ok(sides.requiredTags.has(54) && sides.requiredTags.has(11));
  const parties = group(sides, 453);
  assert.equal(parties.delimiterTag, 448);
  const subIds = group(parties, 802);
  assert.equal(subIds.delimiterTag, 523);
  for (const t of [448, 447, 452, 802, 523, 803]) assert.ok(sides.allTags.has(t), `NoSides holds ${t}`);
  assert.ok(parties.allTags.has(523) && !parties.allTags.has(54));
  // The same component's group is one object wherever it is used.
  assert.equal(group(d.messagesByType.get("D")!, 453), parties);

  const incr = d.messagesByName.get("MarketDataIncrementalRefresh")!;
  const entries = group(incr, 268);
  assert.equal(entries.delimiterTag, 279);
  assert.ok(entries.allTags.has(269) && entries.allTags.has(270) && entries.allTags.has(55));
  assert.ok(cross.requiredTags.has(552));
});

Deno.test("FIXT.1.1 combines the transport dictionary with FIX 5.0 SP2 application messages", () => {
  const d = builtinDictionary("FIXT.1.1");
  assert.equal(d.beginString, "FIXT.1.1");
  assert.equal(d.messagesByType.get("A")?.category, "admin");
  assert.equal(d.messagesByType.get("D")?.name, "NewOrderSingle");
  assert.ok(d.header.topLevelTags.has(1128));
  assert.equal(d.messagesByType.size, 115);
  assert.equal(builtinDictionary("FIXT.1.1"), d, "cached");
});

Deno.test("loadDictionary caches by path; unknown BeginString and missing file are DictionaryErrors", () => {
  const p = builtinDictionaryPath("FIX42.xml");
  assert.equal(loadDictionary(p), loadDictionary(p));
  assert.throws(() => builtinDictionary("FIX.9.9"), (e: unknown) => {
    assert.ok(e instanceof DictionaryError);
    assert.match(e.message, /No built-in dictionary for BeginString "FIX\.9\.9"/);
    assert.equal(e.exitCode, 2);
    return true;
  });
  assert.throws(() => loadDictionary("/nonexistent/venue.xml"), (e: unknown) => {
    assert.ok(e instanceof DictionaryError);
    assert.match(e.message, /^Cannot read dictionary "\/nonexistent\/venue\.xml": /);
    return true;
  });
});

const VENUE = `<?xml version='1.0' encoding='UTF-8'?>
<!-- A venue's own dictionary: FIX 4.4 style, with custom fields and a custom message. -->
<fix type='FIX' major='4' minor='4' servicepack='0'>
 <header>
  <field name='BeginString' required='Y'/>
  <field name='BodyLength' required='Y'/>
  <field name='MsgType' required='Y'/>
  <field name='SenderCompID' required='Y'/>
  <field name='TargetCompID' required='Y'/>
  <field name='MsgSeqNum' required='Y'/>
  <field name='SendingTime' required='Y'/>
 </header>
 <trailer>
  <field name='CheckSum' required='Y'/>
 </trailer>
 <messages>
  <message name="VenueQuote" msgtype="U1" msgcat="app">
   <field name="QuoteRef" required="Y"/>
   <component name="Legs" required="Y"/>
   <field name="Note" required="N"/>
  </message>
 </messages>
 <components>
  <component name="Legs">
   <group name="NoVenueLegs" required="Y">
    <field name="LegRef" required="Y"/>
    <field name="LegPx" required="Y"/>
   </group>
  </component>
 </components>
 <fields>
  <field number='8' name='BeginString' type='STRING'/>
  <field number='9' name='BodyLength' type='LENGTH'/>
  <field number='10' name='CheckSum' type='STRING'/>
  <field number='34' name='MsgSeqNum' type='SEQNUM'/>
  <field number='35' name='MsgType' type='STRING'/>
  <field number='49' name='SenderCompID' type='STRING'/>
  <field number='52' name='SendingTime' type='UTCTIMESTAMP'/>
  <field number='56' name='TargetCompID' type='STRING'/>
  <field number='20001' name='QuoteRef' type='STRING'/>
  <field number='20002' name='NoVenueLegs' type='NUMINGROUP'/>
  <field number='20003' name='LegRef' type='STRING'/>
  <field number='20004' name='LegPx' type='PRICE'/>
  <field number='20005' name='Note' type='STRING'>
   <value enum='A&amp;B' description='A and B'/>
   <value enum='&#67;' description="C &quot;quoted&quot;"/>
  </field>
 </fields>
</fix>
`;

Deno.test("a custom (venue) dictionary loads the same way and validates its own messages", () => {
  const d: Dictionary = parseDictionary(VENUE, "venue.xml");
  assert.equal(d.source, "venue.xml");
  const q = d.messagesByType.get("U1")!;
  assert.equal(q.name, "VenueQuote");
  assert.deepEqual([...q.requiredTags], [20001, 20002]);
  assert.deepEqual([...d.fieldsByTag.get(20005)!.enums], [["A&B", "A and B"], ["C", 'C "quoted"']]);
  const head = "35=U1|49=V|56=ME|34=5|52=20261122-01:02:03.045";
  assert.equal(
    validate(viewOf(`${head}|20001=q1|20002=2|20003=a|20004=1.5|20003=b|20004=2|20005=C`), d),
    undefined,
  );
  assert.deepEqual(
    validate(viewOf(`${head}|20001=q1|20002=1|20003=a|20005=A&B`), d),
    { reason: 1, refTagId: 20004, text: "Required tag missing" },
  );
  assert.equal(validate(viewOf(`${head}|20001=q1|20002=1|20003=a|20004=x`), d)?.reason, 6);
});

/** Asserts that loading `xml` fails with a DictionaryError whose message is exactly `message`. */
function loadFails(xml: string, message: string | RegExp): void {
  assert.throws(() => parseDictionary(xml, "bad.xml"), (e: unknown) => {
    assert.ok(e instanceof DictionaryError, String(e));
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

Deno.test("invalid dictionaries name the file, the line and the element", () => {
  const lines = VENUE.split("\n");
  const at = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
  const edit = (from: string, to: string) => VENUE.replace(from, to);

  // XML syntax.
  loadFails(
    edit(`<field name="Note" required="N"/>`, `<field name="Note" required="N">`),
    `bad.xml:${
      at("</message>")
    }: malformed XML in <field>: closing tag </message> does not match <field> opened on line ${
      at('name="Note" required')
    }`,
  );
  loadFails(
    edit(`<field name="LegPx" required="Y"/>`, `<field name="LegPx" required="Y"`),
    `bad.xml:${
      at('name="LegPx"')
    }: malformed XML in <field>: start tag <field> is not closed with '>' or '/>'`,
  );
  loadFails(
    edit(`<field name="LegPx" required="Y"/>`, `<field name="LegPx"required="Y"/>`),
    `bad.xml:${
      at('name="LegPx"')
    }: malformed XML in <field>: expected whitespace before an attribute in <field>`,
  );
  loadFails(
    edit(`msgtype="U1"`, `msgtype="U1`),
    new RegExp(`^bad\\.xml:${at('msgtype="U1"')}: malformed XML in <message>: `),
  );
  loadFails(
    VENUE.replace("</fix>", ""),
    /^bad\.xml:\d+: malformed XML in <fix>: element <fix> is not closed/,
  );
  loadFails(VENUE + "<extra/>", /^bad\.xml:\d+: malformed XML in <extra>: second root element <extra>/);
  loadFails(
    edit("A&amp;B", "A&B"),
    `bad.xml:${at("A&amp;B")}: malformed XML in <value>: unterminated entity '&B'`,
  );

  // Model errors.
  loadFails(
    edit(`<field name="Note" required="N"/>`, `<field name="Nope" required="N"/>`),
    `bad.xml:${at('name="Note" required')}: <field name='Nope'>: field 'Nope' is not defined in <fields>`,
  );
  loadFails(
    edit(`<component name="Legs" required="Y"/>`, `<component name="Lags" required="Y"/>`),
    `bad.xml:${
      at('<component name="Legs" required')
    }: <component name='Lags'>: component 'Lags' is not defined in <components>`,
  );
  loadFails(
    edit(
      `<field number='20005' name='Note' type='STRING'>`,
      `<field number='20004' name='Note' type='STRING'>`,
    ),
    `bad.xml:${at("number='20005'")}: <field name='Note' number='20004'>: field number 20004 defined twice`,
  );
  loadFails(
    edit(`<field number='20003' name='LegRef' type='STRING'/>`, `<field number='20003' name='LegRef'/>`),
    `bad.xml:${at("number='20003'")}: <field name='LegRef' number='20003'>: missing attribute 'type'`,
  );
  loadFails(
    edit(`<field name="QuoteRef" required="Y"/>`, `<field name="QuoteRef" required="yes"/>`),
    `bad.xml:${
      at('name="QuoteRef" required')
    }: <field name='QuoteRef'>: attribute required='yes' must be Y or N`,
  );
  loadFails(
    edit(`<field name="LegPx" required="Y"/>`, `<field name="LegPx" required="Y"/><component name="Legs"/>`),
    `bad.xml:${at('<component name="Legs">')}: <component name='Legs'>: component 'Legs' contains itself`,
  );
  loadFails(
    edit(
      `<field name="LegRef" required="Y"/>\n    <field name="LegPx" required="Y"/>`,
      "",
    ),
    `bad.xml:${
      at('<group name="NoVenueLegs"')
    }: <group name='NoVenueLegs'>: group 'NoVenueLegs' has no fields`,
  );
  loadFails(
    edit(`<field name="Note" required="N"/>`, `<field name="QuoteRef" required="N"/>`),
    `bad.xml:${
      at('<message name="VenueQuote"')
    }: <message name='VenueQuote'>: field 'QuoteRef' appears more than once at one level`,
  );
  loadFails(
    edit(`msgcat="app"`, `msgcat="other"`),
    `bad.xml:${
      at('<message name="VenueQuote"')
    }: <message name='VenueQuote'>: msgcat='other' must be admin or app`,
  );
  loadFails(
    "<fix major='4' minor='4'><fields/></fix",
    /^bad\.xml:1: malformed XML/,
  );
  loadFails(
    "<fix major='4' minor='x'><fields/></fix>",
    "bad.xml:1: <fix>: attribute minor='x' must be a non-negative integer",
  );
  loadFails("<fox/>", "bad.xml:1: <fox>: the root element must be <fix>");
  loadFails("", "bad.xml:1: malformed XML: no root element");
});

Deno.test("loader errors through loadDictionary name the file path", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/venue.xml`;
    Deno.writeTextFileSync(path, VENUE.replace(`name="LegRef"`, `name="LegRefX"`));
    assert.throws(() => loadDictionary(path), (e: unknown) => {
      assert.ok(e instanceof DictionaryError);
      const line = VENUE.split("\n").findIndex((l) => l.includes(`name="LegRef"`)) + 1;
      assert.equal(
        e.message,
        `${path}:${line}: <field name='LegRefX'>: field 'LegRefX' is not defined in <fields>`,
      );
      return true;
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
