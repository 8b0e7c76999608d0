/**
 * `fixg journal inspect|export --config FILE` takes the config's `log.maskTags` without needing the rest
 * of the file's `${VAR}`s: a fixg.yaml whose password or admin token comes from the gateway's environment
 * (as docs/operations.md advises) was refused in an operator's shell ('environment variable ... is not
 * set', exit 2), so masking by the config asked for the secrets to be exported first.
 */
import assert from "node:assert/strict";
import { fixgOutput, tempDir } from "../_helpers/mod.ts";
import { writeFixtureJournal } from "./journal_fixture.ts";

Deno.test("journal inspect/export --config: log.maskTags applied; the file's other ${VAR}s need not be set", async () => {
  await using dir = await tempDir("fixg-journal-config-mask-");
  const journal = `${dir.path}/journal`;
  await Deno.mkdir(journal);
  await writeFixtureJournal(journal);
  const config = `${dir.path}/fixg.yaml`;
  await Deno.writeTextFile(
    config,
    `log: { maskTags: [55] }\nadmin: { port: 9100, token: "\${FIXG_TEST_UNSET_TOKEN_X}" }\nsessions:\n` +
      `  - { role: initiator, senderCompId: FIXG, targetCompId: LP1, host: h, port: 1, password: "\${FIXG_TEST_UNSET_PW_X}" }\n`,
  );
  const inspect = await fixgOutput([
    "journal",
    "inspect",
    journal,
    "--config",
    config,
    "--type",
    "D",
    "--json",
  ]);
  assert.equal(inspect.code, 0, inspect.stderr);
  const first = JSON.parse(inspect.stdout.split("\n")[0]!);
  const symbol = first.message.fields.find((f: { tag: number }) => f.tag === 55);
  assert.equal(symbol.value, "***");
  const exported = await fixgOutput([
    "journal",
    "export",
    journal,
    "--config",
    config,
    "--format",
    "fix",
    "--type",
    "D",
  ]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.ok(exported.stdout.includes("35=D"), exported.stdout);
  assert.ok(exported.stdout.split("\n").every((l) => l === "" || l.split("\x01").includes("55=***")));
  assert.doesNotMatch(exported.stdout, /EUR\/USD/);
  // A bad log.maskTags is still refused with the key; an unset variable inside log still is too.
  await Deno.writeTextFile(config, `log: { maskTags: "\${FIXG_TEST_UNSET_TAGS_X}" }\n`);
  const unset = await fixgOutput(["journal", "inspect", journal, "--config", config]);
  assert.equal(unset.code, 2, unset.stderr);
  assert.equal(
    unset.stderr,
    `fixg: ${config}: log.maskTags: environment variable FIXG_TEST_UNSET_TAGS_X is not set\n`,
  );
});
