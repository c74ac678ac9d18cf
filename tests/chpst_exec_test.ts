/**
 * What the exec'd program inherits from chpst: signal dispositions and mask as chpst got
 * them (Deno's own ignored SIGPIPE is not passed on, a caller's is through the C
 * launcher), no Deno fds, and credentials that changed on every thread before the exec.
 */

import { assert, assertEquals } from "./_assert.ts";
import { bin, CC, cLaunchers, haveCompiler, repoRoot, run, tempDir } from "./_helpers.ts";
import { sideBySide, withoutGlibcSignals } from "./chpst_helpers.ts";

/** fds of this process that are not close-on-exec: the harness's, passed to every child. */
function inheritedFds(): number[] {
  const fds: number[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const info = Deno.readTextFileSync(`/proc/self/fdinfo/${entry.name}`);
      const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)![1]!, 8);
      if ((flags & 0o2000000) === 0) fds.push(Number(entry.name));
    } catch {
      // closed meanwhile
    }
  }
  return fds;
}

const SIG_LINES = "grep -E '^Sig(Blk|Ign|Cgt)' /proc/self/status";

async function sigLines(chpst: string, trap: string): Promise<string> {
  const result = await run("sh", ["-c", `${trap} exec "$CHPST" sh -c "${SIG_LINES}"`], {
    env: { CHPST: chpst },
  });
  assertEquals(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test({
  name: "the program gets default dispositions, SIGPIPE included, and an empty mask",
  ...sideBySide,
  async fn() {
    const ours = withoutGlibcSignals(await sigLines(await bin("chpst"), ""));
    assertEquals(ours, withoutGlibcSignals(await sigLines("/usr/bin/chpst", "")));
    // Against the same program started without chpst, not against zero: a test run
    // started in the background of a script inherits INT and QUIT ignored, and chpst
    // rightly passes that on.
    const direct = withoutGlibcSignals((await run("sh", ["-c", SIG_LINES])).stdout);
    const line = (lines: string, name: string) => new RegExp(`^${name}:.*$`, "m").exec(lines)![0];
    assertEquals(line(ours, "SigIgn"), line(direct, "SigIgn"));
    assert(/^SigBlk:\s*0+$/m.test(ours), ours);
  },
});

Deno.test({
  name: "signals the caller ignored stay ignored, as with C chpst",
  ...sideBySide,
  async fn() {
    for (const trap of ["trap '' INT QUIT;", "trap '' HUP TERM USR1 USR2 CONT;"]) {
      assertEquals(
        withoutGlibcSignals(await sigLines(await bin("chpst"), trap)),
        withoutGlibcSignals(await sigLines("/usr/bin/chpst", trap)),
        trap,
      );
    }
  },
});

Deno.test({
  name: "signals 32 and 33 the caller ignored (glibc's own) stay ignored, as with C chpst",
  ...sideBySide,
  ignore: sideBySide.ignore || !haveCompiler(),
  async fn() {
    if (!(await cLaunchers())) return; // the sh launcher cannot see 33 (docs/chpst.md)
    await using dir = tempDir();
    // glibc refuses signal() for them: the kernel's rt_sigaction sets SIG_IGN, then exec.
    const source = `${dir.path}/ignore.c`;
    Deno.writeTextFileSync(
      source,
      "#define _GNU_SOURCE\n#include <unistd.h>\n#include <sys/syscall.h>\n" +
        "extern char **environ;\nint main(int argc, char **argv) {\n" +
        "  unsigned long act[4] = {1, 0, 0, 0};\n  (void)argc;\n" +
        "  syscall(SYS_rt_sigaction, 32, act, 0, 8);\n" +
        "  syscall(SYS_rt_sigaction, 33, act, 0, 8);\n" +
        "  execve(argv[1], argv + 1, environ);\n  return 127;\n}\n",
    );
    const helper = `${dir.path}/ignore`;
    assertEquals((await run(CC, ["-o", helper, source])).code, 0);
    const lines = async (...chpst: string[]) =>
      (await run(helper, [...chpst, "grep", "-E", "^Sig(Ign|Cgt)", "/proc/self/status"])).stdout;
    const theirs = await lines("/usr/bin/chpst");
    const ignored = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(theirs)![1]}`);
    assertEquals(ignored & 0x180000000n, 0x180000000n, theirs);
    for (const ours of [["-e", dir.path], ["-e", dir.path, "--"], []]) {
      Deno.writeTextFileSync(`${dir.path}/A`, "1");
      assertEquals(await lines(await bin("chpst"), ...ours), theirs, ours.join(" "));
    }
  },
});

Deno.test({
  name: "a caller's ignored SIGPIPE and blocked signals reach the program, as with C chpst",
  ...sideBySide,
  async fn() {
    // The C launcher reads the signal state before Deno ignores SIGPIPE; through the
    // #!/bin/sh fallback an ignored SIGPIPE becomes default (docs/chpst.md).
    if (!(await cLaunchers())) return;
    const trap = "trap '' PIPE INT;";
    const ours = withoutGlibcSignals(await sigLines(await bin("chpst"), trap));
    assertEquals(ours, withoutGlibcSignals(await sigLines("/usr/bin/chpst", trap)));
    const ignored = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(ours)![1]}`);
    assertEquals(ignored & 0x1002n, 0x1002n, ours); // PIPE and INT
    // A blocked mask: the launcher passes it on, chpst restores it before the exec.
    const masked = async (chpst: string): Promise<string> => {
      const result = await run("/usr/bin/perl", [
        "-e",
        "use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR1, SIGHUP)); exec @ARGV",
        chpst,
        "grep",
        "-E",
        "^Sig(Blk|Ign|Cgt)",
        "/proc/self/status",
      ]);
      assertEquals(result.code, 0, result.stderr);
      return withoutGlibcSignals(result.stdout);
    };
    const blocked = await masked(await bin("chpst"));
    assertEquals(blocked, await masked("/usr/bin/chpst"));
    assert(/^SigBlk:\s*0+201$/m.test(blocked), blocked);
  },
});

Deno.test({
  name: "chpst -l: the lock fd is the only fd added, and it is not close-on-exec",
  ...sideBySide,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "denit-chpst-fd-" });
    try {
      const targets = async (chpst: string): Promise<string[]> => {
        const list = await run(chpst, ["-l", `${dir}/lk`, "ls", "-l", "/proc/self/fd"]);
        assertEquals(list.code, 0, list.stderr);
        return list.stdout.split("\n").filter((l) => l.includes("->"))
          .map((l) => l.slice(l.indexOf("->") + 3).replace(/^\/proc\/\d+\//, "/proc/PID/"))
          .map((t) => t.replace(/^pipe:\[\d+\]$/, "pipe")).sort();
      };
      const ours = await targets(await bin("chpst"));
      assertEquals(ours.filter((t) => t === `${dir}/lk`).length, 1, ours.join(" "));
      // The same files open as with C chpst (the lock's fd number may differ).
      assertEquals(ours, await targets("/usr/bin/chpst"));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Deno's own fds are close-on-exec and setuid reaches every thread",
  ignore: Deno.uid() !== 0,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const result = await run(Deno.execPath(), [
      "run",
      "-A",
      "--no-lock",
      "--no-config",
      `${repoRoot}/tests/chpst_creds_probe.ts`,
    ], { env: { PROBE_INHERITED: inheritedFds().join(",") } });
    assertEquals(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      leaking: number[];
      threads: { uid: string; gid: string; groups: string }[];
    };
    assertEquals(report.leaking, []);
    assert(report.threads.length > 1, "Deno runs several threads");
    for (const thread of report.threads) {
      assertEquals(thread.uid.split(/\s+/), ["65534", "65534", "65534", "65534"]);
      assertEquals(thread.gid.split(/\s+/), ["65534", "65534", "65534", "65534"]);
      assertEquals(thread.groups.trim(), "100 65534");
    }
  },
});

Deno.test({
  name: "chpst's message to a broken stderr: SIGPIPE kills it only where it was not ignored",
  ...sideBySide,
  // The #!/bin/sh fallback launcher cannot tell whether the caller ignored it.
  ignore: sideBySide.ignore || !(await cLaunchers()),
  async fn() {
    // stderr is a pipe whose reader is gone by the time chpst writes its fatal line.
    const script = (ignore: string) =>
      `{ { sleep .3; ${ignore} "$0" /nonexistent; echo rc=$? >&3; } 2>&1 | true; } 3>&1`;
    for (const [ignore, code] of [['trap "" PIPE;', "111"], ["", "141"]] as const) {
      for (const chpst of [await bin("chpst"), "/usr/bin/chpst"]) {
        const result = await run("sh", ["-c", script(ignore), chpst]);
        assertEquals(result.stdout, `rc=${code}\n`, `${chpst} ${ignore}`);
      }
    }
  },
});
