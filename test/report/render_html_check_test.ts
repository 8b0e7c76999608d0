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
    ? "scripts/render_html_check.sh renders the sample report in headless Chromium: curves visible, one panel per measure"
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
      assert.match(text, /render_html_check: OK: .*1000x2200, [\d.]+% non-white pixels/);
      // One panel per measure, in report order, each at least 100 pixel rows below the previous one.
      assert.match(
        text,
        /panels: orderToAck \(blue\) from row \d+, orderToFill \(red\) from row \d+, cancelToAck \(green\) from row \d+/,
      );
      assert.ok(Deno.statSync(png).size > 10_000);
    } finally {
      await Deno.remove(png).catch(() => {});
    }
  },
});
