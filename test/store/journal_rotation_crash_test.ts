/**
 * A process crash during a rotation, after the next segment's file was created and before its first
 * write (same boot): the journal holds every record written, so the next start resumes exactly after
 * them, nothing skipped. The crash image is taken at the new segment's first write(2), as the disk is
 * then. Before, the old segment's index was already written at that point, and the start took the sealed
 * newest segment for a deleted one (de6dc89's rule) and skipped the rest of the session's reservation.
 */
import assert from "node:assert/strict";
import { JOURNAL_FILE_MODE, segmentFileName } from "../../src/store/format.ts";
import type { OpenSegmentFile } from "../../src/store/journal.ts";
import { crashImage, fixedMessage, KEY, openJournal, T0, tempDir } from "./helpers.ts";

Deno.test("a crash between creating the next segment and writing it (a rotation): nothing skipped", async () => {
  const dir = tempDir();
  let image: string | undefined;
  const openSegmentFile: OpenSegmentFile = (path) => {
    const f = Deno.openSync(path, { write: true, createNew: true, mode: JOURNAL_FILE_MODE });
    const rotated = path.endsWith(segmentFileName(2));
    return {
      writeSync: (p) => {
        if (rotated && image === undefined) image = crashImage(dir);
        return f.writeSync(p);
      },
      syncData: () => f.syncData(),
      close: () => f.close(),
    };
  };
  const { journal } = await openJournal(dir, { seqReserve: 100, segmentBytes: 4096, openSegmentFile });
  const s = await journal.openSession(KEY, T0);
  let seq = 1;
  while (image === undefined) {
    void s.appendOutbound(seq, fixedMessage(seq++, "out"));
    await s.flush();
  }
  await journal.close();
  // Segment 2 is in the image, created and empty; every record up to the rotation is in segment 1.
  assert.equal(Deno.statSync(`${image}/${segmentFileName(2)}`).size, 0);
  const { journal: again, warnings } = await openJournal(image, { seqReserve: 100, segmentBytes: 4096 });
  // The message whose record went to segment 2 was never written, so never sent: it is handed out next.
  assert.deepEqual(again.sessions().map((x) => x.nextSenderSeq), [seq - 1]);
  assert.ok(!warnings.some((w) => w.includes("may have reached")), warnings.join("\n"));
  await again.close();
});
