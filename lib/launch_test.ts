import { assertEquals } from "../tests/_assert.ts";
import { bin, run, tempDir } from "../tests/_helpers.ts";

Deno.test("an applet started without PATH passes on no PATH and no Deno shim variable", async () => {
  await using dir = tempDir();
  // envdir execs its child with the environment denit ends up with.
  Deno.mkdirSync(`${dir.path}/env`);
  const result = await run("/usr/bin/env", [
    "-i",
    await bin("envdir"),
    `${dir.path}/env`,
    "/usr/bin/env",
  ]);
  assertEquals(result.stderr, "");
  // The source launcher is a #!/bin/sh script, and sh exports PWD (docs/denit.md).
  assertEquals(result.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("PWD=")), []);
  assertEquals(result.code, 0);
});
