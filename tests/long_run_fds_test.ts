/**
 * A supervisor runs for months: restarts of services and loggers, rotations and control
 * bytes must not leave file descriptors, threads or zombies behind. Each test restarts
 * every service and every log service a few times and checks that runsvdir (one process
 * for the tree) and runsv (its blocking poll) hold exactly the fds they held after the
 * first round. The long soak behind this (13-17 min beside Debian's, no leak) is in
 * bench/results/long-run.md; this is its quick guard in `make test`.
 */

import { assert, assertEquals } from "./_assert.ts";
import { childrenOf, sleep, tempDir, waitFor, writeTree } from "./_helpers.ts";
import { startRunsvdir } from "./runsvdir_fixture.ts";
import { procState, readPid, readStat, startRunsv, writeControl } from "./supervise_fixture.ts";

const ROUNDS = 5;
// Past runit's 1 s between two starts, so each `t` restarts at once.
const ROUND_GAP_MS = 1_100;

const RUN = "#!/bin/sh\necho up $$\nexec sleep 1000\n";
const FINISH = "#!/bin/sh\necho finish $1 $2\n";
// A classic logger that dies of the `a` (SIGALRM) runsv sends it, and of `t`.
const CAT_LOG = "#!/bin/sh\nexec cat >> ./out\n";

/** What each open fd of `pid` is (pipe, anon_inode, socket or a path), sorted. */
function openFds(pid: number): string[] {
  const targets: string[] = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      targets.push(Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).replace(/:\[\d+\]$/, ""));
    } catch {
      // closed while listed
    }
  }
  return targets.sort();
}

function threadCount(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
}

/** A supervised process to restart: its dir, supervise sub-dir, and whether it has a pid. */
interface Restartable {
  dir: string;
  sub: string;
  /** In-process logs have the supervisor's own pid; they restart without a new one. */
  ownProcess: boolean;
}

/** Sends `t` (and `a` to logs) to each, then waits until each runs again under a new pid. */
async function restartRound(targets: readonly Restartable[]): Promise<void> {
  const before = targets.map((t) => readPid(t.dir, t.sub));
  for (const t of targets) {
    // A classic logger dies of `a` (SIGALRM); an in-process one rotates, then restarts.
    writeControl(t.dir, t.sub === "supervise" ? "t" : t.ownProcess ? "a" : "at", t.sub);
  }
  await waitFor(
    () =>
      targets.every((t, i) =>
        readStat(t.dir, t.sub) === "run" && (!t.ownProcess || readPid(t.dir, t.sub) !== before[i])
      ),
    { timeoutMs: 10_000, what: "every service and logger running again" },
  );
}

/** No child of `pid` stays a zombie: each one seen is reaped within the deadline. */
async function noLastingZombies(pid: number): Promise<void> {
  await waitFor(() => childrenOf(pid).every((child) => procState(child) !== "Z"), {
    timeoutMs: 3_000,
    what: `children of ${pid} reaped`,
  });
}

/** Runs the rounds; returns fds and threads after the first round and after the last. */
async function churn(supervisor: number, targets: readonly Restartable[]) {
  await restartRound(targets);
  await noLastingZombies(supervisor);
  const fdsAfterFirst = openFds(supervisor);
  const threadsAfterFirst = threadCount(supervisor);
  for (let round = 1; round < ROUNDS; round++) {
    await sleep(ROUND_GAP_MS);
    await restartRound(targets);
  }
  await noLastingZombies(supervisor);
  return {
    fdsAfterFirst,
    fdsAfterLast: openFds(supervisor),
    threadsAfterFirst,
    threadsAfterLast: threadCount(supervisor),
  };
}

/** Counts per kind; a file's path may differ between the rounds (a rotation's rename). */
function fdKinds(targets: readonly string[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const target of targets) {
    const kind = target.startsWith("/") ? "file" : target;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

function assertNoGrowth(result: Awaited<ReturnType<typeof churn>>): void {
  assertEquals(
    fdKinds(result.fdsAfterLast),
    fdKinds(result.fdsAfterFirst),
    `open fds changed over the rounds:\n${result.fdsAfterFirst.join("\n")}\n→\n${
      result.fdsAfterLast.join("\n")
    }`,
  );
  // Deno's blocking-pool threads come and go; a leak would add one per round.
  assert(
    result.threadsAfterLast <= result.threadsAfterFirst + 1,
    `threads ${result.threadsAfterFirst} → ${result.threadsAfterLast}`,
  );
}

Deno.test({
  name: "runsvdir: restarts, log restarts and rotations leave no fd, thread or zombie behind",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using tmp = tempDir();
    const files: Record<string, string | null> = {};
    const targets: Restartable[] = [];
    for (let i = 0; i < 6; i++) {
      const name = `s${i}`;
      files[`svc/${name}/run!`] = RUN;
      if (i % 2 === 0) files[`svc/${name}/finish!`] = FINISH;
      files[`svc/${name}/log/main/config`] = "s300\nn3\n";
      if (i < 3) files[`svc/${name}/log/svlogd`] = "-tt ./main\n";
      else files[`svc/${name}/log/run!`] = CAT_LOG;
      targets.push({ dir: `${tmp.path}/svc/${name}`, sub: "supervise", ownProcess: true });
      targets.push({ dir: `${tmp.path}/svc/${name}`, sub: "log/supervise", ownProcess: i >= 3 });
    }
    writeTree(tmp.path, files);
    await using runsvdir = await startRunsvdir([`${tmp.path}/svc`]);
    await waitFor(() => targets.every((t) => readStat(t.dir, t.sub) === "run"), {
      timeoutMs: 15_000,
      what: "all services and loggers up",
    });
    const result = await churn(runsvdir.pid, targets);
    assertNoGrowth(result);
    // The in-process loggers rotated on each `a`: the rounds did reach them.
    for (let i = 0; i < 3; i++) {
      const rotated = [...Deno.readDirSync(`${tmp.path}/svc/s${i}/log/main`)]
        .filter((e) => e.name.startsWith("@"));
      assert(rotated.length > 0, `s${i}: no rotated file`);
    }
  },
});

Deno.test({
  name: "runsv: restarts of the service and its logger leave no fd, thread or zombie behind",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "svc/run!": RUN,
      "svc/finish!": FINISH,
      "svc/log/run!": CAT_LOG,
    });
    const dir = `${tmp.path}/svc`;
    await using runsv = await startRunsv(tmp.path, "svc");
    await waitFor(
      () => readStat(dir, "supervise") === "run" && readStat(dir, "log/supervise") === "run",
      {
        timeoutMs: 10_000,
        what: "service and logger up",
      },
    );
    const result = await churn(runsv.proc.pid, [
      { dir, sub: "supervise", ownProcess: true },
      { dir, sub: "log/supervise", ownProcess: true },
    ]);
    assertNoGrowth(result);
  },
});
