/** `fixg decode [FILE|-]`: prints FIX messages as tables of tag, name, value and meaning. */
import type { Command } from "@commander-js/extra-typings";

/** Registers `fixg decode`. */
export function registerDecode(program: Command): void {
  program.command("decode").description("decode FIX messages from a file or stdin").argument(
    "[file]",
    "file or - for stdin",
    "-",
  )
    .action(() => {
      throw new Error("decode: being written (issue 2)");
    });
}
