/**
 * runsv and sv (issue #3), against Debian's C runit in the same run:
 *
 * 1. `sv status` wall time: C sv, the empty-Deno floor (bench/startup.ts), denit sv.
 *    Goal: denit ≤ 1.15× the floor.
 * 2. `sv up` on a down service → `supervise/stat` says run: C sv as the client for both
 *    supervisors (so only the supervisor differs), polled every 0.5 ms. Goal ≤ 1.0× C.
 * 3. Restart spacing of a service whose run exits at once. Goal: 1.0 s like C.
 * 4. Idle supervisor CPU (utime+stime) over a 20 s window. Goal ~0.
 */

import {
  benchPrefix,
  FLOOR,
  floorContender,
  interleave,
  median,
  report,
  shortLivedFloor,
  table,
} from "./_harness.ts";
import { cpuTicks, sleep } from "../tests/_helpers.ts";

const prefix = await benchPrefix();
const OUR_RUNSV = `${prefix}/bin/runsv`;
const OUR_SV = `${prefix}/bin/sv`;
const IDLE_MS = Number(Deno.env.get("BENCH_IDLE_MS") ?? 20_000);

function stat(dir: string): string {
  try {
    return Deno.readTextFileSync(`${dir}/supervise/stat`).trim();
  } catch {
    return "";
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(0.5);
  }
}

interface Service {
  dir: string;
  child: Deno.ChildProcess;
  stop(): Promise<void>;
}

/** Every supervisor started, so that an error still stops them (and their services). */
const started: Service[] = [];

async function supervise(runsv: string, dir: string, files: Record<string, string>) {
  Deno.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    Deno.writeTextFileSync(`${dir}/${name}`, text);
    if (name === "run") Deno.chmodSync(`${dir}/${name}`, 0o755);
  }
  const child = new Deno.Command(runsv, {
    args: [dir],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped = false;
  const service: Service = {
    dir,
    child,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      child.kill("SIGTERM");
      await child.status;
    },
  };
  started.push(service);
  await until(() => stat(dir) !== "", `${dir} supervised`);
  return service;
}

const root = Deno.makeTempDirSync({ prefix: "denit-bench-supervise-" });
const rows: string[][] = [];
try {
  // 1. sv status.
  const target = await supervise("/usr/bin/runsv", `${root}/status`, {
    run: "#!/bin/sh\nexec sleep 1000\n",
  });
  await until(() => stat(target.dir) === "run", "the status target");
  const floorRun = await floorContender(prefix, root);
  // The launcher is a sh script that execs Deno: the same empty script behind one is
  // shown too, so the launcher's own cost is visible.
  const launcher = `${root}/empty-launcher`;
  Deno.writeTextFileSync(
    launcher,
    `#!/bin/sh\nDENO_DIR=${floorRun.env!.DENO_DIR} DENO_NO_UPDATE_CHECK=1 exec ${floorRun.cmd} ` +
      `${floorRun.args.join(" ")}\n`,
  );
  Deno.chmodSync(launcher, 0o755);
  const medians = await interleave([
    { label: "C sv status", cmd: "/usr/bin/sv", args: ["status", target.dir] },
    floorRun,
    shortLivedFloor(floorRun),
    { label: "empty deno run via a sh launcher", cmd: launcher, args: [] },
    { label: "denit sv status", cmd: OUR_SV, args: ["status", target.dir] },
  ], { rounds: 40 });
  await target.stop();
  const floor = medians.get(FLOOR)!;
  for (const [label, ms] of medians) {
    rows.push([`sv status: ${label}`, `${ms.toFixed(1)} ms`, `${(ms / floor).toFixed(2)}× floor`]);
  }

  // 4 (started now, measured in the background): idle CPU of each supervisor.
  const idle = await Promise.all([
    supervise(OUR_RUNSV, `${root}/idle-denit`, { run: "#!/bin/sh\nexec sleep 1000\n" }),
    supervise("/usr/bin/runsv", `${root}/idle-c`, { run: "#!/bin/sh\nexec sleep 1000\n" }),
  ]);
  await sleep(2000); // past start-up and Deno's 500 ms signal arming
  const idleStart = idle.map((s) => cpuTicks(s.child.pid));
  const idleDone = sleep(IDLE_MS).then(() =>
    idle.map((s, i) => cpuTicks(s.child.pid) - idleStart[i]!)
  );

  // 2. sv up → run, same C client, each supervisor.
  const upTimes = new Map<string, number[]>([["denit runsv", []], ["C runsv", []]]);
  const ups = await Promise.all([
    supervise(OUR_RUNSV, `${root}/up-denit`, { run: "#!/bin/sh\nexec sleep 1000\n", down: "" }),
    supervise("/usr/bin/runsv", `${root}/up-c`, { run: "#!/bin/sh\nexec sleep 1000\n", down: "" }),
  ]);
  for (let round = 0; round < 8; round++) {
    for (const [index, label] of ["denit runsv", "C runsv"].entries()) {
      const svc = ups[index]!;
      const started = performance.now();
      await new Deno.Command("/usr/bin/sv", { args: ["up", svc.dir], stdout: "null" }).output();
      await until(() => stat(svc.dir) === "run", `${label} up (stat ${stat(svc.dir)})`);
      upTimes.get(label)!.push(performance.now() - started);
    }
    await sleep(1100); // past the 1-second minimum run time, so down is not delayed
    for (const svc of ups) {
      await new Deno.Command("/usr/bin/sv", { args: ["down", svc.dir], stdout: "null" }).output();
    }
    await Promise.all(ups.map((svc) => until(() => stat(svc.dir) === "down", `${svc.dir} down`)));
    await sleep(100);
  }
  await Promise.all(ups.map((s) => s.stop()));
  const upC = median(upTimes.get("C runsv")!);
  for (const [label, values] of upTimes) {
    const ms = median(values);
    rows.push([`sv up → run: ${label}`, `${ms.toFixed(1)} ms`, `${(ms / upC).toFixed(2)}× C`]);
  }

  // 3. Restart spacing of a crashing service.
  const crashers = await Promise.all(
    ["denit", "c"].map((impl) =>
      supervise(impl === "denit" ? OUR_RUNSV : "/usr/bin/runsv", `${root}/crash-${impl}`, {
        run: "#!/bin/sh\ndate +%s.%N >>starts\nexit 1\n",
      })
    ),
  );
  await sleep(5500);
  await Promise.all(crashers.map((s) => s.stop()));
  const spacing = crashers.map((s) => {
    const starts = Deno.readTextFileSync(`${s.dir}/starts`).trim().split("\n").map(Number);
    return median(starts.slice(1).map((t, i) => t - starts[i]!));
  });
  rows.push([
    `restart spacing: denit runsv`,
    `${spacing[0]!.toFixed(3)} s`,
    `${(spacing[0]! / spacing[1]!).toFixed(2)}× C`,
  ]);
  rows.push([`restart spacing: C runsv`, `${spacing[1]!.toFixed(3)} s`, "1.00× C"]);

  const idleTicks = await idleDone;
  await Promise.all(idle.map((s) => s.stop()));
  const hz = 100;
  for (const [index, label] of ["denit runsv", "C runsv"].entries()) {
    const cpuMs = (idleTicks[index]! * 1000) / hz;
    rows.push([
      `idle CPU over ${IDLE_MS / 1000} s: ${label}`,
      `${cpuMs.toFixed(0)} ms`,
      `${((cpuMs / IDLE_MS) * 100).toFixed(2)} %`,
    ]);
  }
} finally {
  await Promise.all(started.map((s) => s.stop().catch(() => {})));
  Deno.removeSync(root, { recursive: true });
}

report("supervise", table(["measure", "median", "ratio"], rows));
