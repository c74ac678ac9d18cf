/**
 * Applets under the resource limits run scripts put around programs (`chpst -m`,
 * `softlimit -m`): Deno cannot start under them, so the C launcher raises the soft limits
 * for Deno's process (scripts/launcher.c fit_limits) and the applet gives the limits it
 * was given back to its children and to chpst's program, as runit's would pass them on.
 */

import { assertEquals, assertMatch } from "./_assert.ts";
import {
  bin,
  cLaunchers,
  haveDebianRunit,
  killTree,
  readOrUndefined,
  run,
  spawn,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";

/** Soft limits only, as runit's chpst and softlimit set them (prlimit's SOFT:HARD form). */
const SOFT_50MB = ["--as=50000000:unlimited", "--data=50000000:unlimited"];

/** The address-space and data lines of /proc/self/limits, as a program sees them. */
const SHOW_LIMITS = "grep -E 'address space|data size' /proc/self/limits";

const ignoreWithout = async () => !(await cLaunchers());

/**
 * Runs `wrapper... CHPST ARGS... show...` in `cwd` with our chpst and with Debian's, for
 * each of `argSets`: ours must succeed and print what Debian's prints.
 */
async function assertAsDebian(
  cwd: string,
  wrapper: readonly string[],
  argSets: readonly string[][],
  show: readonly string[],
): Promise<void> {
  const [cmd, ...before] = wrapper;
  for (const args of argSets) {
    const under = (chpst: string) => run(cmd!, [...before, chpst, ...args, ...show], { cwd });
    const ours = await under(await bin("chpst"));
    const theirs = await under("/usr/bin/chpst");
    assertEquals([ours.code, ours.stdout, ours.stderr], [0, theirs.stdout, ""], args.join(" "));
  }
}

Deno.test({
  name:
    "chpst under soft limits Deno cannot start under gives its program those limits, as Debian's",
  ignore: await ignoreWithout() || !haveDebianRunit(),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, { "env/A": "1" });
    const wrapper = ["/usr/bin/chpst", "-m", "50000000"];
    const show = ["sh", "-c", SHOW_LIMITS];
    const argSets = [["-u", "nobody"], ["-e", "env"], ["-m", "40000000"]];
    await assertAsDebian(tmp.path, wrapper, argSets, show);
    const limited = await run(
      wrapper[0]!,
      [...wrapper.slice(1), await bin("chpst"), "-m", "40000000", ...show],
      { cwd: tmp.path },
    );
    assertMatch(limited.stdout, /Max data size +40000000 +unlimited/);
  },
});

Deno.test({
  name: "runsv under such limits gives them back to ./run and to control scripts",
  ignore: await ignoreWithout(),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "s/run!": `#!/bin/sh\n${SHOW_LIMITS} >../run.limits\nexec sleep 1000\n`,
      "s/control/d!": `#!/bin/sh\n${SHOW_LIMITS} >../control.limits\nexit 1\n`,
    });
    await using runsv = spawn("prlimit", [...SOFT_50MB, await bin("runsv"), "s"], {
      cwd: tmp.path,
    });
    try {
      const want = (path: string) =>
        waitFor(() => readOrUndefined(path), { what: path, timeoutMs: 10_000 });
      const runLimits = await want(`${tmp.path}/run.limits`);
      assertMatch(runLimits, /Max data size +50000000 +unlimited/);
      assertMatch(runLimits, /Max address space +50000000 +unlimited/);
      // control/d goes through the start that waits for the exec (spawn, not spawnNoWait).
      Deno.writeTextFileSync(`${tmp.path}/s/supervise/control`, "d");
      assertEquals(await want(`${tmp.path}/control.limits`), runLimits);
      assertEquals(runsv.stderrText(), "");
    } finally {
      killTree(runsv.pid);
    }
  },
});

Deno.test({
  name: "a hard limit too low for Deno is a fatal error in runit's shape, exit 111",
  ignore: await ignoreWithout(),
  async fn() {
    const result = await run("prlimit", ["--as=100000000", await bin("svlogd"), "/nonexistent"]);
    assertEquals([result.code, result.stdout], [111, ""]);
    assertEquals(
      result.stderr,
      "svlogd: fatal: unable to run Deno: hard limit of address space too low: 100000000, " +
        "it needs 68719476736\n",
    );
  },
});

Deno.test({
  name: "sv under such limits gives them to ./check, whose stdout is closed as runit's",
  ignore: await ignoreWithout() || !haveDebianRunit(),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "s/run!": "#!/bin/sh\nexec sleep 1000\n",
      // Before any redirection: fd 1 as sv left it.
      "s/check!": "#!/bin/sh\nif [ -e /proc/$$/fd/1 ]; then s=open; else s=closed; fi\n" +
        `${SHOW_LIMITS} >../check.out\necho "stdout $s" >>../check.out\nexit 0\n`,
    });
    await using runsv = spawn("/usr/bin/runsv", ["s"], { cwd: tmp.path });
    try {
      await waitFor(() => readOrUndefined(`${tmp.path}/s/supervise/stat`) === "run\n");
      const sv = await run("prlimit", [...SOFT_50MB, await bin("sv"), "-w", "5", "check", "./s"], {
        cwd: tmp.path,
      });
      assertEquals(sv.stderr, "");
      assertMatch(sv.stdout, /^ok: run: \.\/s: \(pid \d+\) \d+s\n$/);
      const seen = readOrUndefined(`${tmp.path}/check.out`) ?? "";
      assertMatch(seen, /Max data size +50000000 +unlimited/);
      assertMatch(seen, /Max address space +50000000 +unlimited/);
      assertMatch(seen, /stdout closed\n$/);
    } finally {
      killTree(runsv.pid);
    }
  },
});

Deno.test({
  name: "the open-files limit Deno raises comes back to chpst's program and runsv's children",
  ignore: await ignoreWithout() || !haveDebianRunit(),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "env/A": "1",
      "s/run!": "#!/bin/sh\nulimit -n >../run.files\nexec sleep 1000\n",
      "s/control/d!": "#!/bin/sh\nulimit -n >../control.files\nexit 1\n",
    });
    // Soft below hard, as most systems start programs: Deno raises its own to the hard one.
    const files = ["--nofile=256:4096"];
    const argSets = [["-e", "env"], ["-u", "nobody"], ["-o", "100"]];
    await assertAsDebian(tmp.path, ["prlimit", ...files], argSets, [
      "sh",
      "-c",
      "ulimit -n; ulimit -Hn",
    ]);
    await using runsv = spawn("prlimit", [...files, await bin("runsv"), "s"], { cwd: tmp.path });
    try {
      const want = (path: string) => waitFor(() => readOrUndefined(path), { what: path });
      assertEquals(await want(`${tmp.path}/run.files`), "256\n");
      Deno.writeTextFileSync(`${tmp.path}/s/supervise/control`, "d");
      assertEquals(await want(`${tmp.path}/control.files`), "256\n");
    } finally {
      killTree(runsv.pid);
    }
  },
});

Deno.test({
  name: "a process limit too small for Deno's threads is raised for it and given back",
  ignore: await ignoreWithout() || !haveDebianRunit(),
  async fn() {
    await using tmp = tempDir();
    // As nobody (root is not held to RLIMIT_NPROC): its files readable and the log writable.
    Deno.chmodSync(tmp.path, 0o755);
    writeTree(tmp.path, { "env/A": "1", "log": null });
    await run("chown", ["nobody", `${tmp.path}/log`]);
    const asNobody = ["/usr/bin/chpst", "-u", "nobody", "-p", "4"];
    await assertAsDebian(tmp.path, asNobody, [["-e", "env"], ["-p", "3"]], [
      "sh",
      "-c",
      "ulimit -p",
    ]);
    // svlogd, whose Deno needs ~8 threads, under a limit of 2 (it did not start).
    const logged = await run("/usr/bin/chpst", [
      "-u",
      "nobody",
      "-p",
      "2",
      await bin("svlogd"),
      "log",
    ], {
      cwd: tmp.path,
      stdin: "one line\n",
    });
    assertEquals([logged.code, logged.stderr], [0, ""]);
    assertEquals(readOrUndefined(`${tmp.path}/log/current`), "one line\n");
  },
});

Deno.test({
  name: "an exec that fails under limits ends as Debian's: setlock -x quietly, names byte for byte",
  ignore: await ignoreWithout() || !haveDebianRunit(),
  async fn() {
    await using tmp = tempDir();
    // Under soft memory limits (the launcher's caller limits) or with a limit option of its
    // own, chpst prepares its ending before it sets limits: setlock -x still exits 0 with
    // nothing said, and a program name that is not UTF-8 is printed as its bytes.
    // Debian installs chpst alone; its personalities are links named so.
    const debianSetlock = `${tmp.path}/setlock`;
    Deno.symlinkSync("/usr/bin/chpst", debianSetlock);
    const shapes = [
      `/usr/bin/chpst -m 50000000 "$0" -x LK /nonexistent`,
      `/usr/bin/chpst -m 50000000 "$1" "nosuch$(printf '\\377')"`,
      `"$1" -b "$(printf '\\377')" -d 100000000 nosuchprog`,
    ];
    for (const shape of shapes) {
      const under = async (setlock: string, chpst: string) => {
        const out = await new Deno.Command("sh", {
          args: ["-c", shape, setlock, chpst],
          cwd: tmp.path,
          stdout: "piped",
          stderr: "piped",
        }).output();
        return [out.code, [...out.stdout].join(), [...out.stderr].join()];
      };
      const ours = await under(await bin("setlock"), await bin("chpst"));
      const theirs = await under(debianSetlock, "/usr/bin/chpst");
      assertEquals(ours, theirs, shape);
    }
  },
});

Deno.test({
  name: "a soft file-size limit: Deno writes its caches above it, the program gets it back",
  ignore: await ignoreWithout() || !haveDebianRunit(),
  async fn() {
    // Deno writes its caches at start (as root): under `ulimit -S -f 1` SIGXFSZ killed it.
    const show = ["sh", "-c", "ulimit -S -f"];
    for (const chpst of [await bin("chpst"), "/usr/bin/chpst"]) {
      const result = await run("prlimit", ["--fsize=1024:", chpst, ...show]);
      assertEquals([result.code, result.stdout, result.stderr], [0, "2\n", ""], chpst);
    }
  },
});
