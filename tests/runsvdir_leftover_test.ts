/**
 * A supervisor that dies (SIGKILL, the OOM killer) leaves its service running; the next
 * one stops that leftover before it starts the service, so it never runs twice
 * (lib/supervise/leftover.ts). With runsvdir every service outlives it (`-P`: each in its
 * own session); a restarted stage 2 used to start them all a second time, their second
 * loggers failing to lock their directories.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bin, readOrUndefined, tempDir, waitFor, writeTree } from "./_helpers.ts";
import { alive, cmdline, procStat, servicePid, startRunsvdir } from "./runsvdir_fixture.ts";
import { readPid } from "./supervise_fixture.ts";

/** Every process whose command line is exactly `argv`. */
function processesRunning(argv: readonly string[]): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      if (cmdline(pid).join("\0") === argv.join("\0")) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function killQuietly(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

Deno.test("runsvdir killed and started again: the services it left are stopped, not doubled", async () => {
  await using tmp = tempDir();
  // A sleep time no other test uses, to count this service's instances.
  const sleeper = ["sleep", "7101"];
  writeTree(tmp.path, {
    "svc/a/run!": `#!/bin/sh\necho "started $$"\nexec ${sleeper.join(" ")}\n`,
    "svc/a/log/run!": `#!/bin/sh\nexec '${await bin("svlogd")}' ./main\n`,
    "svc/a/log/main/config": "",
  });
  const dir = `${tmp.path}/svc/a`;
  const left: number[] = [];
  try {
    let oldService = 0;
    let oldLogger = 0;
    {
      await using first = await startRunsvdir(["-P", `${tmp.path}/svc`]);
      oldService = await waitFor(() => (alive(servicePid(dir)) ? servicePid(dir) : 0));
      oldLogger = await waitFor(() => readPid(dir, "log/supervise"));
      left.push(oldService, oldLogger);
      await waitFor(() => readOrUndefined(`${dir}/log/main/current`)?.includes("started"));
      first.proc.signal("SIGKILL");
      await first.proc.status;
    }
    assert(alive(oldService) && alive(oldLogger), "the service and its logger outlived it");

    await using second = await startRunsvdir(["-P", `${tmp.path}/svc`]);
    const newService = await waitFor(() => {
      const pid = servicePid(dir);
      return pid !== oldService && alive(pid) ? pid : 0;
    }, { timeoutMs: 15_000, what: "a new instance" });
    left.push(newService);
    assert(!alive(oldService), "the leftover service was stopped");
    assert(!alive(oldLogger), "the leftover logger was stopped");
    // Counted in the two instances' sessions (-P): other tests may run sleeps too.
    const inSession = (pid: number, sessions: number[]): boolean => {
      try {
        return sessions.includes(Number(procStat(pid)[3]));
      } catch {
        return false; // gone meanwhile
      }
    };
    // Once the new instance has exec'd its sleep (its pid names ./run's shell before).
    const ours = await waitFor(() => {
      const found = processesRunning(sleeper).filter((pid) =>
        inSession(pid, [oldService, newService])
      );
      return found.includes(newService) ? found : undefined;
    }, { what: "the new instance's sleep" });
    assertEquals(ours, [newService]);
    const messages = second.stderr();
    assertMatch(
      messages,
      new RegExp(`runsv a: warning: stopping pid ${oldService}, left running by a supervisor`),
    );
    // The old logger ends at the end of its input once the old service is gone, or is
    // stopped the same way (`stopping log: pid N`) if it is still there.
    // One logger: the new one locked its directory and logs the new instance's line.
    await waitFor(() =>
      (readOrUndefined(`${dir}/log/main/current`) ?? "").includes(`started ${newService}`)
    );
    assert(!messages.includes("unable to lock"), messages);
  } finally {
    killQuietly(left);
  }
});
