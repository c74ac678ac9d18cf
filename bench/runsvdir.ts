/**
 * runsvdir (issue #4), against Debian's runit and s6 in the same run:
 *
 * 1. Memory of the whole supervision tree: PSS (from /proc/PID/smaps_rollup) of the
 *    scanner and everything it runs for supervision and logging — not the services' own
 *    processes (`sleep`) — at N = 1, 10, 50, 100 services, each with a log service.
 *    Forms: denit in-process logging (`log/svlogd` file), classic `log/run` with each
 *    suite's own logger (svlogd / s6-log), and services without logs. Goal: per-service
 *    slope ≤ 150 kB, total ≤ 50 MB at N = 100.
 * 2. New service directory → its `./run` runs: median latency. Goal ≤ 50 ms. runit
 *    notices on its 5 s rescan; s6-svscan is told with `s6-svscanctl -a`, as s6 is used.
 */

import { benchPrefix, median, report, table } from "./_harness.ts";
import { sleep } from "../tests/_helpers.ts";

const prefix = await benchPrefix();
const OUR_RUNSVDIR = `${prefix}/bin/runsvdir`;
const OUR_SVLOGD = `${prefix}/bin/svlogd`;
const SIZES = (Deno.env.get("BENCH_SIZES") ?? "1,10,50,100").split(",").map(Number);
const PATH = "/usr/bin:/bin:/usr/sbin:/sbin";

type Suite = "denit" | "runit" | "s6";
type LogForm = "inprocess" | "classic" | "none";

interface Running {
  pid: number;
  child: Deno.ChildProcess;
}

function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(entry.name));
      map.set(ppid, list);
    } catch {
      // gone
    }
  }
  return map;
}

function tree(root: number): number[] {
  const map = childrenMap();
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...(map.get(all[i]!) ?? []));
  return all;
}

function comm(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "";
  }
}

interface Memory {
  /** Pss: everything, file-backed pages divided among the processes mapping them. */
  pss: number;
  /** Pss_Anon: the process's own memory (heap, stacks), what grows with N. */
  anon: number;
}

function memoryKb(pid: number): Memory {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { pss: field("Pss"), anon: field("Pss_Anon") };
  } catch {
    return { pss: 0, anon: 0 };
  }
}

/** Memory of the supervision tree: everything under root except the services (`sleep`). */
function supervisionKb(root: number): Memory {
  const total = { pss: 0, anon: 0 };
  for (const pid of tree(root)) {
    if (comm(pid) === "sleep") continue;
    const m = memoryKb(pid);
    total.pss += m.pss;
    total.anon += m.anon;
  }
  return total;
}

function writeExecutable(path: string, text: string): void {
  Deno.writeTextFileSync(path, text);
  Deno.chmodSync(path, 0o755);
}

function makeTree(dir: string, n: number, suite: Suite, form: LogForm): void {
  Deno.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const svc = `${dir}/s${i}`;
    Deno.mkdirSync(`${svc}/log/main`, { recursive: true });
    writeExecutable(`${svc}/run`, "#!/bin/sh\nexec sleep 100000\n");
    if (form === "none") {
      Deno.removeSync(`${svc}/log`, { recursive: true });
    } else if (form === "inprocess") {
      Deno.writeTextFileSync(`${svc}/log/svlogd`, "-tt ./main\n");
    } else {
      const logger = suite === "s6"
        ? "s6-log t ./main"
        : suite === "runit"
        ? "/usr/bin/svlogd -tt ./main"
        : `${OUR_SVLOGD} -tt ./main`;
      writeExecutable(`${svc}/log/run`, `#!/bin/sh\nexec ${logger}\n`);
    }
  }
}

function start(suite: Suite, dir: string): Running {
  const [cmd, args] = suite === "denit"
    ? [OUR_RUNSVDIR, ["-P", dir]]
    : suite === "runit"
    ? ["/usr/bin/runsvdir", ["-P", dir]]
    : ["/usr/bin/s6-svscan", [dir]];
  const child = new Deno.Command(cmd, {
    args,
    env: { PATH },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { pid: child.pid, child };
}

async function stop(suite: Suite, running: Running, dir: string): Promise<void> {
  const pids = tree(running.pid);
  if (suite === "s6") {
    await new Deno.Command("/usr/bin/s6-svscanctl", { args: ["-t", dir] }).output();
  } else {
    running.child.kill("SIGTERM");
  }
  const deadline = Date.now() + 10_000;
  const exited = running.child.status.then(() => true);
  while (Date.now() < deadline && !(await Promise.race([exited, sleep(50).then(() => false)]))) {
    // waiting
  }
  for (const pid of [...pids, ...tree(running.pid)]) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await running.child.status;
}

/** Waits until N services (and N logs, unless none) run: counted as processes. */
async function settle(root: number, n: number, form: LogForm): Promise<void> {
  const want = form === "classic" ? 2 * n : n;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pids = tree(root);
    const services = pids.filter((pid) => comm(pid) === "sleep").length;
    const loggers = pids.filter((pid) => /svlogd|s6-log/.test(comm(pid))).length;
    if (services + (form === "classic" ? loggers : 0) >= want) break;
    if (Date.now() > deadline) throw new Error(`${n} services did not come up`);
    await sleep(100);
  }
  await sleep(2_000); // let start-up garbage be collected and pages settle
}

/** True when the in-process form (log/svlogd) writes its log: supervisors support it. */
async function inProcessWorks(): Promise<boolean> {
  const dir = Deno.makeTempDirSync({ prefix: "denit-bench-" });
  try {
    Deno.mkdirSync(`${dir}/a/log/main`, { recursive: true });
    writeExecutable(`${dir}/a/run`, "#!/bin/sh\necho probe\nexec sleep 100000\n");
    Deno.writeTextFileSync(`${dir}/a/log/svlogd`, "-tt ./main\n");
    const running = start("denit", dir);
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await sleep(100);
      try {
        ok = Deno.readTextFileSync(`${dir}/a/log/main/current`).includes("probe");
      } catch {
        // not yet
      }
    }
    await stop("denit", running, dir);
    return ok;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

async function measureMemory(suite: Suite, form: LogForm, n: number): Promise<Memory> {
  const dir = Deno.makeTempDirSync({ prefix: "denit-bench-" });
  try {
    makeTree(`${dir}/svc`, n, suite, form);
    const running = start(suite, `${dir}/svc`);
    try {
      await settle(running.pid, n, form);
      return supervisionKb(running.pid);
    } finally {
      await stop(suite, running, `${dir}/svc`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Least-squares slope of kB over N. */
function slope(points: readonly [number, number][]): number {
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function measureLatency(suite: Suite, rounds: number): Promise<number[]> {
  const dir = Deno.makeTempDirSync({ prefix: "denit-bench-" });
  const scan = `${dir}/svc`;
  Deno.mkdirSync(scan);
  const running = start(suite, scan);
  const samples: number[] = [];
  try {
    await sleep(1_500); // past start-up
    for (let i = 0; i < rounds; i++) {
      const staged = `${dir}/stage${i}`;
      const marker = `${dir}/ran${i}`;
      Deno.mkdirSync(staged);
      writeExecutable(`${staged}/run`, `#!/bin/sh\n: >${marker}\nexec sleep 100000\n`);
      // Wait for the next second boundary + a random offset, so runit's 5 s period is
      // sampled fairly rather than in phase with our rounds.
      await sleep(200 + Math.random() * 800);
      const t0 = performance.now();
      Deno.renameSync(staged, `${scan}/s${i}`);
      if (suite === "s6") {
        await new Deno.Command("/usr/bin/s6-svscanctl", { args: ["-a", scan] }).output();
      }
      for (;;) {
        try {
          Deno.statSync(marker);
          break;
        } catch {
          if (performance.now() - t0 > 15_000) throw new Error(`${suite}: run never ran`);
          await sleep(1);
        }
      }
      samples.push(performance.now() - t0);
    }
  } finally {
    await stop(suite, running, scan);
    Deno.removeSync(dir, { recursive: true });
  }
  return samples;
}

const inProcess = await inProcessWorks();
const forms: [Suite, LogForm, string][] = [
  ...(inProcess
    ? [["denit", "inprocess", "denit, log/svlogd (in-process)"] as [
      Suite,
      LogForm,
      string,
    ]]
    : []),
  ["denit", "classic", "denit, log/run = denit svlogd"],
  ["denit", "none", "denit, no log"],
  ["runit", "classic", "C runit, log/run = svlogd"],
  ["runit", "none", "C runit, no log"],
  ["s6", "classic", "s6, log/run = s6-log"],
  ["s6", "none", "s6, no log"],
];

const memoryRows: string[][] = [];
for (const [suite, form, label] of forms) {
  const points = new Map<number, Memory>();
  for (const n of SIZES) points.set(n, await measureMemory(suite, form, n));
  const pss = [...points].map(([n, m]) => [n, m.pss] as [number, number]);
  const anon = [...points].map(([n, m]) => [n, m.anon] as [number, number]);
  memoryRows.push([
    label,
    ...SIZES.map((n) => {
      const m = points.get(n)!;
      return `${(m.pss / 1024).toFixed(1)} (${(m.anon / 1024).toFixed(1)})`;
    }),
    slope(pss).toFixed(0),
    slope(anon).toFixed(0),
  ]);
}

const latencyRounds = Number(Deno.env.get("BENCH_ROUNDS") ?? "15");
const latency: [string, number[]][] = [
  ["denit runsvdir (directory watch)", await measureLatency("denit", latencyRounds)],
  ["C runsvdir (5 s rescan)", await measureLatency("runit", Math.min(latencyRounds, 8))],
  ["s6-svscan + s6-svscanctl -a", await measureLatency("s6", latencyRounds)],
];
const cLatency = median(latency[1]![1]);

const note = inProcess
  ? ""
  : "\nThe in-process form (log/svlogd) is not measured: the supervisor does not use the " +
    "svlogd sink yet (its probe wrote no log).\n";
report(
  "runsvdir",
  "Supervision-tree memory in MB, PSS (Pss_Anon), from /proc/PID/smaps_rollup: scanner, " +
    "supervisors and loggers, the services themselves excluded. Slopes in kB per service " +
    "(least squares over N). The file-backed part of a Deno process's PSS is the ~30 MB " +
    "deno binary divided among every process mapping it, so on a shared machine it " +
    "moves with other people's Deno processes; Pss_Anon is the part that grows with N.\n\n" +
    table(
      ["tree", ...SIZES.map((n) => `N=${n}`), "kB/service (PSS)", "kB/service (anon)"],
      memoryRows,
    ) + note +
    "\nNew service directory → `./run` runs (ms):\n\n" +
    table(
      ["scanner", "median", "min", "max", "× C runit"],
      latency.map(([label, samples]) => [
        label,
        median(samples).toFixed(1),
        Math.min(...samples).toFixed(1),
        Math.max(...samples).toFixed(1),
        (median(samples) / cLatency).toFixed(3),
      ]),
    ),
);
