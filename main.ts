/** fixg command line: argv -> commands/*, errors -> exit codes. Nothing else lives here. */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { FixgError } from "./src/errors.ts";
import { VERSION } from "./src/version.ts";
import { registerCommands } from "./commands/mod.ts";

const program = new Command()
  .name("fixg")
  .description(
    "FIX protocol engine and gateway toolkit: run sessions, simulate a counterparty, benchmark, inspect journals.",
  )
  .version(VERSION, "-V, --version")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(Deno.args, { from: "user" });
} catch (e) {
  Deno.exit(exitCodeFor(e));
}

/** Usage and config errors: 2 with one line; FixgError: its own code; anything else: 1 with the stack. */
function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // Commander already printed help, version or the usage error.
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    // `fixg help` is 0; help shown for a missing subcommand (`fixg journal`) is a usage error.
    if (e.code === "commander.help") return e.exitCode === 0 ? 0 : 2;
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof FixgError) {
    console.error(`fixg: ${e.message}`);
    return e.exitCode;
  }
  console.error("fixg: internal error:", e instanceof Error ? (e.stack ?? e.message) : e);
  return 1;
}
