/**
 * chpst start-up: `chpst -e DIR /bin/true` wall time for Debian's C chpst, the empty
 * `deno run` floor (same Deno, cache dir and flags as the launcher; see startup.ts), and
 * denit's chpst through the installed launcher (its quick entry, lib/chpst/quick.ts; and
 * the full chpst for the same request). Goal (issue #6): ≤ 1.15× the floor.
 *
 * BENCH_CHPST_ROUNDS (default 100) sets the interleaved rounds; BENCH_EXTRA_CHPST=
 * "label=/path/to/chpst,…" adds other builds to the same rounds (before/after runs).
 */

import { cLaunchers } from "../tests/_helpers.ts";
import {
  benchPrefix,
  extraPrograms,
  floorContender,
  interleave,
  ratioTable,
  report,
  shortLivedFloor,
} from "./_harness.ts";

const prefix = await benchPrefix();
const work = Deno.makeTempDirSync({ prefix: "denit-bench-chpst-" });
const envDir = `${work}/env`;
Deno.mkdirSync(envDir);
for (const [name, value] of [["A", "1"], ["B", "two\n"], ["C", ""], ["PATH", "/bin:/usr/bin"]]) {
  Deno.writeTextFileSync(`${envDir}/${name}`, value!);
}
const floor = await floorContender(prefix, work);
// Which launcher `make install` chose: the static C one, or #!/bin/sh without a compiler.
const launcher = (await cLaunchers()) ? "C launcher" : "sh launcher";

const medians = await interleave([
  { label: "C chpst -e DIR /bin/true", cmd: "/usr/bin/chpst", args: ["-e", envDir, "/bin/true"] },
  floor,
  shortLivedFloor(floor),
  // Where the time goes: the same launcher and modules, parse and usage only (exit 100).
  { label: `denit chpst, usage only (${launcher})`, cmd: `${prefix}/bin/chpst`, args: [] },
  {
    label: `denit chpst -e DIR /bin/true (${launcher})`,
    cmd: `${prefix}/bin/chpst`,
    args: ["-e", envDir, "/bin/true"],
  },
  // The same request through the full chpst: `--` is no shape the quick entry takes.
  {
    label: `denit chpst -e DIR -- /bin/true, full chpst (${launcher})`,
    cmd: `${prefix}/bin/chpst`,
    args: ["-e", envDir, "--", "/bin/true"],
  },
  ...extraPrograms("BENCH_EXTRA_CHPST").map(({ label, path }) => ({
    label: `${label}: chpst -e DIR /bin/true`,
    cmd: path,
    args: ["-e", envDir, "/bin/true"],
  })),
], { rounds: Number(Deno.env.get("BENCH_CHPST_ROUNDS") ?? 100), rotate: true });
Deno.removeSync(work, { recursive: true });

report("chpst", ratioTable(medians, { label: "C chpst -e DIR /bin/true", column: "× C chpst" }));
