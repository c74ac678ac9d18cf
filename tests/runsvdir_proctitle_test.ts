/**
 * ffi/proctitle.ts: the argument area is found from /proc/self/stat fields 48/49, checked
 * against /proc/self/cmdline, and rewritten so /proc/PID/cmdline shows the new arguments.
 * The rewrite runs in a child Deno, never in the test runner.
 */

import { assertEquals } from "./_assert.ts";
import { repoRoot, run, tempDir } from "./_helpers.ts";
import { parseArgAreaBounds } from "../ffi/proctitle.ts";

Deno.test("`parseArgAreaBounds()` reads fields 48 and 49, whatever the command name holds", () => {
  const fields = Array.from({ length: 52 }, (_, i) => String(i + 1));
  const line = `1234 (a) b (c) ${fields.slice(2).join(" ")}\n`;
  assertEquals(parseArgAreaBounds(line), { start: 48n, end: 49n });
});

Deno.test("ArgArea rewrites the process's arguments as /proc/PID/cmdline shows them", async () => {
  await using tmp = tempDir();
  const script = `${tmp.path}/title.ts`;
  Deno.writeTextFileSync(
    script,
    `import { ArgArea } from "${repoRoot}/ffi/proctitle.ts";
const area = ArgArea.open();
if (area === undefined) throw new Error("no area");
const enc = new TextEncoder();
area.write(["runsvdir", "-P", "/etc/service", "log: ....."].map((s) => enc.encode(s)));
const first = Deno.readTextFileSync("/proc/self/cmdline").replace(/\\0+$/, "");
area.write(["runsvdir", "-P", "/etc/service", "log: ..abc"].map((s) => enc.encode(s)));
const second = Deno.readTextFileSync("/proc/self/cmdline").replace(/\\0+$/, "");
Deno.stdout.writeSync(enc.encode(JSON.stringify([first, second])));
`,
  );
  const result = await run(Deno.execPath(), [
    "run",
    "-A",
    "--no-lock",
    "--no-config",
    script,
    "some",
    "arguments",
  ]);
  assertEquals(result.stderr, "");
  assertEquals(JSON.parse(result.stdout), [
    "runsvdir\0-P\0/etc/service\0log: .....",
    "runsvdir\0-P\0/etc/service\0log: ..abc",
  ]);
});
