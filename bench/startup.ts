/**
 * Start-up cost: Debian's C `sv` (no arguments), an empty `deno run` script (the floor:
 * the same Deno, cache dir and flags as the launcher, but for the short-lived applets'
 * --no-code-cache and --v8-flags=--single-threaded, which have their own row), and
 * `denit sv` through the installed launcher. Goal (issue #2): denit sv ≤ 1.15× the floor.
 */

import { benchPrefix, floorContender, interleave, ratioTable, report } from "./_harness.ts";

const prefix = await benchPrefix();
const floor = await floorContender(prefix, Deno.makeTempDirSync());

const medians = await interleave([
  { label: "C sv", cmd: "/usr/bin/sv", args: [] },
  floor,
  // The short-lived applets' launchers add --no-code-cache --v8-flags=--single-threaded
  // (scripts/install.sh): the same empty script with them, for comparison.
  {
    ...floor,
    label: "empty deno run, short-lived applets' flags",
    args: [
      ...floor.args.slice(0, -1),
      "--no-code-cache",
      "--v8-flags=--single-threaded",
      ...floor.args.slice(-1),
    ],
  },
  { label: "denit sv (launcher)", cmd: `${prefix}/bin/sv`, args: [] },
], { rounds: 40 });

report("startup", ratioTable(medians, { label: "C sv", column: "× C sv" }));
