/**
 * runsv writes its status files once per event, with the state after it (docs/runsv.md,
 * "Deviations from runit"): runit also writes the states in between, which last
 * microseconds. The writes are counted with strace, for ours and for Debian's runsv.
 */

import { assertEquals } from "./_assert.ts";
import {
  bin,
  haveDebianRunit,
  killTree,
  readOrUndefined,
  sleep,
  spawn,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import {
  readStat,
  SLEEP_RUN,
  startRunsv,
  waitRunning,
  waitStat,
  writeControl,
} from "./supervise_fixture.ts";

/**
 * How many times the trace shows `stat.new` renamed to `stat` (a write of the stat file).
 * The call's line is counted whether it ends there or is "<unfinished ...>" (another
 * traced process, the service, had an event meanwhile).
 */
function statWrites(trace: string): number {
  const text = readOrUndefined(trace) ?? "";
  // rename(OLD, NEW) for Debian's; renameat(DIRFD, OLD, DIRFD, NEW) for ours.
  const write = /rename(?:at2?)?\((?:[^,"]*, )?"[^"]*stat\.new", (?:[^,"]*, )?"[^"]*\/stat"/;
  return text.split("\n").filter((line) => write.test(line)).length;
}

/** Runs `runsv s` under strace; `act` drives it; returns the stat writes `act` caused. */
async function countStatWrites(
  runsv: string,
  files: Record<string, string | null>,
  act: (dir: string) => Promise<void>,
): Promise<number> {
  await using tmp = tempDir();
  writeTree(tmp.path, files);
  const trace = `${tmp.path}/trace`;
  await using proc = spawn("strace", [
    "-f",
    "-qq",
    "-e",
    "trace=rename,renameat,renameat2",
    "-o",
    trace,
    runsv,
    "s",
  ], {
    cwd: tmp.path,
  });
  try {
    const dir = `${tmp.path}/s`;
    await waitFor(() => readStat(dir) !== undefined, { what: "runsv started" });
    await sleep(300); // start-up writes are done
    const before = statWrites(trace);
    await act(dir);
    await sleep(300); // writes that would follow the one waited for
    return statWrites(trace) - before;
  } finally {
    killTree(proc.pid);
  }
}

const RUNSVS = async (): Promise<[string, string][]> => [
  ["denit", await bin("runsv")],
  ...(haveDebianRunit() ? [["Debian", "/usr/bin/runsv"] as [string, string]] : []),
];

Deno.test("runsv: `u` on a down service writes stat once (runit: twice, 'down' then 'run')", async () => {
  for (const [name, runsv] of await RUNSVS()) {
    const writes = await countStatWrites(
      runsv,
      { "s/run!": SLEEP_RUN, "s/down": "" },
      async (dir) => {
        await waitStat(dir, "down");
        writeControl(dir, "u");
        await waitRunning(dir);
      },
    );
    assertEquals(writes, name === "denit" ? 1 : 2, `${name} runsv`);
  }
});

Deno.test("runsv: `d` on a running service writes stat twice (runit: three times)", async () => {
  for (const [name, runsv] of await RUNSVS()) {
    const writes = await countStatWrites(runsv, { "s/run!": SLEEP_RUN }, async (dir) => {
      await waitRunning(dir);
      await sleep(1100); // past the 1-second minimum run, so `down` is not delayed
      writeControl(dir, "d");
      await waitStat(dir, "down");
    });
    // "run, got TERM, want down" then "down" (runit writes "run, want down" first).
    assertEquals(writes, name === "denit" ? 2 : 3, `${name} runsv`);
  }
});

Deno.test("runsv: a control script still sees the state runit writes before it", async () => {
  await using tmp = tempDir();
  const sv = await bin("sv");
  writeTree(tmp.path, {
    "s/run!": SLEEP_RUN,
    "s/down": "",
    // runit runs control/u after writing "want up": a script that asks must see it.
    "s/control/u!": `#!/bin/sh\n${sv} status . >seen\n`,
  });
  await using runsv = await startRunsv(tmp.path, "s");
  const dir = runsv.dir;
  await waitStat(dir, "down");
  writeControl(dir, "u");
  await waitRunning(dir);
  const seen = await waitFor(() => readOrUndefined(`${dir}/seen`), { what: "control/u ran" });
  assertEquals(seen!.replace(/\d+s/, "Ns"), "down: .: Ns, want up\n");
});
