/**
 * Differential test: random chpst command lines (seeded, so failures reproduce) run by
 * Debian's chpst and ours must give the same exit code and stderr. The token pool mixes
 * valid and invalid options, values and programs; every program is harmless.
 */

import { assertEquals } from "./_assert.ts";
import { bin, run, seededRandom, tempDir } from "./_helpers.ts";
import { sideBySide } from "./chpst_helpers.ts";

const OPTIONS: readonly (readonly string[])[] = [
  ["-v"],
  ["-P"],
  ["-0"],
  ["-V"],
  ["-z"],
  ["-vP"],
  ["-Pv0"],
  ["--"],
  ["-"],
  ["-u", "nobody"],
  ["-u", ":65534:65534"],
  ["-u", ":1"],
  ["-u", "nouser"],
  ["-unobody"],
  ["-U", "daemon"],
  ["-U", "daemon:"],
  ["-U", ":5:6:7"],
  ["-e", "env"],
  ["-e", "missing"],
  ["-eenv"],
  ["-/", "/"],
  ["-/", "/nonexistent"],
  ["-n", "1"],
  ["-n", "+1"],
  ["-n", "x"],
  ["-n", ""],
  ["-l", "lk1"],
  ["-L", "lk2"],
  ["-Llk3"],
  ["-m", "500000000"],
  ["-d", "abc"],
  ["-o", "1000"],
  ["-o", ""],
  ["-p", "-1"],
  ["-f", "1k"],
  ["-c", "0"],
  ["-r", "99"],
  ["-t", "100"],
  ["-b", "name"],
  ["-u"],
  ["-e"],
  ["-o"],
];
const PROGRAMS: readonly (readonly string[])[] = [
  ["true"],
  ["/bin/true"],
  ["/nonexistent"],
  ["nonexistprog"],
  [],
  ["sh", "-c", "exit 3"],
];

Deno.test({
  name: "random chpst command lines: same exit code and stderr as Debian's",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    Deno.mkdirSync(`${t.path}/env`);
    Deno.writeTextFileSync(`${t.path}/env/A`, "1\n");
    const random = seededRandom(20261125);
    const ours = await bin("chpst");
    for (let round = 0; round < 40; round++) {
      const args: string[] = [];
      const count = Math.floor(random() * 4);
      for (let i = 0; i < count; i++) args.push(...OPTIONS[Math.floor(random() * OPTIONS.length)]!);
      args.push(...PROGRAMS[Math.floor(random() * PROGRAMS.length)]!);
      const opts = { cwd: t.path };
      const a = await run(ours, args, opts);
      const b = await run("/usr/bin/chpst", args, opts);
      const what = `round ${round}: chpst ${JSON.stringify(args)}`;
      assertEquals([a.code, a.stderr], [b.code, b.stderr], what);
    }
  },
});
