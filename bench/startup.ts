/**
 * Start-up cost: Debian's C `sv` (no arguments), an empty `deno run` script (the floor:
 * the same Deno, cache dir and flags as the launcher, but for the short-lived applets'
 * --no-code-cache and --v8-flags=--single-threaded, which have their own row), and
 * `denit sv` through the installed launcher. Goal (issue #2): denit sv ≤ 1.15× the floor.
 */

import { cLaunchers } from "../tests/_helpers.ts";
import {
  benchPrefix,
  floorContender,
  interleave,
  ratioTable,
  report,
  shortLivedFloor,
} from "./_harness.ts";

const prefix = await benchPrefix();
const floor = await floorContender(prefix, Deno.makeTempDirSync());

const medians = await interleave([
  { label: "C sv", cmd: "/usr/bin/sv", args: [] },
  floor,
  shortLivedFloor(floor),
  {
    label: `denit sv (${(await cLaunchers()) ? "C launcher" : "sh launcher"})`,
    cmd: `${prefix}/bin/sv`,
    args: [],
  },
], { rounds: 40 });

report("startup", ratioTable(medians, { label: "C sv", column: "× C sv" }));
