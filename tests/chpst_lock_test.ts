/**
 * chpst -l/-L and setlock: the lock is a flock on a file opened without close-on-exec,
 * so the program holds it; contention side by side with Debian's (spec chpst.md §7, §9).
 */

import { assert, assertEquals } from "./_assert.ts";
import { bin, killTree, run, spawn, tempDir, waitFor } from "./_helpers.ts";
import { debianAs, sideBySide } from "./chpst_helpers.ts";

/** True once `path` is flocked by someone (a `chpst -L` of Debian's fails). */
async function isLocked(path: string): Promise<boolean> {
  const probe = await run("/usr/bin/chpst", ["-L", path, "true"]);
  return probe.code === 111;
}

/** Number of processes waiting for a lock (/proc/locks lines with "->"). */
function lockWaiters(): number {
  return Deno.readTextFileSync("/proc/locks").split("\n").filter((l) => l.includes("->")).length;
}

Deno.test({
  name: "chpst -l holds the lock in the program; -L fails at once, -l waits",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    const lk = `${t.path}/lk`;
    await using holder = spawn(await bin("chpst"), ["-l", lk, "sleep", "30"]);
    try {
      await waitFor(() => isLocked(lk), { timeoutMs: 10_000, what: "lock held by sleep" });
      assertEquals(Deno.statSync(lk).mode! & 0o777, 0o600);
      for (const prog of [await bin("chpst"), "/usr/bin/chpst"]) {
        const busy = await run(prog, ["-L", lk, "true"]);
        assertEquals([busy.code, busy.stderr], [
          111,
          `chpst: fatal: unable to lock: ${lk}: temporary failure\n`,
        ]);
      }
      const before = lockWaiters();
      await using waiter = spawn(await bin("chpst"), ["-l", lk, "echo", "x"]);
      await waitFor(() => lockWaiters() > before, { timeoutMs: 10_000, what: "chpst -l waiting" });
      killTree(holder.pid);
      assertEquals((await waiter.status).code, 0);
      // The output pump may finish after the exit status arrives.
      await waitFor(() => waiter.stdoutText() === "x\n", { what: "x on stdout" });
    } finally {
      killTree(holder.pid);
    }
  },
});

/** True when something listens on TCP port 9229 (V8's inspector), from /proc/net/tcp*. */
function inspectorListening(): boolean {
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = Deno.readTextFileSync(file);
    // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN.
    if (/:240D \S+ 0A /.test(text)) return true;
  }
  return false;
}

Deno.test({
  name: "chpst -l waiting a long time still dies of signals like C chpst (no Deno handlers)",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    const lk = `${t.path}/lk`;
    await using holder = spawn("/usr/bin/chpst", ["-l", lk, "sleep", "30"]);
    try {
      await waitFor(() => isLocked(lk), { timeoutMs: 10_000, what: "lock held" });
      for (const signal of ["SIGUSR1", "SIGTERM", "SIGHUP"] as const) {
        const before = lockWaiters();
        await using waiter = spawn(await bin("chpst"), ["-l", lk, "true"]);
        await waitFor(() => lockWaiters() > before, { timeoutMs: 10_000, what: "waiting" });
        // Past the ~500 ms after which Deno would arm its handlers if its loop ran.
        const start = Date.now();
        await waitFor(() => Date.now() - start > 800, { timeoutMs: 5_000, intervalMs: 100 });
        waiter.signal(signal);
        const status = await waiter.status;
        assertEquals(status.signal, signal);
        assertEquals(inspectorListening(), false);
      }
    } finally {
      killTree(holder.pid);
    }
  },
});

Deno.test({
  name: "setlock: default and -N fail at once, -x exits 0, -n waits",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    const lk = `${t.path}/lk`;
    await using holder = spawn(await bin("setlock"), ["-n", lk, "sleep", "30"]);
    try {
      await waitFor(() => isLocked(lk), { timeoutMs: 10_000, what: "lock held" });
      for (const prog of [await bin("setlock"), debianAs("setlock")]) {
        for (const args of [[lk, "true"], ["-N", lk, "true"], ["-nN", lk, "true"]]) {
          const r = await run(prog, args);
          assertEquals(
            [r.code, r.stderr],
            [111, `chpst: fatal: unable to lock: ${lk}: temporary failure\n`],
            `${prog} ${args}`,
          );
        }
        const quiet = await run(prog, ["-x", lk, "echo", "ran"]);
        assertEquals([quiet.code, quiet.stdout, quiet.stderr], [0, "", ""]);
      }
      const before = lockWaiters();
      await using waiter = spawn(await bin("setlock"), ["-n", lk, "echo", "x"]);
      await waitFor(() => lockWaiters() > before, {
        timeoutMs: 10_000,
        what: "setlock -n waiting",
      });
      killTree(holder.pid);
      assertEquals((await waiter.status).code, 0);
      await waitFor(() => waiter.stdoutText() === "x\n", { what: "x on stdout" });
    } finally {
      killTree(holder.pid);
    }
  },
});

Deno.test({
  name: "setlock -x hides lock and exec failures, -X reports them",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    for (const prog of [await bin("setlock"), debianAs("setlock")]) {
      const x = await run(prog, ["-x", `${t.path}/lk2`, "/nonexistent"]);
      assertEquals([x.code, x.stderr], [0, ""]);
      const xOpen = await run(prog, ["-x", `${t.path}/no/dir/lk`, "true"]);
      assertEquals([xOpen.code, xOpen.stderr], [0, ""]);
      const fatal = await run(prog, [`${t.path}/lk3`, "/nonexistent"]);
      assertEquals([fatal.code, fatal.stderr], [
        111,
        "chpst: fatal: unable to run: /nonexistent: file does not exist\n",
      ]);
      const open = await run(prog, ["-X", `${t.path}/no/dir/lk`, "true"]);
      assertEquals(
        [open.code, open.stderr],
        [111, `chpst: fatal: unable to open lock: ${t.path}/no/dir/lk: file does not exist\n`],
      );
    }
  },
});

Deno.test({
  name: "chpst -u USER -l FILE creates the lock file as USER",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    Deno.chmodSync(t.path, 0o777);
    const r = await run(await bin("chpst"), ["-u", "nobody", "-l", `${t.path}/lk`, "true"]);
    assertEquals(r.code, 0, r.stderr);
    const info = Deno.statSync(`${t.path}/lk`);
    assert(info.uid === 65534 && (info.mode! & 0o777) === 0o600);
  },
});
