/**
 * `fixg run` defaults a first-time user meets: the README's acceptor and initiator, started from one
 * directory, get a journal each (./fixg-journal/<SenderCompID>-<TargetCompID>) and a pid file next to
 * it; a second gateway on a journal in use is told what to do; `fixg` works through a symlink on PATH.
 */
import assert from "node:assert/strict";
import { effectiveConfig, legacyJournalServes } from "../../commands/run.ts";
import { FileJournal } from "../../src/store/journal.ts";
import { Child, freePort, ROOT, runArgs, waitFor } from "../_helpers/mod.ts";

/** A `fixg run` child with its stderr lines (JSON log records); killed after 20 s whatever happens. */
function spawnRun(args: string[], cwd: string) {
  const c = new Child(["run", "--log-format", "json", ...args], { cwd });
  const kill = setTimeout(() => c.child.kill("SIGKILL"), 20_000);
  return {
    child: c.child,
    get lines(): string[] {
      return c.lines("err");
    },
    /** Resolves when `cond` holds, checked on each piece of output (no polling). */
    until: (cond: () => boolean, what: string) => c.until(cond, what, 15_000),
    async status() {
      const s = await c.child.status;
      clearTimeout(kill);
      await c.done;
      return s.code;
    },
  };
}

const acceptorArgs = (port: number) => [
  "--acceptor",
  "--port",
  String(port),
  "--sender-comp-id",
  "ISLD",
  "--target-comp-id",
  "TW",
  "--app",
  "echo",
];
// runArgs without its leading "run": --initiator --host 127.0.0.1 --port PORT --sender-comp-id TW --target-comp-id ISLD
const initiatorArgs = (port: number) => runArgs("initiator", port).slice(1);

Deno.test("the default journal directory is per session set", async () => {
  const a = await effectiveConfig({
    acceptor: true,
    port: "9876",
    senderCompId: "ISLD",
    targetCompId: "TW",
    app: "echo",
  });
  const i = await effectiveConfig({
    initiator: true,
    host: "127.0.0.1",
    port: "9876",
    senderCompId: "TW",
    targetCompId: "ISLD",
  });
  assert.equal(a.store.dir, "./fixg-journal/ISLD-TW");
  assert.equal(i.store.dir, "./fixg-journal/TW-ISLD");
  const any = await effectiveConfig({ acceptor: true, port: "1", senderCompId: "LP", targetCompId: "*" });
  assert.equal(any.store.dir, "./fixg-journal/LP-any", "one directory for the 5 BeginStrings of '*'");
  const given = await effectiveConfig({
    acceptor: true,
    port: "1",
    senderCompId: "A",
    targetCompId: "B",
    store: "j",
  });
  assert.equal(given.store.dir, "j");
  // From a config file: named after the file, so adding a session to it keeps the journal.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/venue-a.yaml`,
      "sessions:\n  - {role: acceptor, port: '9876', senderCompId: GW, targetCompId: VENUE}\n",
    );
    assert.equal(
      (await effectiveConfig({ config: `${dir}/venue-a.yaml` })).store.dir,
      "./fixg-journal/venue-a",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's two fixg run commands from one directory: both run, each with its journal and pid file; SIGTERM by pid file", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "fixg-run-defaults-" });
  const port = freePort();
  const acc = spawnRun(acceptorArgs(port), cwd);
  try {
    await acc.until(() => acc.lines.some((l) => l.includes('"listen"')), "acceptor listening");
    const ini = spawnRun(initiatorArgs(port), cwd);
    try {
      await ini.until(
        () => ini.lines.some((l) => l.includes('"logon"') && l.includes("Logged on")),
        `initiator logged on\n--- acceptor ---\n${acc.lines.join("\n")}`,
      );
      const accPid = Number((await Deno.readTextFile(`${cwd}/fixg-journal/ISLD-TW.pid`)).trim());
      const iniPid = Number((await Deno.readTextFile(`${cwd}/fixg-journal/TW-ISLD.pid`)).trim());
      assert.equal(accPid, acc.child.pid);
      assert.equal(iniPid, ini.child.pid);
      // A second acceptor for the same session in the same directory: refused, and told what to do.
      const again = spawnRun(acceptorArgs(freePort()), cwd);
      assert.equal(await again.status(), 2);
      const last = again.lines.at(-1)!;
      assert.match(last, /^fixg: Journal "\.\/fixg-journal\/ISLD-TW" is held by a live gateway \(pid \d+/);
      assert.match(
        last,
        /stop it first, or give this gateway a journal of its own: --store DIR \(store\.dir in the config\)$/,
      );
      Deno.kill(iniPid, "SIGTERM");
      assert.equal(await ini.status(), 0);
      await assert.rejects(
        Deno.stat(`${cwd}/fixg-journal/TW-ISLD.pid`),
        Deno.errors.NotFound,
        "pid file removed at exit",
      );
    } finally {
      try {
        ini.child.kill("SIGKILL");
      } catch { /* gone */ }
      await ini.status();
    }
    Deno.kill(acc.child.pid, "SIGTERM");
    assert.equal(await acc.status(), 0);
  } finally {
    try {
      acc.child.kill("SIGKILL");
    } catch { /* gone */ }
    await acc.status();
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("--pid-file FILE; a bad pid file path exits 2 before anything starts", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "fixg-run-pid-" });
  try {
    const bad = spawnRun([
      ...acceptorArgs(freePort()),
      "--store",
      "memory",
      "--pid-file",
      "/nonexistent/dir/x.pid",
    ], cwd);
    assert.equal(await bad.status(), 2);
    assert.match(bad.lines.at(-1)!, /^fixg: --pid-file: cannot write "\/nonexistent\/dir\/x\.pid": /);
    const ok = spawnRun([...acceptorArgs(freePort()), "--store", "memory", "--pid-file", "my.pid"], cwd);
    await waitFor(
      () => {
        try {
          return Number(Deno.readTextFileSync(`${cwd}/my.pid`)) === ok.child.pid;
        } catch {
          return false;
        }
      },
      `pid file\n${ok.lines.join("\n")}`,
      15_000,
    );
    ok.child.kill("SIGTERM");
    assert.equal(await ok.status(), 0);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("fixg runs through a symlink on PATH (npm link or ln -s)", async () => {
  const bin = await Deno.makeTempDir({ prefix: "fixg-bin-" });
  try {
    await Deno.symlink(`${ROOT}fixg`, `${bin}/fixg`);
    const out = await new Deno.Command("sh", {
      args: ["-c", "fixg --version"],
      cwd: bin,
      env: { PATH: `${bin}:/usr/bin:/bin` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(new TextDecoder().decode(out.stdout), /^\d+\.\d+\.\d+/);
    const pkg = JSON.parse(await Deno.readTextFile(`${ROOT}package.json`));
    assert.deepEqual(pkg.bin, { fixg: "fixg" }, "npm link puts fixg on PATH");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("a journal an older fixg left in ./fixg-journal is kept for its own sessions only", async () => {
  const root = await Deno.makeTempDir({ prefix: "fixg-legacy-" });
  try {
    const j = await FileJournal.open({ dir: root, onWarning: () => {} });
    await j.openSession("FIX.4.4:ISLD->TW", Date.now());
    await j.close();
    const acc = await effectiveConfig({
      acceptor: true,
      port: "1",
      senderCompId: "ISLD",
      targetCompId: "TW",
    });
    const ini = await effectiveConfig({
      initiator: true,
      host: "127.0.0.1",
      port: "1",
      senderCompId: "TW",
      targetCompId: "ISLD",
    });
    const any = await effectiveConfig({ acceptor: true, port: "1", senderCompId: "ISLD", targetCompId: "*" });
    assert.equal(legacyJournalServes(acc, root), true);
    assert.equal(legacyJournalServes(any, root), true);
    assert.equal(legacyJournalServes(ini, root), false, "another gateway's sessions get their own directory");
    assert.equal(legacyJournalServes(acc, `${root}/none`), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
