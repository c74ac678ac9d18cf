/**
 * How runsv waits (lib/supervise/signal_wait.ts): through the C launcher, CHLD and TERM
 * come blocked and runsv takes them from a signalfd in its one blocking poll; started any
 * other way it waits on Deno's event loop. Both must supervise alike, and as Debian's.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cLaunchers,
  haveDebianRunit,
  readText,
  sleep,
  type Spawned,
  tempDir,
  testPrefix,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import { startDebianRunsvdir } from "./runsvdir_fixture.ts";
import {
  alive,
  readPid,
  SLEEP_RUN,
  startRunsv,
  startRunsvWithoutLauncher,
  sv,
  waitExeced,
  waitRunning,
  waitStat,
  writeControl,
} from "./supervise_fixture.ts";

const SIGUSR1_BIT = 1n << 9n;
const SIGTERM_BIT = 1n << 14n;
const SIGCHLD_BIT = 1n << 16n;

function blockedMask(statusText: string): bigint {
  const hex = /^SigBlk:\s*([0-9a-f]+)$/m.exec(statusText)?.[1];
  assert(hex !== undefined, statusText);
  return BigInt(`0x${hex}`);
}

function threadMasks(pid: number): bigint[] {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].map((task) =>
    blockedMask(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/status`))
  );
}

function hasSignalFd(pid: number): boolean {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].some((entry) => {
    try {
      return Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`) === "anon_inode:[signalfd]";
    } catch {
      return false;
    }
  });
}

/**
 * Kills ./run (past the 1 s minimum), waits for the restart (CHLD seen), then sends runsv
 * TERM and expects it to end with 0.
 */
async function killedRestartsThenTerm(dir: string, pid: number, runsv: Spawned): Promise<void> {
  await sleep(1100);
  Deno.kill(pid, "SIGKILL");
  await waitFor(() => {
    const next = readPid(dir);
    return next !== 0 && next !== pid;
  });
  runsv.signal("SIGTERM");
  assertEquals((await runsv.status).code, 0);
}

Deno.test({
  name: "runsv through the launcher: CHLD, TERM (and USR1) blocked in every thread, a signalfd",
  ignore: !(await cLaunchers()),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, { "s/run!": SLEEP_RUN });
    await using r = await startRunsv(tmp.path, "s");
    const dir = `${tmp.path}/s`;
    const pid = await waitRunning(dir);
    await waitExeced(pid);
    // USR1 too, as for every long-running applet: Deno's inspector trigger never fires.
    const waits = SIGTERM_BIT | SIGCHLD_BIT | SIGUSR1_BIT;
    for (const mask of threadMasks(r.proc.pid)) assertEquals(mask & waits, waits);
    assert(hasSignalFd(r.proc.pid), "runsv holds a signalfd");
    // ./run starts with nothing blocked, as from C runsv.
    assertEquals(blockedMask(Deno.readTextFileSync(`/proc/${pid}/status`)), 0n);
    // A death is seen (CHLD) and the service restarted; TERM ends runsv after the service.
    await killedRestartsThenTerm(dir, pid, r.proc);
    assertMatch(readText(`${dir}/supervise/stat`), /^down\n$/);
  },
});

Deno.test("runsv started without the launcher waits on Deno's event loop, just as well", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "s/run!": SLEEP_RUN,
    "s/finish!": '#!/bin/sh\necho "finish $1 $2" >>../events\n',
  });
  const dir = `${tmp.path}/s`;
  await using proc = await startRunsvWithoutLauncher(tmp.path, "s");
  const pid = await waitRunning(dir);
  await waitExeced(pid);
  assert(!hasSignalFd(proc.pid), "no signalfd");
  assertEquals(threadMasks(proc.pid)[0]! & (SIGTERM_BIT | SIGCHLD_BIT), 0n);
  const down = await sv(["down", "./s"], { cwd: tmp.path });
  assertEquals(down.code, 0, down.stdout + down.stderr);
  await waitStat(dir, "down");
  writeControl(dir, "u");
  const second = await waitRunning(dir);
  assert(second !== pid);
  await waitExeced(second);
  proc.signal("SIGTERM");
  assertEquals((await proc.status).code, 0);
  assertEquals(readText(`${tmp.path}/events`), "finish -1 15\nfinish -1 15\n");
});

// runsv reads its control byte after reaping: one written during the 1-second restart
// delay acts on the state the dead ./run left (down), not on the next ./run. `t` on a
// down service does nothing, so control/t never runs.
for (const debian of [false, true]) {
  Deno.test({
    name: `runsv${debian ? " (Debian's)" : ""}: t in the restart delay acts on down: no control/t`,
    ignore: debian && !haveDebianRunit(),
    async fn() {
      for (let attempt = 1;; attempt++) {
        await using tmp = tempDir();
        writeTree(tmp.path, {
          "s/run!": "#!/bin/sh\necho run >>../events\nsleep 0.1\nexit 3\n",
          "s/control/t!": '#!/bin/sh\necho "control/t $(cat supervise/stat)" >>../events\n',
        });
        const started = performance.now();
        await using _r = await startRunsv(tmp.path, "s", { debian });
        const dir = `${tmp.path}/s`;
        const events = `${tmp.path}/events`;
        await waitFor(() => readText(events) === "run\n" && readPid(dir) === 0, { intervalMs: 5 });
        writeControl(dir, "t");
        // Only meaningful when the byte came inside the delay (a loaded machine can be late).
        if (performance.now() - started >= 800) {
          assert(attempt < 5, "five attempts, none inside the 1 s delay");
          continue;
        }
        await waitFor(() => readText(events).startsWith("run\nrun\n"));
        await sleep(300);
        assert(!readText(events).includes("control/t"), readText(events));
        return;
      }
    },
  });
}

// The usual way runsv runs: started by a runsvdir (here Debian's, which finds our runsv
// first in PATH), which sends it SIGTERM when the service directory goes away.
Deno.test({
  name: "Debian's runsvdir runs our runsv: a removed service gets TERM, runsv exits",
  ignore: !haveDebianRunit() || !(await cLaunchers()),
  async fn() {
    const prefix = await testPrefix();
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "sv/a/run!": SLEEP_RUN,
      // By its full path: the directory moves.
      "sv/a/finish!": `#!/bin/sh\necho "finish $1 $2" >>${tmp.path}/events\n`,
    });
    await using _rd = startDebianRunsvdir([`${tmp.path}/sv`], {
      env: { PATH: `${prefix}/bin:/usr/bin:/bin` },
    });
    const pid = await waitRunning(`${tmp.path}/sv/a`);
    await waitExeced(pid);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const runsv = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    assert(hasSignalFd(runsv), "our runsv, waiting on its signalfd");
    // runsvdir looks again at least every 5 s; it then sends TERM to the runsv it lost.
    Deno.renameSync(`${tmp.path}/sv/a`, `${tmp.path}/gone`);
    await waitFor(() => !alive(runsv) && !alive(pid), { timeoutMs: 15_000 });
    assertEquals(readText(`${tmp.path}/events`), "finish -1 15\n");
  },
});

// With an in-process log runsv waits on the event loop (the log engine needs it); with the
// launcher's blocked signals it then reads CHLD and TERM from the signalfd on Deno's
// blocking pool. A processor (a child of runsv), a crashed ./run and TERM all need them.
Deno.test({
  name: "runsv with an in-process log: a processor, a restart and TERM through the signalfd",
  ignore: !(await cLaunchers()),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      // ~2.6 kB against s100: many rotations, each running the processor.
      "s/run!": "#!/bin/sh\ni=0\nwhile [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done\n" +
        "exec sleep 1000\n",
      "s/log/svlogd": "./main\n",
      "s/log/main/config": "s100\n!tr a-z A-Z\n",
    });
    await using r = await startRunsv(tmp.path, "s");
    const dir = `${tmp.path}/s`;
    const processed = () =>
      [...Deno.readDirSync(`${dir}/log/main`)]
        .filter((entry) => /^@[0-9a-f]{24}\.s$/.test(entry.name))
        .map((entry) => readText(`${dir}/log/main/${entry.name}`))
        .join("");
    // Rotated past 100 bytes: the processor ran, its exit reaped through the signalfd.
    await waitFor(() => processed().includes("LINE 1\n"), { timeoutMs: 8000 });
    assert(hasSignalFd(r.proc.pid), "the launcher's signals: a signalfd");
    const pid = await waitRunning(dir);
    await killedRestartsThenTerm(dir, pid, r.proc);
  },
});
