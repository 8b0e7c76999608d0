/** Helpers of the `fixg journal` tests: output capture, snapshot files, running the real CLI. */
import assert from "node:assert/strict";
import type { CommandOutput } from "../../commands/journal.ts";
import { tempDir } from "../store/helpers.ts";
import { writeFixtureJournal } from "./journal_fixture.ts";
import { fixgOutput, ROOT } from "../_helpers/mod.ts";

/** Collects what a command prints. */
export function capture(): { out: CommandOutput; text: () => string; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  const out: CommandOutput = {
    text: (s) => parts.push(enc.encode(s)),
    bytes: (b) => parts.push(b.slice()),
  };
  const bytes = () => {
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return all;
  };
  return { out, bytes, text: () => new TextDecoder().decode(bytes()) };
}

/**
 * Compares `actual` with test/commands/snapshots/NAME (temp directory paths replaced by <dir>).
 * UPDATE_SNAPSHOTS=1 rewrites the file instead; review the diff before committing it.
 */
export function assertSnapshot(name: string, actual: string, dir?: string): void {
  const text = dir === undefined ? actual : actual.replaceAll(dir, "<dir>");
  const path = `${ROOT}test/commands/snapshots/${name}`;
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    Deno.mkdirSync(`${ROOT}test/commands/snapshots`, { recursive: true });
    Deno.writeTextFileSync(path, text);
    return;
  }
  let expected: string;
  try {
    expected = Deno.readTextFileSync(path);
  } catch {
    throw new Error(`snapshot ${path} is missing: run the test with UPDATE_SNAPSHOTS=1 and review it`);
  }
  assert.equal(text, expected, `output differs from snapshot ${name}`);
}

/** A fresh copy of the fixture journal in a temporary directory. */
export async function fixtureJournal(): Promise<string> {
  const dir = tempDir("fixg-journal-cmd-");
  await writeFixtureJournal(dir);
  return dir;
}

/** Runs `./fixg ARGS` and returns its exit code and output. */
export function fixg(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return fixgOutput(args);
}
