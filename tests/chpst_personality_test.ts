/**
 * chpst's personalities side by side with Debian's (reached through symlinks to
 * /usr/bin/chpst): envdir, envuidgid, setuidgid, pgrphack, setlock, softlimit, and the
 * leading-d names (spec chpst.md §2, §9).
 */

import { assertEquals, assertMatch } from "./_assert.ts";
import { bin, run, tempDir, writeTree } from "./_helpers.ts";
import { assertBoth, assertSameEnv, runBoth, sideBySide } from "./chpst_helpers.ts";

Deno.test({
  name: "personalities print their own usage with exit 100",
  ...sideBySide,
  async fn() {
    for (const name of ["envdir", "envuidgid", "setuidgid", "pgrphack", "setlock", "softlimit"]) {
      const { ours } = await assertBoth(name, []);
      assertEquals(ours.code, 100, name);
      await assertBoth(name, ["x"]);
    }
    await assertBoth("setlock", ["-z", "lk", "true"]);
    await assertBoth("setlock", ["-n"]);
    await assertBoth("softlimit", ["-z", "1", "true"]);
    await assertBoth("softlimit", ["-m", "abc", "true"]);
    await assertBoth("softlimit", ["-o"]);
  },
});

Deno.test({
  name: "a leading d is dropped from the name: denvdir is envdir, dfoo is chpst",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    const ours = await bin("chpst");
    Deno.mkdirSync(`${t.path}/ours`);
    Deno.mkdirSync(`${t.path}/c`);
    for (const name of ["denvdir", "dfoo", "dsetlock"]) {
      Deno.symlinkSync(ours, `${t.path}/ours/${name}`);
      Deno.symlinkSync("/usr/bin/chpst", `${t.path}/c/${name}`);
      for (const args of [[], ["-z"]]) {
        const a = await run(`${t.path}/ours/${name}`, args);
        const b = await run(`${t.path}/c/${name}`, args);
        assertEquals([a.code, a.stderr], [b.code, b.stderr], `${name} ${args}`);
      }
    }
    const usage = await run(`${t.path}/ours/denvdir`, []);
    assertEquals(usage.stderr, "usage: envdir dir child\n\n");
  },
});

Deno.test({
  name: "envdir: sets variables, fails on a subdirectory, a missing dir or program",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, { "e/A": "1\n", "e/EMPTY": "", "sub/B": "2", "sub/DIR": null });
    const opts = { cwd: t.path, env: { EMPTY: "x", PWD: t.path } };
    const env = await runBoth("envdir", ["e", "env"], opts);
    assertEquals(env.ours.code, 0);
    await assertSameEnv(env.ours.stdout, env.theirs.stdout);
    assertMatch(env.ours.stdout, /^A=1$/m);
    const sub = await assertBoth("envdir", ["sub", "true"], opts);
    assertEquals(sub.ours.stderr, "chpst: fatal: unable to read sub/DIR: is a directory\n");
    const missing = await assertBoth("envdir", ["nonexist", "true"], opts);
    assertEquals(missing.ours.code, 111);
    const noProg = await assertBoth("envdir", ["e", "nonexistprog"], opts);
    assertEquals(
      noProg.ours.stderr,
      "chpst: fatal: unable to run: nonexistprog: file does not exist\n",
    );
  },
});

Deno.test({
  name: "setuidgid and envuidgid take one account name",
  ...sideBySide,
  async fn() {
    const id = await assertBoth("setuidgid", ["nobody", "id"]);
    assertEquals(id.ours.stdout, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");
    const unknown = await assertBoth("setuidgid", ["nosuchuser", "id"]);
    assertEquals(unknown.ours.stderr, "chpst: fatal: unknown account: nosuchuser\n");
    await assertBoth("setuidgid", ["nobody:nogroup", "id"]);
    await assertBoth("setuidgid", [":1:1", "id"]);
    const env = await runBoth("envuidgid", ["nobody", "env"]);
    await assertSameEnv(env.ours.stdout, env.theirs.stdout);
    assertMatch(env.ours.stdout, /^UID=65534$/m);
    assertMatch(env.ours.stdout, /^GID=65534$/m);
    await assertBoth("envuidgid", ["nosuchuser", "env"]);
  },
});

Deno.test({
  name: "pgrphack runs the program in a new session",
  ...sideBySide,
  async fn() {
    const stat = "read -r line </proc/self/stat; set -- ${line#*) }; echo $$ $3 $4";
    const pair = await runBoth("pgrphack", ["sh", "-c", stat]);
    for (const result of [pair.ours, pair.theirs]) {
      const [pid, pgrp, sid] = result.stdout.trim().split(" ");
      assertEquals([pgrp, sid], [pid, pid]);
    }
  },
});

Deno.test({
  name: "softlimit sets limits, = is the hard limit",
  ...sideBySide,
  async fn() {
    for (
      const args of [
        ["-o", "64"],
        ["-o", "="],
        ["-c", "="],
        ["-m", "400000000"],
        ["-a", "500000000", "-s", "1000000", "-l", "65536"],
        ["-d", "300000000", "-f", "123456", "-p", "300", "-r", "1000", "-t", "50"],
      ]
    ) {
      const script = 'ulimit -Sc 100; exec "$SOFTLIMIT" "$@"';
      const ours = await run("sh", ["-c", script, "sh", ...args, "cat", "/proc/self/limits"], {
        env: { SOFTLIMIT: await bin("softlimit") },
      });
      const theirs = await run("sh", ["-c", script, "sh", ...args, "cat", "/proc/self/limits"], {
        env: { SOFTLIMIT: (await import("./chpst_helpers.ts")).debianAs("softlimit") },
      });
      assertEquals([ours.code, ours.stdout, ours.stderr], [
        theirs.code,
        theirs.stdout,
        theirs.stderr,
      ]);
    }
  },
});
