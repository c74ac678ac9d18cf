/**
 * runsv gives back the pages of Deno's binary that start-up mapped (lib/startup_pages.ts),
 * ~1 s after it starts: through the launcher in its blocking wait, without it from a
 * timer. What it drops must map again unchanged: it goes on supervising as before.
 */

import { assert, assertEquals } from "./_assert.ts";
import {
  cLaunchers,
  spawn,
  type Spawned,
  tempDir,
  testPrefix,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import { deviceText, parseSmaps } from "../lib/proc_maps.ts";
import {
  readPid,
  SLEEP_RUN,
  startRunsv,
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

/**
 * Expects runsv to drop at least half of its binary's resident pages within a few
 * seconds, then to stop, start and restart the service and end on TERM as ever.
 */
async function dropsPagesAndSupervises(dir: string, runsv: Spawned): Promise<void> {
  const first = await waitRunning(dir);
  await waitExeced(first);
  const before = binaryResidentKb(runsv.pid);
  assert(before > 4096, `${before} kB of the binary resident after start-up`);
  let after = before;
  await waitFor(() => (after = binaryResidentKb(runsv.pid)) < before / 2, {
    timeoutMs: 8000,
    intervalMs: 100,
  }).catch(() => {
    throw new Error(`still ${after} kB of the binary resident (${before} kB at start)`);
  });
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
  const prefix = await testPrefix();
  await using tmp = tempDir();
  writeTree(tmp.path, { "s/run!": SLEEP_RUN });
  await using proc = spawn("env", [
    "--default-signal",
    `${prefix}/lib/denit/deno`,
    "run",
    "-A",
    "--cached-only",
    "--no-config",
    "--no-lock",
    `${prefix}/lib/denit/src/entry/runsv.js`,
    "s",
  ], {
    cwd: tmp.path,
    env: { DENO_DIR: `${prefix}/lib/denit/cache`, DENIT_ARGV0: "runsv" },
  });
  await dropsPagesAndSupervises(`${tmp.path}/s`, proc);
});
