/**
 * The TypeScript blocks of the README and of docs/engine_library.md type-check against src/mod.ts, as a
 * user would paste them (their `./src/mod.ts` import pointed at this checkout). The README's in-process
 * examples are also run (readme_example_test.ts); its attached-library example and the engine_library.md
 * one were checked by nothing.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

/** The ```ts blocks of a Markdown file. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

for (const doc of ["README.md", "docs/engine_library.md"]) {
  Deno.test(`the TypeScript blocks of ${doc} type-check`, async () => {
    const blocks = tsBlocks(await Deno.readTextFile(new URL(doc, root)));
    assert.ok(blocks.length > 0, `no ts block in ${doc}`);
    const dir = await Deno.makeTempDir({ prefix: "fixg-doc-snippets-" });
    try {
      const files: string[] = [];
      for (const [i, block] of blocks.entries()) {
        const file = `${dir}/block_${i + 1}.ts`;
        // Each block is its own module; both import forms the docs use point at this checkout.
        const code = block.replaceAll(
          /from "(\.\/|\.\.\/)src\/mod\.ts"/g,
          `from "${new URL("src/mod.ts", root).href}"`,
        );
        await Deno.writeTextFile(file, `export {};\n${code}`);
        files.push(file);
      }
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["check", "-q", "--config", new URL("deno.json", root).pathname, ...files],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(
        out.code,
        0,
        `${doc}: ${err.split("\n").filter((l) => /ERROR|block_|~/.test(l)).slice(0, 20).join("\n")}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
