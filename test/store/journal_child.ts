/**
 * Child process of the kill -9 test: appends a continuous burst of outbound and inbound messages to
 * a journal and prints "acked OUT IN" after each batch is durable (its promise resolved or flush()
 * done). The parent kills it with SIGKILL in the middle of a burst.
 *
 * Usage: deno run -A journal_child.ts DIR POLICY
 */
import { FileJournal, type FsyncPolicy } from "../../src/store/journal.ts";
import { fixedMessage, KEY } from "./helpers.ts";

const [dir, policy] = Deno.args as [string, FsyncPolicy];
const journal = await FileJournal.open({
  dir,
  fsync: policy,
  batchMicros: 200,
  segmentBytes: 256 * 1024,
  onWarning: () => {},
});
const s = await journal.openSession(KEY, Date.now());
let { nextSenderSeq: out, nextTargetSeq: inn } = s.seqNums();
const enc = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));
say(`start ${out} ${inn}`);
for (;;) {
  for (let k = 0; k < 200; k++) {
    void s.appendOutbound(out, fixedMessage(out, "out"));
    out++;
    if (k % 2 === 0) {
      void s.appendInbound(inn, fixedMessage(inn, "in"));
      inn++;
    }
  }
  await s.flush();
  say(`acked ${out - 1} ${inn - 1}`);
}
