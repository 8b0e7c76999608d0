/** Temporary directories removed at the end of a block (`await using`). */

/** A fresh temporary directory; `await using dir = await tempDir("x-")` removes it (recursively) at scope end. */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
