/**
 * runsvdir spec cases 21 and 22 (spec/runsvdir.md "Test cases"), each run on our runsvdir
 * and on Debian's: SIGALRM rescans within about a second what neither the directory's
 * mtime nor anything else shows, and more than 1000 services give runit's "too many
 * services." warning once per scan while 1000 are supervised.
 *
 * A dangling symlink in the scan directory makes each scan visible: both print `unable to
 * stat NAME` for it on every scan.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  bin,
  haveDebianRunit,
  killAll,
  type RunOptions,
  sleep,
  spawn,
  type Spawned,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import {
  type RunningRunsvdir,
  serviceStat,
  sleeper,
  startDebianRunsvdir,
  startRunsvdir,
  waitRunning,
} from "./runsvdir_fixture.ts";
import { writeStderr } from "../lib/output.ts";

const DEBIAN_RUNSVDIR = "/usr/bin/runsvdir";
/** Debian's runsvdir finds its runsv through PATH: Debian's, not ours. */
const DEBIAN_ENV = { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" };
/** An mtime in the past (whole seconds, as runit compares them). */
const OLD = new Date("2001-02-03T04:05:06Z");

/** Our runsvdir and Debian's, when installed. */
async function bothRunsvdirs(): Promise<string[]> {
  return [await bin("runsvdir"), ...(haveDebianRunit() ? [DEBIAN_RUNSVDIR] : [])];
}

/** Starts `program` (ours or Debian's) on `args`. */
async function startProgram(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunningRunsvdir> {
  return program === DEBIAN_RUNSVDIR
    ? startDebianRunsvdir(args, { ...options, env: DEBIAN_ENV })
    : await startRunsvdir(args, options);
}

/** How many times `text` occurs in `haystack`. */
function count(haystack: string, text: string): number {
  return haystack.split(text).length - 1;
}

/** waitFor(), whose timeout also says what `detail()` gives then. */
async function waitSaying(
  check: () => boolean,
  options: { timeoutMs: number; intervalMs?: number; what: string },
  detail: () => string,
): Promise<void> {
  await waitFor(check, options).catch((err) => {
    throw new Error(`${err.message}: ${detail()}`);
  });
}

/** The TAI64N label of `.forced-rescan` as Unix seconds. */
function forcedRescanSeconds(text: string): number {
  return Number(BigInt(`0x${text.slice(1, 17)}`) - (1n << 62n)) - 10;
}

Deno.test("runsvdir: SIGALRM rescans within about 1 s what no mtime shows (case 21)", async () => {
  await Promise.all((await bothRunsvdirs()).map(async (program) => {
    await using tmp = tempDir();
    const sv = `${tmp.path}/sv`;
    // `.forced-rescan` made beforehand: rewriting it changes no mtime of sv.
    writeTree(tmp.path, { "sv/a/run!": sleeper(), "sv/.forced-rescan": "" });
    Deno.symlinkSync("../ext/late", `${sv}/late`);
    Deno.symlinkSync("../ext/nowhere", `${sv}/ghost`);
    Deno.utimeSync(sv, OLD, OLD);
    await using rd = await startProgram(program, [sv]);
    const ghost = `runsvdir ${sv}: warning: unable to stat ghost: file does not exist\n`;
    const scans = (): number => count(rd.stderr(), ghost);
    await waitRunning(`${sv}/a`, 10_000);
    // The first scan starts a, so a second one follows a second later; then it idles.
    await waitSaying(
      () => scans() >= 2,
      { timeoutMs: 8_000, what: `${program}: two scans` },
      rd.stderr,
    );
    await sleep(300);

    // late's target appears outside sv: neither sv's mtime nor a watch of sv sees it.
    const before = scans();
    writeTree(tmp.path, { "ext/late/run!": sleeper() });
    await sleep(2_500);
    assertEquals(serviceStat(`${tmp.path}/ext/late`), "", `${program}: late started unasked`);
    assertEquals(scans(), before, `${program}: scanned unasked`);
    rd.proc.signal("SIGALRM");
    const t0 = performance.now();
    await waitRunning(`${tmp.path}/ext/late`, 8_000);
    const ms = performance.now() - t0;
    // About 1 s (runit's once-a-second gate), widened for a loaded machine.
    assert(ms < 2_500, `${program}: late ran ${ms.toFixed(0)} ms after SIGALRM`);
    const stamp = Deno.readTextFileSync(`${sv}/.forced-rescan`);
    assertMatch(stamp, /^@[0-9a-f]{24}$/);
    assertEquals(stamp.length, 25);
    assert(Math.abs(forcedRescanSeconds(stamp) - Date.now() / 1000) < 10, stamp);
    // The forced scan, and the one a second later that follows a start.
    await waitSaying(
      () => scans() >= before + 2,
      { timeoutMs: 5_000, what: `${program}: scans after SIGALRM` },
      rd.stderr,
    );
    await sleep(300);

    // A new service in sv, then sv's mtime set back to the one runsvdir remembers.
    writeTree(sv, { "new/run!": sleeper() });
    Deno.utimeSync(sv, OLD, OLD);
    if (program === DEBIAN_RUNSVDIR) {
      await sleep(2_500);
      assertEquals(serviceStat(`${sv}/new`), "", "Debian's: new started unasked");
      rd.proc.signal("SIGALRM");
      const t1 = performance.now();
      await waitRunning(`${sv}/new`, 8_000);
      const ms1 = performance.now() - t1;
      assert(ms1 < 2_500, `Debian's: new ran ${ms1.toFixed(0)} ms after SIGALRM`);
    } else {
      // Ours watches sv: new runs without a SIGALRM (DEVIATIONS.md 14).
      await waitRunning(`${sv}/new`, 5_000);
    }
    // Nothing else: late's warnings until it came, ghost's on every scan.
    const late = `runsvdir ${sv}: warning: unable to stat late: file does not exist\n`;
    assertEquals(rd.stderr().replaceAll(ghost, "").replaceAll(late, ""), "", program);
  }));
});

/** Every descendant of `pid`, from one pass over /proc (a thousand runsv make BFS slow). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch {
      // exited meanwhile
    }
  }
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      all.push(child);
      queue.push(child);
    }
  }
  return all;
}

/** A runsvdir with many children: dispose SIGKILLs it and its whole tree at once. */
interface ManyRunsvdir extends AsyncDisposable {
  proc: Spawned;
  /** Stops it as the test wants; dispose then only cleans up. */
  stop(): Promise<Deno.CommandStatus | undefined>;
}

async function startMany(program: string, sv: string): Promise<ManyRunsvdir> {
  if (program !== DEBIAN_RUNSVDIR) {
    const rd = await startRunsvdir([sv]);
    return {
      proc: rd.proc,
      // Ours stops its thousand supervisors (each down) and exits 0.
      stop: () => rd.stop("SIGTERM", 30_000),
      [Symbol.asyncDispose]: () => rd[Symbol.asyncDispose](),
    };
  }
  // Debian's leaves its runsv processes running on SIGTERM: kill the tree instead.
  const proc = spawn(DEBIAN_RUNSVDIR, [sv], { env: DEBIAN_ENV });
  let done = false;
  const stop = async (): Promise<undefined> => {
    if (done) return undefined;
    done = true;
    killAll([proc.pid, ...descendants(proc.pid)]);
    await proc.status;
    return undefined;
  };
  return {
    proc,
    stop,
    async [Symbol.asyncDispose](): Promise<void> {
      await stop();
      await proc[Symbol.asyncDispose]();
    },
  };
}

const SERVICES = 1001;

Deno.test("runsvdir: over 1000 services, runit's too many services. once per scan (case 22)", async () => {
  const results: string[] = [];
  for (const program of await bothRunsvdirs()) {
    await using tmp = tempDir();
    const sv = `${tmp.path}/sv`;
    // Each down: supervised, but nothing runs (a thousand runsv are enough for 2 cores).
    const tree: Record<string, string> = { ".forced-rescan": "" };
    for (let i = 0; i < SERVICES; i++) {
      const name = `s${String(i).padStart(4, "0")}`;
      tree[`${name}/run!`] = sleeper();
      tree[`${name}/down`] = "";
    }
    writeTree(sv, tree);
    Deno.utimeSync(sv, OLD, OLD);
    // runit takes them in readdir order: the 1001st is the one left out.
    const names = [...Deno.readDirSync(sv)].map((e) => e.name).filter((n) => !n.startsWith("."));
    assertEquals(names.length, SERVICES);
    const surplus = names[1000]!;
    const supervised = (): number =>
      names.filter((name) => serviceStat(`${sv}/${name}`) === "down").length;

    await using rd = await startMany(program, sv);
    const t0 = performance.now();
    await waitSaying(() => supervised() === 1000, {
      timeoutMs: 45_000,
      intervalMs: 200,
      what: `${program}: 1000 services supervised`,
    }, () => `${supervised()} are`);
    const startMs = performance.now() - t0;
    assertEquals(serviceStat(`${sv}/${surplus}`), "", `${program}: the surplus is supervised`);
    const warning =
      `runsvdir ${sv}: warning: unable to start runsv ${surplus}: too many services.\n`;
    // The first scan, and the one a second later that follows the starts; none after.
    const stderr = (): string => JSON.stringify(rd.proc.stderrText());
    await waitSaying(() => rd.proc.stderrText() === warning.repeat(2), {
      timeoutMs: 10_000,
      what: `${program}: two scans' warnings`,
    }, stderr);
    await sleep(2_000);
    assertEquals(rd.proc.stderrText(), warning.repeat(2), `${program}: a scan unasked`);
    // A forced scan: one warning more.
    rd.proc.signal("SIGALRM");
    await waitSaying(() => rd.proc.stderrText() === warning.repeat(3), {
      timeoutMs: 5_000,
      what: `${program}: the forced scan's warning`,
    }, stderr);
    await sleep(1_500);
    assertEquals(rd.proc.stderrText(), warning.repeat(3), program);
    // They are live supervisors: one told up runs.
    const control = await Deno.open(`${sv}/${names[0]}/supervise/control`, { write: true });
    await control.write(new TextEncoder().encode("u"));
    control.close();
    await waitRunning(`${sv}/${names[0]}`, 10_000);
    const status = await rd.stop();
    if (status !== undefined) assertEquals(status.code, 0, program);
    results.push(rd.proc.stderrText().replaceAll(sv, "SV").replaceAll(surplus, "NAME"));
    writeStderr(`${program}: 1000 services supervised in ${startMs.toFixed(0)} ms\n`);
  }
  if (results.length === 2) assertEquals(results[0], results[1], "ours and Debian's");
});
