/**
 * Helpers for the interop tests: the external peers (QuickFIX C++ built by
 * scripts/install_quickfix.sh, jspurefix under Node) started as child processes. See docs/peers.md.
 *
 * A test that needs a peer skips with the reason when it is not available:
 *
 * ```ts
 * Deno.test({ name: "...", ignore: QUICKFIX_MISSING !== undefined, fn: async () => { ... } });
 * ```
 */
import {
  jspurefixUnavailable,
  quickfixInitiatorCommand,
  type QuickfixInitiatorOptions,
  type QuickfixInitiatorSummary,
  quickfixUnavailable,
  runPeerClient,
} from "../../bench/peers/peer_process.ts";

export * from "../../bench/peers/peer_process.ts";

/** Why the QuickFIX peers cannot run (printed once), or undefined when they can. */
export const QUICKFIX_MISSING: string | undefined = quickfixUnavailable();

/** Why the jspurefix peers cannot run (printed once), or undefined when they can. */
export const JSPUREFIX_MISSING: string | undefined = jspurefixUnavailable();

if (QUICKFIX_MISSING !== undefined) console.warn(`interop: QuickFIX tests skipped: ${QUICKFIX_MISSING}`);
if (JSPUREFIX_MISSING !== undefined) console.warn(`interop: jspurefix tests skipped: ${JSPUREFIX_MISSING}`);

/** The QuickFIX client's run: exit code, its JSON summary, and its stderr for failure messages. */
export interface QuickfixRun {
  code: number;
  summary: QuickfixInitiatorSummary;
  stderr: string;
}

/**
 * Runs the QuickFIX interop client against an acceptor and returns its summary. Throws (with the
 * client's output) when it printed no summary; a run that found problems returns with `ok: false`,
 * `summary.problems` saying what.
 */
export async function runQuickfixInitiator(options: QuickfixInitiatorOptions): Promise<QuickfixRun> {
  const timeoutMs = ((options.timeoutSec ?? 30) + 15) * 1000;
  const exit = await runPeerClient(quickfixInitiatorCommand(options), timeoutMs);
  if (exit.summary === undefined || !("ok" in exit.summary)) {
    throw new Error(`qf_initiator printed no summary (exit ${exit.code}): ${exit.stderr || exit.stdout}`);
  }
  return {
    code: exit.code,
    summary: exit.summary as unknown as QuickfixInitiatorSummary,
    stderr: exit.stderr,
  };
}
