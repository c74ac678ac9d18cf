/**
 * runit as process 1, ours against Debian's C /sbin/runit, each in a fresh pid + mount
 * namespace (as tests/ns/ does, console on /dev/null):
 * - boot cycle: start, stage 1 (`true`), stage 2 that exits 0, stage 3, KILL all, power off;
 * - shutdown request: stage 2 asks `runit-init 0` (Debian's, for both) and waits to be
 *   stopped; measures the same cycle through the stopit + SIGCONT path;
 * - memory of process 1 while stage 2 runs.
 */

import { benchPrefix, interleave, report, table } from "./_harness.ts";

const prefix = await benchPrefix();
const ours = `${prefix}/bin/runit`;
const debian = "/sbin/runit";
const debianInit = "/lib/runit/runit-init";

function etcRunit(stage2: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "denit-bench-runit-" });
  const files: Record<string, string> = {
    "1": "#!/bin/sh\n",
    "2": stage2,
    "3": "#!/bin/sh\n",
  };
  for (const [name, text] of Object.entries(files)) {
    Deno.writeTextFileSync(`${dir}/${name}`, text);
    Deno.chmodSync(`${dir}/${name}`, 0o755);
  }
  Deno.writeTextFileSync(`${dir}/nosync`, "");
  return dir;
}

function machine(etc: string, init: string): string[] {
  const script = [
    `mount --bind '${etc}' /etc/runit`,
    "mount --bind /dev/null /dev/console",
    "mount -t tmpfs tmpfs /run",
    `exec '${init}'`,
  ].join(" && ");
  return ["--pid", "--fork", "--mount-proc", "--mount", "--kill-child", "sh", "-c", script];
}

const cycle = etcRunit("#!/bin/sh\nexit 0\n");
const request = etcRunit(`#!/bin/sh\n${debianInit} 0\nexec sleep 100\n`);
const memory = etcRunit("#!/bin/sh\nexec sleep 100\n");

const contenders = [
  { label: "boot cycle, C runit", cmd: "unshare", args: machine(cycle, debian) },
  { label: "boot cycle, denit", cmd: "unshare", args: machine(cycle, ours) },
  { label: "init 0 cycle, C runit", cmd: "unshare", args: machine(request, debian) },
  { label: "init 0 cycle, denit", cmd: "unshare", args: machine(request, ours) },
];
const medians = await interleave(contenders, { rounds: 10, warmup: 2 });

/** Pss and RSS (kB) of a namespace's init while its stage 2 sleeps. */
async function initMemory(init: string): Promise<{ rss: number; pss: number }> {
  const child = new Deno.Command("unshare", {
    args: machine(memory, init),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const pid = childPid(child.pid);
      if (pid !== undefined && hasSleepingChild(pid)) {
        const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
        const kb = (field: string) =>
          Number(rollup.match(new RegExp(`^${field}:\\s+(\\d+)`, "m"))?.[1]);
        return { rss: kb("Rss"), pss: kb("Pss") };
      }
      if (performance.now() > deadline) throw new Error("stage 2 never came up");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

function childPid(parent: number): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${parent}/task/${parent}/children`).trim();
    return text === "" ? undefined : Number(text.split(" ")[0]);
  } catch {
    return undefined;
  }
}

function hasSleepingChild(pid: number): boolean {
  const child = childPid(pid);
  if (child === undefined) return false;
  try {
    return Deno.readTextFileSync(`/proc/${child}/comm`).trim() === "sleep";
  } catch {
    return false;
  }
}

const memC = await initMemory(debian);
const memOurs = await initMemory(ours);
for (const dir of [cycle, request, memory]) Deno.removeSync(dir, { recursive: true });

const ms = (label: string) => medians.get(label)!;
const ratio = (a: string, b: string) => (ms(a) / ms(b)).toFixed(1) + "×";
report(
  "runit_boot",
  table(["case", "C runit (ms)", "denit (ms)", "denit / C"], [
    [
      "boot → stages 1, 2, 3 → power off",
      ms("boot cycle, C runit").toFixed(1),
      ms("boot cycle, denit").toFixed(1),
      ratio("boot cycle, denit", "boot cycle, C runit"),
    ],
    [
      "boot → `init 0` in stage 2 → power off",
      ms("init 0 cycle, C runit").toFixed(1),
      ms("init 0 cycle, denit").toFixed(1),
      ratio("init 0 cycle, denit", "init 0 cycle, C runit"),
    ],
  ]) + "\n" +
    table(["process 1 in stage 2", "C runit", "denit"], [
      ["RSS (kB)", String(memC.rss), String(memOurs.rss)],
      ["Pss (kB)", String(memC.pss), String(memOurs.pss)],
    ]) +
    "\nMedians of 10 interleaved rounds; wall time of `unshare` (namespace set-up included). " +
    "C runit looks for stage 2's exit once per second after SIGTERM; denit waits for it.\n",
);
