/**
 * runsv, runsvdir and svlogd give back the pages of Deno's binary that start-up mapped
 * (lib/startup_pages.ts), ~1 s after they start: runsv through the launcher in its
 * blocking wait, the others (and runsv without the launcher) from a timer. What they
 * drop must map again unchanged: each goes on working as before.
 */

import { assert, assertEquals } from "./_assert.ts";
import {
  cLaunchers,
  kernelStopsFaultAround,
  type Spawned,
  tempDir,
  vmFlagsAt,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import { deviceText, parseSmaps } from "../lib/proc_maps.ts";
import { startRunsvdir } from "./runsvdir_fixture.ts";
import { ourSvlogd, startSvlogd } from "./svlogd_helpers.ts";
import {
  readPid,
  SLEEP_RUN,
  startRunsv,
  startRunsvWithoutLauncher,
  waitExeced,
  waitRunning,
  waitStat,
  writeControl,
} from "./supervise_fixture.ts";

/** kB of `pid`'s executable (Deno) resident in its mappings. */
function binaryResidentKb(pid: number): number {
  const exe = Deno.statSync(`/proc/${pid}/exe`);
  const device = deviceText(exe.dev!);
  return parseSmaps(Deno.readTextFileSync(`/proc/${pid}/smaps`))
    .filter((m) => m.inode === exe.ino && m.device === device)
    .reduce((sum, m) => sum + m.rssKb, 0);
}

/** Whether every executable mapping of `pid`'s binary is registered for write-protect ("uw"). */
function faultAroundStopped(pid: number): boolean {
  const exe = Deno.statSync(`/proc/${pid}/exe`);
  const device = deviceText(exe.dev!);
  const smaps = Deno.readTextFileSync(`/proc/${pid}/smaps`);
  const text = parseSmaps(smaps, { device, inode: exe.ino! }).filter((m) => m.perms === "r-xp");
  return text.length > 0 && text.every((m) => vmFlagsAt(smaps, m.start).includes("uw"));
}

/**
 * Expects `pid` to drop at least half of its binary's resident pages within seconds, and
 * (where the kernel can) to stop fault-around on its code.
 */
async function dropsPages(pid: number): Promise<void> {
  const before = binaryResidentKb(pid);
  assert(before > 4096, `${before} kB of the binary resident after start-up`);
  let after = before;
  await waitFor(() => (after = binaryResidentKb(pid)) < before / 2, {
    timeoutMs: 8000,
    intervalMs: 100,
  }).catch(() => {
    throw new Error(`still ${after} kB of the binary resident (${before} kB at start)`);
  });
  if (kernelStopsFaultAround()) {
    await waitFor(() => faultAroundStopped(pid), { timeoutMs: 2000 }).catch(() => {
      throw new Error("fault-around still on for the binary's code (no `uw` in VmFlags)");
    });
  }
}

/**
 * Expects runsv to drop its pages, then to stop, start and restart the service and end
 * on TERM as ever.
 */
async function dropsPagesAndSupervises(dir: string, runsv: Spawned): Promise<void> {
  const first = await waitRunning(dir);
  await waitExeced(first);
  await dropsPages(runsv.pid);
  writeControl(dir, "d");
  await waitStat(dir, "down");
  writeControl(dir, "u");
  const second = await waitRunning(dir);
  assert(second !== first);
  await waitExeced(second);
  writeControl(dir, "k");
  await waitFor(() => readPid(dir) !== 0 && readPid(dir) !== second);
  runsv.signal("SIGTERM");
  assertEquals((await runsv.status).code, 0);
}

Deno.test({
  name: "runsv through the launcher gives back its start-up pages of Deno's binary, and goes on",
  ignore: !(await cLaunchers()),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, { "s/run!": SLEEP_RUN });
    await using r = await startRunsv(tmp.path, "s");
    await dropsPagesAndSupervises(`${tmp.path}/s`, r.proc);
  },
});

Deno.test("runsv without the launcher gives back its start-up pages from a timer", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "s/run!": SLEEP_RUN });
  await using proc = await startRunsvWithoutLauncher(tmp.path, "s");
  await dropsPagesAndSupervises(`${tmp.path}/s`, proc);
});

Deno.test("runsvdir gives back its start-up pages, and goes on supervising", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "sv/a/run!": SLEEP_RUN });
  await using rd = await startRunsvdir([`${tmp.path}/sv`]);
  const dir = `${tmp.path}/sv/a`;
  const first = await waitRunning(dir);
  await waitExeced(first);
  await dropsPages(rd.pid);
  // A killed service comes back; a new one is found and started.
  Deno.kill(first, "SIGKILL");
  await waitFor(() => readPid(dir) !== 0 && readPid(dir) !== first);
  writeTree(tmp.path, { "sv/b/run!": SLEEP_RUN });
  Deno.kill(rd.pid, "SIGALRM");
  await waitExeced(await waitRunning(`${tmp.path}/sv/b`));
});

Deno.test("svlogd gives back its start-up pages, and goes on logging", async () => {
  await using tmp = tempDir();
  Deno.mkdirSync(`${tmp.path}/log`);
  await using svlogd = startSvlogd(await ourSvlogd(), ["log"], tmp.path);
  await svlogd.write("before\n");
  const current = `${tmp.path}/log/current`;
  const read = () => {
    try {
      return Deno.readTextFileSync(current);
    } catch {
      return "";
    }
  };
  await waitFor(() => read() === "before\n");
  await dropsPages(svlogd.pid);
  await svlogd.write("after\n");
  await waitFor(() => read() === "before\nafter\n");
  await svlogd.closeInput();
  assertEquals(await svlogd.exit(), 0);
});
