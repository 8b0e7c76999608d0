/**
 * A journal file the process may not read (another user's, left by a `sudo fixg journal repair`, or mode
 * 000): every `fixg journal` reader and `fixg run` say so in one line naming the file, exit 2 (the
 * environment), instead of "internal error" and a stack trace. As root the commands run as nobody
 * (setpriv), since root reads any file.
 */
import assert from "node:assert/strict";
import { fixgOutput, ROOT } from "../_helpers/mod.ts";
import { fixtureJournal } from "./journal_helpers.ts";

const root = Deno.uid() === 0;
const NOBODY = 65534;
let setpriv = false;
try {
  setpriv = Deno.statSync("/usr/bin/setpriv").isFile;
} catch { /* not installed */ }

/**
 * As root: whether nobody can run this checkout's launcher and its Deno at all. A clone under a directory
 * only root may enter (`mktemp -d`, mode 0700, as a fresh-clone check makes) cannot be run as nobody: the
 * test is then skipped, not failed (it runs in any checkout nobody can reach, and as any other user).
 */
function nobodyCanRunFixg(): boolean {
  try {
    return new Deno.Command("/usr/bin/setpriv", {
      args: [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "/bin/sh",
        "-c",
        'test -x "$0" && test -x "$1" && test -x "$2" && test -r "$3"',
        `${ROOT}fixg`,
        `${ROOT}deno`,
        `${ROOT}node_modules/@deno/linux-x64-glibc/deno`,
        `${ROOT}main.ts`,
      ],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** `./fixg ARGS` as a user who cannot read `file` (nobody when we are root). */
function fixgWithout(args: string[]) {
  return root
    ? fixgOutput([`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", `${ROOT}fixg`, ...args], {
      cmd: "/usr/bin/setpriv",
    })
    : fixgOutput(args);
}

/** The fixture journal with its first segment unreadable to the commands' user. */
async function journalWithUnreadableSegment(): Promise<{ dir: string; seg: string }> {
  const dir = await fixtureJournal();
  const seg = `${dir}/0000000001.seg`;
  if (root) {
    // Everything the user's, but the segment root's with mode 0600 (as a root-run repair leaves it).
    for (const p of [dir, ...[...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`)]) {
      Deno.chownSync(p, NOBODY, NOBODY);
    }
    Deno.chownSync(seg, 0, 0);
    Deno.chmodSync(seg, 0o600);
  } else {
    Deno.chmodSync(seg, 0o000);
  }
  return { dir, seg };
}

Deno.test({
  name: "an unreadable segment: verify, inspect, export, stats and fixg run say so in one line, exit 2",
  ignore: root && (!setpriv || !nobodyCanRunFixg()),
  fn: async () => {
    const { dir, seg } = await journalWithUnreadableSegment();
    const line = `fixg: Cannot read journal file "${seg}": Permission denied (os error 13)\n`;
    for (
      const args of [
        ["journal", "verify", dir],
        ["journal", "inspect", dir],
        ["journal", "export", dir, "--format", "fix"],
        ["journal", "stats", dir, "--json"],
      ]
    ) {
      const r = await fixgWithout(args);
      // Before: exit 1, "fixg: internal error: PermissionDenied: ..." and a stack trace.
      assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, {
        code: 2,
        stdout: "",
        stderr: line,
      }, args.join(" "));
    }
    const run = await fixgWithout([
      "run",
      "--acceptor",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--sender-comp-id",
      "FIXG",
      "--target-comp-id",
      "LP1",
      "--store",
      dir,
    ]);
    assert.deepEqual({ code: run.code, stderr: run.stderr }, { code: 2, stderr: line });
  },
});
