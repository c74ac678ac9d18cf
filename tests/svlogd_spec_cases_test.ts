/**
 * svlogd spec cases that need a running svlogd next to something else: the `t` timeout
 * with an empty `current` (spec svlogd.md §14 case 24), a second svlogd on a locked
 * directory (case 32) and a `current` that cannot be created (case 35). Each runs our
 * svlogd and Debian's on the same scenario and asserts the same messages, exit codes and
 * files; where we differ on purpose (DEVIATIONS.md 7) the deviation is asserted instead.
 */

import { assert, assertEquals } from "./_assert.ts";
import { SETPRIV_AS_NOBODY, sleep, tempDir, waitFor, writeTree } from "./_helpers.ts";
import {
  DEBIAN_SVLOGD,
  haveDebianSvlogd,
  namesIn,
  ourSvlogd,
  type RunningSvlogd,
  runSvlogd,
  snapshot,
  startSvlogd,
} from "./svlogd_helpers.ts";

const haveDebian = haveDebianSvlogd();
const ROTATED = /^@[0-9a-f]{24}\.[su]$/;

/** Our svlogd and Debian's, or ours alone when Debian's is missing. */
async function contenders(): Promise<string[]> {
  return haveDebian ? [await ourSvlogd(), DEBIAN_SVLOGD] : [await ourSvlogd()];
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Whether user nobody can reach `path` (every parent directory searchable by others). */
function othersCanReach(path: string): boolean {
  for (let dir = path; dir.lastIndexOf("/") > 0; dir = dir.slice(0, dir.lastIndexOf("/"))) {
    const parent = dir.slice(0, dir.lastIndexOf("/"));
    if (((Deno.statSync(parent).mode ?? 0) & 0o001) === 0) return false;
  }
  return true;
}

/** Waits for `svlogd` to have written `text` to `dir/current`, naming `cmd` on a timeout. */
async function logged(
  svlogd: RunningSvlogd,
  dir: string,
  text: string,
  cmd: string,
): Promise<void> {
  await waitFor(() => read(`${dir}/current`) === text, {
    timeoutMs: 10_000,
    what: `${cmd} to log ${JSON.stringify(text)}`,
  }).catch((err) => {
    throw new Error(`${err.message}; stderr: ${JSON.stringify(svlogd.stderr())}`);
  });
}

Deno.test("svlogd: t2 rotates a quiet non-empty current, never an empty one (case 24)", async () => {
  // Both at once: each spends most of its time waiting for the timeout.
  const trees = await Promise.all((await contenders()).map(async (cmd) => {
    await using tmp = tempDir();
    writeTree(tmp.path, { "d/config": "t2\n" });
    const dir = `${tmp.path}/d`;
    await using svlogd = startSvlogd(cmd, ["-v", "d"], tmp.path);
    await waitFor(() => svlogd.stderr().includes("new: d/current"), { what: `${cmd} started` });
    // An empty current through two deadlines: nothing to rotate.
    await sleep(4_500);
    assertEquals(namesIn(dir, ROTATED), [], `${cmd}: an empty current was rotated`);
    // A non-empty one is rotated by the deadline alone, with no more input.
    await svlogd.write("foo\n");
    await waitFor(() => namesIn(dir, ROTATED).length === 1, {
      timeoutMs: 10_000,
      what: `${cmd} to rotate foo by the timeout`,
    });
    // Empty again: two more deadlines pass without a rotation.
    await sleep(4_500);
    assertEquals(namesIn(dir, ROTATED).length, 1, `${cmd}: the empty current was rotated`);
    await svlogd.write("bar\n");
    await logged(svlogd, dir, "bar\n", cmd);
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    assertEquals(
      svlogd.stderr().replace(/@[0-9a-f]{24}/, "@X"),
      "svlogd: info: read: d/config\nsvlogd: info: new: d/current\n" +
        "svlogd: info: rename: d/current @X.s 4\nsvlogd: info: close: d\n",
      cmd,
    );
    return snapshot(dir);
  }));
  assertEquals(trees[0], [
    '@#1.s 744 "foo\\n"',
    'config 644 "t2\\n"',
    'current 744 "bar\\n"',
    'lock 600 ""',
  ]);
  if (trees.length === 2) assertEquals(trees[0], trees[1], "ours and Debian's");
});

Deno.test("svlogd: a second svlogd on a locked directory: fatal, 111, either way round (case 32)", async () => {
  const ours = await ourSvlogd();
  // Each against itself, and across: a lock held by Debian's and one held by ours.
  const pairs: [string, string][] = haveDebian
    ? [[ours, ours], [DEBIAN_SVLOGD, DEBIAN_SVLOGD], [DEBIAN_SVLOGD, ours], [ours, DEBIAN_SVLOGD]]
    : [[ours, ours]];
  for (const [first, second] of pairs) {
    const what = `${second} against ${first}`;
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    await using holder = startSvlogd(first, ["d"], tmp.path);
    // A logged line: the lock is taken before the first read.
    await holder.write("a\n");
    await logged(holder, `${tmp.path}/d`, "a\n", first);
    const refused = await runSvlogd(second, ["d"], { cwd: tmp.path, stdin: "x\n" });
    assertEquals(refused, {
      code: 111,
      stderr: "svlogd: warning: unable to lock directory: d: temporary failure\n" +
        "svlogd: fatal: no functional log directories.\n",
    }, what);
    // The holder goes on, untouched by the refused one.
    await holder.write("b\n");
    await holder.closeInput();
    assertEquals(await holder.exit(), 0, holder.stderr());
    assertEquals(holder.stderr(), "", what);
    assertEquals(snapshot(`${tmp.path}/d`), ['current 744 "a\\nb\\n"', 'lock 600 ""'], what);
  }
});

/** Times (performance.now()) at which each line of `svlogd`'s stderr was first seen. */
function lineTimes(svlogd: RunningSvlogd): { times: number[]; poll(): number } {
  const times: number[] = [];
  return {
    times,
    poll(): number {
      const count = svlogd.stderr().split("\n").length - 1;
      while (times.length < count) times.push(performance.now());
      return count;
    },
  };
}

Deno.test({
  name:
    "svlogd as nobody: a current it may not create pauses every 3 s; SIGTERM ends ours (case 35)",
  ignore: Deno.uid() !== 0,
  async fn() {
    const pausing = "svlogd: pausing: unable to open current: u: access denied\n";
    // The test prefix may be private to root (a file run alone): then only Debian's runs.
    const cmds = (await contenders()).filter(othersCanReach);
    assert(cmds.length > 0, "neither svlogd can be run as nobody");
    await Promise.all(cmds.map(async (cmd) => {
      await using tmp = tempDir();
      Deno.chmodSync(tmp.path, 0o755);
      // nobody may write lock (and flock it) but not create anything beside it: EACCES.
      writeTree(tmp.path, { "u/lock": "" });
      Deno.chmodSync(`${tmp.path}/u/lock`, 0o666);
      Deno.chmodSync(`${tmp.path}/u`, 0o555);
      await using svlogd = startSvlogd("setpriv", [...SETPRIV_AS_NOBODY, cmd, "u"], tmp.path);
      const seen = lineTimes(svlogd);
      // The first attempt and two retries, 3 s apart (widened for a loaded machine).
      await waitFor(() => seen.poll() >= 3, { timeoutMs: 15_000, what: `${cmd}: two retries` })
        .catch((err) => {
          throw new Error(`${err.message}; stderr: ${JSON.stringify(svlogd.stderr())}`);
        });
      for (let i = 1; i < 3; i++) {
        const gap = seen.times[i]! - seen.times[i - 1]!;
        assert(gap > 2_500 && gap < 6_000, `${cmd}: retry ${i} after ${gap.toFixed(0)} ms`);
      }
      assertEquals(svlogd.stderr(), pausing.repeat(seen.poll()), cmd);
      svlogd.signal("SIGTERM");
      if (cmd === DEBIAN_SVLOGD) {
        // runit's pause loop does not look at SIGTERM (spec §10): it pauses on, until the
        // SIGKILL of the cleanup.
        const count = seen.poll();
        await waitFor(() => seen.poll() > count, { timeoutMs: 8_000, what: "Debian's pause on" });
        assertEquals(svlogd.stderr(), pausing.repeat(seen.poll()), cmd);
      } else {
        // DEVIATIONS.md 7: ours obeys SIGTERM in the pause and exits 0.
        assertEquals(await svlogd.exit(5_000), 0, svlogd.stderr());
        assertEquals(svlogd.stderr(), pausing.repeat(seen.poll()), cmd);
      }
      assertEquals(namesIn(`${tmp.path}/u`, /./), ["lock"], cmd);
      Deno.chmodSync(`${tmp.path}/u`, 0o755); // for the removal (root removes it anyway)
    }));
  },
});
