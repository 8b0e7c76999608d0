import assert from "node:assert/strict";

/** True when Debian's chromium is on PATH (scripts/install_chromium.sh installs it). */
function hasChromium(): boolean {
  try {
    return new Deno.Command("chromium", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const chromium = hasChromium();

Deno.test({
  name: chromium
    ? "scripts/render_html_check.sh renders the sample report in headless Chromium with the curves visible"
    : "scripts/render_html_check.sh (skipped: chromium not installed; run scripts/install_chromium.sh)",
  ignore: !chromium,
  async fn() {
    const root = new URL("../../", import.meta.url).pathname;
    const png = await Deno.makeTempFile({ suffix: ".png" });
    try {
      const out = await new Deno.Command("bash", {
        args: [`${root}scripts/render_html_check.sh`, "", png],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.match(text, /render_html_check: OK: .*1000x1400, [\d.]+% non-white pixels/);
      assert.ok(Deno.statSync(png).size > 10_000);
    } finally {
      await Deno.remove(png).catch(() => {});
    }
  },
});
