import { assertEquals } from "../tests/_assert.ts";
import { bin, cLaunchers, run, tempDir } from "../tests/_helpers.ts";
import { parseCallerLimits, parseClosedFds } from "./launch.ts";

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
  const lines = result.stdout.split("\n").filter((l) => l !== "");
  // The C launcher adds nothing that survives start-up, as with runit; the #!/bin/sh
  // fallback exports PWD (docs/denit.md).
  const c = await cLaunchers();
  assertEquals(c ? lines : lines.filter((l) => !l.startsWith("PWD=")), []);
  assertEquals(result.code, 0);
});

Deno.test("the launcher's variables do not reach the program; the caller's DENO_DIR and order are kept", async () => {
  await using dir = tempDir();
  Deno.mkdirSync(`${dir.path}/env`);
  const environ = ["Z=1", "DENIT_SIGNALS=x", "A=2", "DENO_DIR=/nowhere", "M=3"];
  const result = await run("/usr/bin/env", [
    "-i",
    ...environ,
    await bin("envdir"),
    `${dir.path}/env`,
    "/usr/bin/env",
  ]);
  assertEquals(result.stderr, "");
  const lines = result.stdout.split("\n").filter((l) => l !== "");
  // The launcher's own names are replaced by its values, then removed at start-up; a
  // caller's DENO_DIR is the caller's, kept where it was.
  const expected = ["Z=1", "A=2", "DENO_DIR=/nowhere", "M=3"];
  if (await cLaunchers()) assertEquals(lines, expected);
  else assertEquals(lines.filter((l) => !l.startsWith("PWD=")).sort(), expected.sort());
  assertEquals(result.code, 0);
});

/** Runs a script that imports `guardedMain` from this directory's launch.ts. */
async function runWithGuardedMain(body: string) {
  await using dir = tempDir();
  const script = `${dir.path}/main.ts`;
  const launch = new URL("./launch.ts", import.meta.url).href;
  Deno.writeTextFileSync(script, `import { guardedMain } from "${launch}";\n${body}`);
  return await run(Deno.execPath(), ["run", "-A", "--no-lock", "--no-config", script]);
}

Deno.test("guardedMain() reports an async main's unhandled rejection and goes on", async () => {
  const result = await runWithGuardedMain(
    `guardedMain(async () => {\n` +
      `  Promise.reject(new Error("boom"));\n` +
      `  await new Promise((resolve) => setTimeout(resolve, 50));\n` +
      `  return 7;\n` +
      `});\n`,
  );
  assertEquals([result.code, result.stderr], [7, "denit: warning: internal error: boom\n"]);
});

Deno.test("guardedMain() runs main after the module's own code, and a throw in it is reported", async () => {
  // Not from the module's top-level frame: a first exception there makes V8 reparse the
  // whole module (~1 ms for a 28 kB bundle, lib/launch.ts).
  const result = await runWithGuardedMain(
    `let evaluated = false;\n` +
      `guardedMain(() => {\n` +
      `  console.log(evaluated ? "after" : "during");\n` +
      `  throw new Error("bang");\n` +
      `});\n` +
      `evaluated = true;\n`,
  );
  assertEquals(
    [result.code, result.stdout, result.stderr],
    [111, "after\n", "denit: warning: internal error: bang\n"],
  );
});

Deno.test("parseCallerLimits() reads the launcher's RESOURCE:SOFT list; anything malformed is none", () => {
  assertEquals(parseCallerLimits("9:50000000,2:50000000"), [
    { resource: 9, soft: 50000000n },
    { resource: 2, soft: 50000000n },
  ]);
  assertEquals(parseCallerLimits("7:18446744073709551614"), [
    { resource: 7, soft: 18446744073709551614n },
  ]);
  for (const text of [undefined, "", "9", "9:", ":5", "9:5,", "x:5", "9:-5", "123:5"]) {
    assertEquals(parseCallerLimits(text), [], String(text));
  }
});

Deno.test("parseClosedFds() reads the launcher's list of closed stdio fds; anything else is none", () => {
  assertEquals(parseClosedFds("0"), [0]);
  assertEquals(parseClosedFds("02"), [0, 2]);
  assertEquals(parseClosedFds("012"), [0, 1, 2]);
  for (const text of [undefined, "", "3", "0,2", "01234", " 0", "x"]) {
    assertEquals(parseClosedFds(text), [], String(text));
  }
});
