/**
 * scripts/spawn.c through ffi/spawn.ts's spawnNoWait, the library built here as install.sh
 * builds it: the child gets what a posix_spawn child gets (argv, environment, cwd, fds,
 * default signal dispositions and an empty mask, a session or process group), a failed
 * exec shows as exit 111 with its errno asked for once, its memory is given back and
 * reused, more children than slots still start, and without the library every start goes
 * through posix_spawn.
 */

import { assert, assertEquals } from "./_assert.ts";
import { buildNativeLibrary, fileTempDir, haveCompiler } from "./_helpers.ts";
import { execFailure, reusableStart, spawn, spawnNoWait } from "../ffi/spawn.ts";
import { useNativeLibrary } from "../ffi/native.ts";
import {
  close,
  O_CLOEXEC,
  O_CREAT,
  O_TRUNC,
  O_WRONLY,
  open,
  waitpid,
  WNOHANG,
} from "../ffi/libc.ts";
import type { WaitStatus } from "../ffi/libc.ts";
import { EACCES, ENOENT } from "../lib/errstr.ts";
import { SysError } from "../lib/sys_error.ts";

const ignore = !haveCompiler();
const workDir = fileTempDir("denit-nowait-");
let built: Promise<string> | undefined;

/** Builds the library once for the whole file and makes spawnNoWait use it. */
async function withLibrary(): Promise<string> {
  built ??= buildNativeLibrary(workDir);
  const path = await built;
  assert(useNativeLibrary(path), "the library loads");
  return path;
}

/** Reaps `pid`, polling with a deadline. */
async function reap(pid: number, timeoutMs = 10_000): Promise<WaitStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reaped = waitpid(pid, WNOHANG);
    if (reaped !== null) return reaped.status;
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not exit`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Allocates and drops ~100 MB in small arrays: V8 collects (and moves objects) meanwhile. */
function churnHeap(): void {
  let kept: number[][] = [];
  for (let i = 0; i < 2000; i++) {
    kept.push(new Array(6000).fill(i));
    if (kept.length > 50) kept = [];
  }
}

/** An fd open on a fresh file in the work dir, for a child's stdout. */
function outputFile(name: string): { fd: number; path: string } {
  const path = `${workDir}/${name}`;
  return { fd: open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644), path };
}

/** Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session, …]. */
function procStat(pid: number): string[] {
  const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

// The shell reads its own status with builtins: a child (grep) reading /proc/$$/status
// can catch dash between blocking every signal for a vfork and unblocking them again (seen
// once in CI: SigBlk fffffffe7ffbfeff, glibc's full set).
const SHOW = 'printf "%s|%s|%s\\n" "$0" "$(pwd)" "$DENIT_NOWAIT_PROBE"; ' +
  'while read -r line; do case $line in SigBlk:*|SigIgn:*) printf "%s\\n" "$line";; esac; ' +
  "done </proc/$$/status";

Deno.test({
  name: "spawnNoWait: argv, cwd, the caller's environment, fds and default signals",
  ignore,
  async fn() {
    await withLibrary();
    Deno.env.set("DENIT_NOWAIT_PROBE", "seen");
    const out = outputFile("show");
    const pid = spawnNoWait({
      argv: ["/bin/sh", "-c", SHOW, "zero"],
      cwd: workDir,
      fds: [[out.fd, 1]],
    });
    close(out.fd);
    Deno.env.delete("DENIT_NOWAIT_PROBE");
    const status = await reap(pid);
    assertEquals(status.kind === "exited" ? status.code : -1, 0);
    assertEquals(execFailure(pid), 0);
    // Nothing ignored, not even glibc's two internal signals, which a posix_spawn child
    // gets ignored (SigIgn 0000000180000000) and a C runsv's forked child does not.
    assertEquals(
      Deno.readTextFileSync(out.path),
      `zero|${workDir}|seen\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n`,
    );
  },
});

Deno.test({
  name: "spawnNoWait: an explicit environment is the whole environment",
  ignore,
  async fn() {
    await withLibrary();
    const out = outputFile("env");
    const pid = spawnNoWait({
      argv: ["/usr/bin/env"],
      env: ["A=1", "B=two words"],
      fds: [[out.fd, 1]],
    });
    close(out.fd);
    await reap(pid);
    assertEquals(Deno.readTextFileSync(out.path), "A=1\nB=two words\n");
  },
});

Deno.test({
  name: "spawnNoWait: reusable options start the same child every time, and stay as built",
  ignore,
  async fn() {
    await withLibrary();
    const argv = ["/bin/sh", "-c", 'printf "%s|%s\\n" "$0" "$(pwd)" >>"$1"', "again"];
    const log = `${workDir}/again`;
    argv.push(log);
    const options = reusableStart({ argv, cwd: workDir, fds: [] });
    // The caller's array may change afterwards; the start does not.
    argv[3] = "changed";
    for (let i = 0; i < 3; i++) {
      const status = await reap(spawnNoWait(options));
      assertEquals(status.kind === "exited" ? status.code : -1, 0);
      churnHeap(); // the kept C strings must survive garbage collections
    }
    assertEquals(Deno.readTextFileSync(log), `again|${workDir}\n`.repeat(3));
    // What the start was built from cannot be changed under it.
    assert(Object.isFrozen(options) && Object.isFrozen(options.argv));
    let threw = false;
    try {
      (options.argv as string[])[0] = "/bin/false";
    } catch {
      threw = true;
    }
    assert(threw, "a reusable start's argv is frozen");
  },
});

Deno.test({
  name: "spawnNoWait: a new session, or a new process group",
  ignore,
  async fn() {
    await withLibrary();
    const own = procStat(Deno.pid);
    const session = spawnNoWait({ argv: ["/bin/sleep", "30"], setsid: true });
    const group = spawnNoWait({ argv: ["/bin/sleep", "30"], pgroup: 0 });
    try {
      for (const pid of [session, group]) {
        const deadline = Date.now() + 5000;
        while (Deno.readTextFileSync(`/proc/${pid}/comm`) !== "sleep\n") {
          if (Date.now() > deadline) throw new Error(`pid ${pid} did not exec`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      assertEquals(procStat(session).slice(2, 4), [String(session), String(session)]);
      assertEquals(procStat(group).slice(2, 4), [String(group), own[3]]);
    } finally {
      Deno.kill(session, "SIGKILL");
      Deno.kill(group, "SIGKILL");
      await reap(session);
      await reap(group);
    }
  },
});

Deno.test({
  name: "spawnNoWait: a failed exec or chdir is exit 111, its errno asked for once",
  ignore,
  async fn() {
    await withLibrary();
    Deno.writeTextFileSync(`${workDir}/not-executable`, "#!/bin/sh\n");
    const cases: Array<[string[], string | undefined, number]> = [
      [[`${workDir}/missing`], undefined, ENOENT],
      [[`${workDir}/not-executable`], undefined, EACCES],
      [["/bin/true"], `${workDir}/no-such-dir`, ENOENT],
    ];
    for (const [argv, cwd, errno] of cases) {
      const pid = spawnNoWait({ argv, ...(cwd !== undefined ? { cwd } : {}) });
      const status = await reap(pid);
      assertEquals(status.kind === "exited" ? status.code : -1, 111, argv[0]);
      assertEquals(execFailure(pid), errno, argv[0]);
      assertEquals(execFailure(pid), 0, "asked for once");
    }
  },
});

/** Lines of /proc/self/maps: the library's mappings must not pile up. */
function mappings(): number {
  return Deno.readTextFileSync("/proc/self/maps").split("\n").length;
}

Deno.test({
  name: "spawnNoWait: slots and memory are given back and reused",
  ignore,
  async fn() {
    await withLibrary();
    const before = mappings();
    for (let i = 0; i < 300; i++) {
      const ok = spawnNoWait({ argv: ["/bin/true"] });
      const failed = spawnNoWait({ argv: [`${workDir}/missing`] });
      await reap(ok);
      await reap(failed);
      assertEquals(execFailure(ok), 0);
      assertEquals(execFailure(failed), ENOENT);
    }
    // A few kept mappings (KEPT_MAPPINGS) and whatever Deno itself mapped meanwhile.
    assert(mappings() <= before + 16, `maps grew from ${before} to ${mappings()}`);
  },
});

Deno.test({
  name: "spawnNoWait: more children at once than the library has slots",
  ignore,
  async fn() {
    await withLibrary();
    const pids: number[] = [];
    try {
      for (let i = 0; i < 300; i++) pids.push(spawnNoWait({ argv: ["/bin/sleep", "30"] }));
      assertEquals(new Set(pids).size, 300);
      assert(pids.every((pid) => pid > 0));
    } finally {
      for (const pid of pids) Deno.kill(pid, "SIGKILL");
      for (const pid of pids) await reap(pid);
    }
  },
});

Deno.test({
  name: "spawnNoWait: without the library a start is posix_spawn's (exec errors thrown)",
  ignore,
  async fn() {
    const path = await withLibrary();
    assertEquals(useNativeLibrary(`${workDir}/no-such-library.so`), false);
    assert(useNativeLibrary(null));
    try {
      let thrown: unknown;
      try {
        spawnNoWait({ argv: [`${workDir}/missing`] });
      } catch (err) {
        thrown = err;
      }
      assert(thrown instanceof SysError, "posix_spawn reports the exec error");
      assertEquals(thrown.errno, ENOENT);
    } finally {
      useNativeLibrary(path);
    }
  },
});

Deno.test("spawn (posix_spawn): default signals, glibc's own 32 and 33 too, and an empty mask", async () => {
  const out = outputFile("show-posix-spawn");
  const pid = spawn({ argv: ["/bin/sh", "-c", SHOW, "zero"], cwd: workDir, fds: [[out.fd, 1]] });
  close(out.fd);
  const status = await reap(pid);
  assertEquals(status.kind === "exited" ? status.code : -1, 0);
  // glibc's sigfillset leaves out 32 and 33, and its posix_spawn then ignores them in the
  // child: a C runsv's forked child has neither ignored.
  assertEquals(
    Deno.readTextFileSync(out.path),
    `zero|${workDir}|\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n`,
  );
});
