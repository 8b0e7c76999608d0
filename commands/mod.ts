/** Registers every fixg subcommand on the program. Each command module stays thin: flags -> src/ -> output. */
import type { Command } from "@commander-js/extra-typings";
import { registerBench } from "./bench.ts";
import { registerCluster } from "./cluster.ts";
import { registerConfig } from "./config.ts";
import { registerConformance } from "./conformance.ts";
import { registerDecode } from "./decode.ts";
import { registerJournal } from "./journal.ts";
import { registerRun } from "./run.ts";
import { registerSend } from "./send.ts";
import { registerSessions } from "./sessions.ts";
import { registerSimulateLp } from "./simulate_lp.ts";

/** Adds all subcommands to `program`. */
export function registerCommands(program: Command): void {
  registerDecode(program);
  registerJournal(program);
  registerRun(program);
  registerSend(program);
  registerSessions(program);
  registerSimulateLp(program);
  registerConformance(program);
  registerConfig(program);
  registerBench(program);
  registerCluster(program);
}
