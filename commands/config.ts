/** `fixg config`: check a config without starting anything, import QuickFIX settings, hash passwords. */
import type { Command } from "@commander-js/extra-typings";
import { ConfigError } from "../src/errors.ts";
import { checkConfigFile, describeProblem } from "../src/ops/config_validate.ts";
import { DEFAULT_PBKDF2_ITERATIONS, hashPassword } from "../src/engine/auth/password.ts";
import { importQuickfix } from "../src/ops/quickfix_import.ts";
import { latin1String } from "../src/codec/ascii.ts";

/**
 * Reads a password from stdin: typed without echo on a terminal, or the first line of a pipe. Either way
 * the result has one character per input byte (Latin-1), the string the gateway compares: it reads a
 * Logon's Password (554) byte by byte the same way.
 */
async function readPassword(): Promise<string> {
  if (Deno.stdin.isTerminal()) {
    Deno.stderr.writeSync(new TextEncoder().encode("Password: "));
    Deno.stdin.setRaw(true);
    const buf = new Uint8Array(1);
    let s = "";
    try {
      while (true) {
        const n = await Deno.stdin.read(buf);
        if (n === null) break;
        const c = buf[0]!;
        if (c === 13 || c === 10) break;
        if (c === 3) throw new ConfigError("cancelled");
        if (c === 127 || c === 8) s = s.slice(0, -1);
        else s += String.fromCharCode(c);
      }
    } finally {
      Deno.stdin.setRaw(false);
      Deno.stderr.writeSync(new TextEncoder().encode("\n"));
    }
    return s;
  }
  // Piped: the first line's bytes, one character per byte (Latin-1), as the terminal path reads them and
  // as the gateway reads Password (554) off the wire (codec latin1String). A UTF-8 "é" is the two bytes
  // C3 A9 in a Logon, so it must be hashed as those two characters, not decoded to one.
  const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  const nl = bytes.indexOf(10);
  const end = nl < 0 ? bytes.length : nl > 0 && bytes[nl - 1] === 13 ? nl - 1 : nl;
  return latin1String(bytes, 0, end);
}

/** Registers `fixg config` and its subcommands. */
export function registerConfig(program: Command): void {
  const config = program.command("config").description(
    "check configs, import QuickFIX settings, hash Logon passwords",
  );

  config.command("check")
    .description("validate a fixg YAML config without starting anything (exit 0 valid, 2 invalid)")
    .argument("<file>", "fixg.yaml")
    .option("--json", "print the result as JSON")
    .action(async (file, flags) => {
      try {
        const r = await checkConfigFile(file);
        if (flags.json) console.log(JSON.stringify({ valid: true, ...r }, null, 2));
        else {
          console.log(`${file}: valid (${r.sessions.length} session${r.sessions.length === 1 ? "" : "s"})`);
          for (const s of r.sessions) {
            console.log(`  ${s.role.padEnd(9)} ${s.id}${s.name ? ` (${s.name})` : ""}`);
          }
          for (const w of r.warnings) console.log(`  warning: ${w}`);
        }
      } catch (e) {
        if (e instanceof ConfigError && flags.json) {
          console.log(JSON.stringify({ valid: false, ...describeProblem(e, file) }, null, 2));
        }
        if (e instanceof ConfigError) throw e;
        // A dictionary or environment problem found while building is a config problem too.
        if (e instanceof Error && "exitCode" in e && (e as { exitCode: number }).exitCode === 2) {
          const ce = new ConfigError(`${file}: ${e.message}`);
          if (flags.json) {
            console.log(JSON.stringify({ valid: false, ...describeProblem(ce, file) }, null, 2));
          }
          throw ce;
        }
        throw e;
      }
    });

  config.command("import-quickfix")
    .description("convert a QuickFIX / QuickFIX/J session settings file (.cfg) to fixg YAML")
    .argument("<file>", "QuickFIX settings file ([DEFAULT] and [SESSION] sections)")
    .option("-o, --output <file>", "write the YAML here instead of stdout (- is stdout)")
    .action(async (file, flags) => {
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (e) {
        throw new ConfigError(`Cannot read "${file}": ${e instanceof Error ? e.message : e}`);
      }
      // QuickFIX resolves DataDictionary paths from its working directory; the settings file's own
      // directory is tried second.
      const cfgDir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
      const locate = (p: string): string | undefined => {
        for (const c of p.startsWith("/") ? [p] : [p, cfgDir + p]) {
          try {
            if (Deno.statSync(c).isFile) return c;
          } catch { /* not here */ }
        }
        return undefined;
      };
      const yaml = importQuickfix(text, file, locate);
      // `-o -` is stdout, as `-` is for fixg's other output flags (a file named - is never meant).
      if (flags.output && flags.output !== "-") {
        try {
          await Deno.writeTextFile(flags.output, yaml);
        } catch (e) {
          throw new ConfigError(
            `--output: cannot write "${flags.output}": ${e instanceof Error ? e.message : e}`,
          );
        }
        console.error(`wrote ${flags.output}; check it with: fixg config check ${flags.output}`);
      } else console.log(yaml.trimEnd());
    });

  config.command("hash-password")
    .description("hash a Logon password for the users: section (PBKDF2-SHA256); reads it from stdin")
    .option("--iterations <n>", "PBKDF2 iterations", String(DEFAULT_PBKDF2_ITERATIONS))
    .action(async (flags) => {
      // Checked before the password is read (a terminal would prompt first), quoting what was given.
      const n = Number(flags.iterations);
      if (!/^\d+$/.test(flags.iterations) || !Number.isSafeInteger(n) || n < 1000) {
        throw new ConfigError(`--iterations must be a whole number >= 1000 (got "${flags.iterations}")`);
      }
      const password = await readPassword();
      if (password === "") throw new ConfigError("empty password");
      console.log(await hashPassword(password, n));
    });
}
