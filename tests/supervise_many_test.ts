/**
 * Many Supervisors in one process (the runsvdir contract, lib/supervise/supervisor.ts):
 * no chdir, no blocking-pool thread per FIFO or pipe, a failing supervisor contained,
 * terminate() and kill() release every descriptor. The host runs as its own process
 * (tests/supervise_many_host.ts).
 */

import { assert, assertEquals } from "./_assert.ts";
import { alive, readStat } from "./supervise_fixture.ts";
import { killTree, spawn, tempDir, waitFor, writeTree } from "./_helpers.ts";

const N = 60;
const HOST = new URL("./supervise_many_host.ts", import.meta.url).pathname;

function tree(root: string): void {
  const files: Record<string, string | null> = {};
  for (let i = 0; i < N; i++) {
    const name = `svc${String(i).padStart(3, "0")}`;
    files[`${name}/run!`] = "#!/bin/sh\necho started\nexec sleep 1000\n";
    if (i % 3 === 1) files[`${name}/log/run!`] = "#!/bin/sh\nexec cat >>out\n";
    if (i % 3 === 2) {
      files[`${name}/log/svlogd`] = "./main\n";
      files[`${name}/log/main`] = null;
    }
  }
  // A service whose supervise/control is a regular file: its supervisor fails at start.
  files["broken/run!"] = "#!/bin/sh\nexec sleep 1000\n";
  files["broken/supervise/control"] = "";
  writeTree(root, files);
}

/** The host's N-th JSON report (services without a log write to the same stdout). */
function report(proc: { stdoutText(): string }, index: number): unknown {
  const line = proc.stdoutText().split("\n").filter((l) => l.startsWith("{"))[index];
  return line ? JSON.parse(line) : undefined;
}

async function host(root: string) {
  const spawned = spawn(Deno.execPath(), ["run", "-A", "--no-lock", HOST, root]);
  // On failure the host's services must die with it, not linger as orphans.
  const proc = Object.assign(spawned, {
    async [Symbol.asyncDispose](): Promise<void> {
      killTree(spawned.pid);
      await spawned.status;
    },
  });
  // deno-lint-ignore no-explicit-any
  const first: any = await waitFor(() => report(proc, 0), {
    timeoutMs: 30000,
    what: "the host's first report",
  });
  return { proc, first };
}

Deno.test("many supervisors in one process: few threads, no chdir, failure contained, terminate()", async () => {
  await using tmp = tempDir();
  tree(tmp.path);
  const { proc, first } = await host(tmp.path);
  await using _proc = proc;
  assertEquals(first.supervisors, N);
  assertEquals(first.running, N);
  assertEquals(first.fatal, ["broken: supervise/control exists but is not a fifo"]);
  assert(first.cwdUnchanged, "a supervisor changed directory");
  // 60 services with 100 control FIFOs and 40 log pipes: epoll, not the 32-thread pool.
  assert(first.threads < 20, `${first.threads} threads`);
  const inProcessLog = first.pids["svc002"];
  assertEquals(inProcessLog.log, proc.pid);
  await waitFor(() => Deno.readTextFileSync(`${tmp.path}/svc002/log/main/current`) === "started\n");
  const servicePids = Object.values(first.pids).map((p) => (p as { service: number }).service);
  proc.signal("SIGTERM");
  // deno-lint-ignore no-explicit-any
  const second: any = await waitFor(() => report(proc, 1), {
    timeoutMs: 30000,
    what: "the host's final report",
  });
  assertEquals(second.done, "terminate");
  assert(second.fds < 30, `${second.fds} fds left open`);
  assert(servicePids.every((pid) => !alive(pid)), "a service survived terminate()");
  assertEquals(readStat(`${tmp.path}/svc001`, "log/supervise"), "down");
  assertEquals(Deno.readTextFileSync(`${tmp.path}/svc001/log/out`), "started\n");
});

Deno.test("many supervisors in one process: kill() ends everything at once", async () => {
  await using tmp = tempDir();
  tree(tmp.path);
  const { proc, first } = await host(tmp.path);
  await using _proc = proc;
  assertEquals(first.running, N);
  const pids = Object.values(first.pids).flatMap((p) => {
    const { service, log } = p as { service: number; log: number };
    return [service, log].filter((pid) => pid !== 0 && pid !== proc.pid);
  });
  proc.signal("SIGINT");
  // deno-lint-ignore no-explicit-any
  const second: any = await waitFor(() => report(proc, 1), {
    timeoutMs: 30000,
    what: "the host's final report",
  });
  assertEquals(second.done, "kill");
  assert(second.fds < 30, `${second.fds} fds left open`);
  await waitFor(() => pids.every((pid) => !alive(pid)), { what: "every child killed" });
});
