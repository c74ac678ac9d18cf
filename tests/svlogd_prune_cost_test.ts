/**
 * With `n0` svlogd deletes no old file by count; without a processor the only thing a
 * rotation's pruning can find is a `.t` left by an earlier processor, removed the first
 * time. Reading the directory at every rotation made each cost O(old files): 5,000
 * rotations took 17.3 s against runit's 2.1 s (a soak found it). Counted with strace:
 * the directory is read at the first rotation, not at every one.
 */

import { assert, assertEquals } from "./_assert.ts";
import { bin, tempDir } from "./_helpers.ts";

function haveStrace(): boolean {
  try {
    return new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "svlogd n0: a .t leftover goes at the first rotation, and the directory is not read at each",
  ignore: !haveStrace(),
  async fn() {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    Deno.writeTextFileSync(`${tmp.path}/d/config`, "s100\nn0\n");
    Deno.writeTextFileSync(`${tmp.path}/d/@400000006b09a81520690cec.t`, "left\n");
    let input = "";
    for (let i = 0; i < 200; i++) input += `line ${String(i).padStart(7, "0")} ${"y".repeat(86)}\n`;
    Deno.writeTextFileSync(`${tmp.path}/input`, input);
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        'exec strace -f -qq -e trace=getdents64 -o trace "$0" d <input',
        await bin("svlogd"),
      ],
      cwd: tmp.path,
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const names = [...Deno.readDirSync(`${tmp.path}/d`)].map((e) => e.name);
    assertEquals(names.filter((n) => n.endsWith(".t")), [], "the .t leftover removed");
    assertEquals(names.filter((n) => n.endsWith(".s")).length, 199, "every old file kept");
    const reads = Deno.readTextFileSync(`${tmp.path}/trace`).split("\n")
      .filter((line) => line.includes("getdents64")).length;
    assert(reads < 20, `${reads} directory reads for 199 rotations`);
  },
});
