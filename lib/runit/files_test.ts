import { assertEquals } from "../../tests/_assert.ts";
import { flagIsSet } from "./files.ts";
import { exists } from "../fs_probe.ts";

Deno.test("flagIsSet() is the owner-execute bit and nothing else", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const cases: [string, number | "dir" | "missing", boolean][] = [
      ["x100", 0o100, true],
      ["x755", 0o755, true],
      ["x644", 0o644, false],
      ["x011", 0o011, false], // group and other execute do not count
      ["x000", 0o000, false],
      ["adir", "dir", true], // any type: a directory 0755 is "set"
      ["none", "missing", false],
    ];
    for (const [name, mode] of cases) {
      const path = `${dir}/${name}`;
      if (mode === "dir") Deno.mkdirSync(path, { mode: 0o755 });
      else if (mode !== "missing") {
        Deno.writeTextFileSync(path, "");
        Deno.chmodSync(path, mode);
      }
    }
    assertEquals(
      cases.map(([name]) => [name, flagIsSet(`${dir}/${name}`)]),
      cases.map(([name, , want]) => [name, want]),
    );
    assertEquals([exists(`${dir}/x000`), exists(`${dir}/none`)], [true, false]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
