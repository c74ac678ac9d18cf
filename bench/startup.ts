/**
 * Start-up cost: Debian's C `sv` (no arguments), an empty `deno run` script (the floor:
 * the same Deno, cache dir and flags as the launcher), and `denit sv` through the
 * installed launcher. Goal (issue #2): denit sv ≤ 1.15× the floor.
 */

import { benchPrefix, interleave, report, table } from "./_harness.ts";

const prefix = await benchPrefix();
const empty = `${Deno.makeTempDirSync()}/empty.ts`;
Deno.writeTextFileSync(empty, "Deno.exit(0);\n");
const denoEnv = { DENO_DIR: `${prefix}/lib/denit/cache`, DENO_NO_UPDATE_CHECK: "1" };
const deno = `${prefix}/lib/denit/deno`;
const flags = ["run", "-A", "--no-config", "--no-lock"];
await new Deno.Command(deno, { args: ["cache", "--no-config", "--no-lock", empty], env: denoEnv })
  .output();

const medians = await interleave([
  { label: "C sv", cmd: "/usr/bin/sv", args: [] },
  {
    label: "empty deno run (floor)",
    cmd: deno,
    args: [...flags, "--cached-only", empty],
    env: denoEnv,
  },
  { label: "denit sv (launcher)", cmd: `${prefix}/bin/sv`, args: [] },
], { rounds: 40 });

const floor = medians.get("empty deno run (floor)")!;
const c = medians.get("C sv")!;
report(
  "startup",
  table(
    ["command", "median ms", "× floor", "× C sv"],
    [...medians].map((
      [label, ms],
    ) => [label, ms.toFixed(1), (ms / floor).toFixed(2), (ms / c).toFixed(1)]),
  ),
);
