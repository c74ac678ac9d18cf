/**
 * Start-up cost: Debian's C `sv` (no arguments), an empty `deno run` script (the floor:
 * the same Deno, cache dir and flags as the launcher, but for the launcher's
 * --no-code-cache, which has its own row), and `denit sv` through the installed launcher.
 * Goal (issue #2): denit sv ≤ 1.15× the floor.
 */

import { benchPrefix, floorContender, interleave, ratioTable, report } from "./_harness.ts";

const prefix = await benchPrefix();
const floor = await floorContender(prefix, Deno.makeTempDirSync());

const medians = await interleave([
  { label: "C sv", cmd: "/usr/bin/sv", args: [] },
  floor,
  // The short-lived applets' launchers add --no-code-cache (scripts/install.sh): the same
  // empty script with it, for comparison.
  {
    ...floor,
    label: "empty deno run --no-code-cache",
    args: [...floor.args.slice(0, -1), "--no-code-cache", ...floor.args.slice(-1)],
  },
  { label: "denit sv (launcher)", cmd: `${prefix}/bin/sv`, args: [] },
], { rounds: 40 });

report("startup", ratioTable(medians, { label: "C sv", column: "× C sv" }));
