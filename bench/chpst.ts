/**
 * chpst start-up: `chpst -e DIR /bin/true` wall time for Debian's C chpst, the empty
 * `deno run` floor (same Deno, cache dir and flags as the launcher; see startup.ts), and
 * denit's chpst through the installed launcher. Goal (issue #6): ≤ 1.15× the floor.
 */

import { benchPrefix, interleave, report, table } from "./_harness.ts";

const prefix = await benchPrefix();
const work = Deno.makeTempDirSync({ prefix: "denit-bench-chpst-" });
const empty = `${work}/empty.ts`;
Deno.writeTextFileSync(empty, "Deno.exit(0);\n");
const envDir = `${work}/env`;
Deno.mkdirSync(envDir);
for (const [name, value] of [["A", "1"], ["B", "two\n"], ["C", ""], ["PATH", "/bin:/usr/bin"]]) {
  Deno.writeTextFileSync(`${envDir}/${name}`, value!);
}
const denoEnv = { DENO_DIR: `${prefix}/lib/denit/cache`, DENO_NO_UPDATE_CHECK: "1" };
const deno = `${prefix}/lib/denit/deno`;
const flags = ["run", "-A", "--no-config", "--no-lock"];
await new Deno.Command(deno, { args: ["cache", "--no-config", "--no-lock", empty], env: denoEnv })
  .output();

const medians = await interleave([
  { label: "C chpst -e DIR /bin/true", cmd: "/usr/bin/chpst", args: ["-e", envDir, "/bin/true"] },
  {
    label: "empty deno run (floor)",
    cmd: deno,
    args: [...flags, "--cached-only", empty],
    env: denoEnv,
  },
  // Where the time goes: the same launcher and modules, parse and usage only (exit 100).
  { label: "denit chpst, usage only (launcher)", cmd: `${prefix}/bin/chpst`, args: [] },
  {
    label: "denit chpst -e DIR /bin/true (launcher)",
    cmd: `${prefix}/bin/chpst`,
    args: ["-e", envDir, "/bin/true"],
  },
], { rounds: 40 });
Deno.removeSync(work, { recursive: true });

const floor = medians.get("empty deno run (floor)")!;
const c = medians.get("C chpst -e DIR /bin/true")!;
report(
  "chpst",
  table(
    ["command", "median ms", "× floor", "× C chpst"],
    [...medians].map((
      [label, ms],
    ) => [label, ms.toFixed(1), (ms / floor).toFixed(2), (ms / c).toFixed(1)]),
  ),
);
