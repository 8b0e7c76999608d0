/**
 * The start cannot keep a torn tail in quarantine/ (a full disk or a quota once the write probe passed;
 * here a file named `quarantine` in the way): one line, EnvironmentError (exit 2), the segment unchanged,
 * and the next start, the cause removed, truncates it as usual. Before: "fixg: internal error:
 * AlreadyExists ..." and a stack trace (exit 1).
 */
import assert from "node:assert/strict";
import { EnvironmentError } from "../../src/errors.ts";
import { segmentFileName } from "../../src/store/format.ts";
import { crashImage, fixedMessage, KEY, openJournal, T0, tempDir } from "./helpers.ts";

Deno.test("a torn tail that cannot be kept in quarantine/: one line, exit 2, nothing cut", async () => {
  const dir = tempDir();
  const { journal } = await openJournal(dir);
  const s = await journal.openSession(KEY, T0);
  for (let seq = 1; seq <= 10; seq++) void s.appendOutbound(seq, fixedMessage(seq, "out"));
  await s.flush();
  const image = crashImage(dir);
  await journal.close();
  const seg = `${image}/${segmentFileName(1)}`;
  const size = Deno.statSync(seg).size;
  Deno.truncateSync(seg, size - 7); // the last record cut short
  const bytes = Deno.readFileSync(seg);
  Deno.writeFileSync(`${image}/quarantine`, new Uint8Array(0));

  const err = await openJournal(image).then(() => undefined, (e) => e);
  assert.ok(err instanceof EnvironmentError, String(err));
  assert.equal(err.exitCode, 2);
  assert.equal(
    err.message,
    `Journal "${image}": cannot keep the torn bytes of ${
      segmentFileName(1)
    } in "${image}/quarantine": File exists (os error 17); ${segmentFileName(1)} is unchanged`,
  );
  assert.deepEqual(Deno.readFileSync(seg), bytes);

  Deno.removeSync(`${image}/quarantine`);
  const again = await openJournal(image);
  assert.equal(again.journal.sessions()[0]!.nextSenderSeq, 10);
  assert.equal(Deno.statSync(`${image}/quarantine/${segmentFileName(1)}@${size - 248}.torn`).size, 241);
  await again.journal.close();
});
