/**
 * chpst side by side with Debian's: options, order of operations, messages, exit codes
 * (spec chpst.md §3–§8, §11).
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { bin, byteText, exists, run, SETPRIV_AS_NOBODY, tempDir, writeTree } from "./_helpers.ts";
import {
  assertBoth,
  assertSame,
  assertSameEnv,
  DEBIAN_CHPST,
  haveDebianChpst,
  runBoth,
  sideBySide,
} from "./chpst_helpers.ts";

Deno.test({
  name: "chpst usage errors match Debian's text and code 100",
  ...sideBySide,
  async fn() {
    for (
      const args of [
        [],
        ["-v"],
        ["-V", "true"],
        ["-u"],
        ["-z", "true"],
        ["-l", "a", "-L", "b", "true"],
        ["-l", "a", "-l", "b", "true"],
        ["-o", "abc", "true"],
        ["-o", "-1", "true"],
        ["-m", "1k", "true"],
        ["-n", "x", "true"],
        ["-o", "abc", "-z", "true"],
        ["-z", "-o", "abc", "true"],
        ["-V", "-z"],
        ["-n", "x", "-u"],
      ]
    ) {
      const { ours } = await assertBoth("chpst", args);
      assertEquals(ours.code, 100, args.join(" "));
    }
  },
});

Deno.test({
  name: "chpst option parsing: --, a lone -, -v prints nothing",
  ...sideBySide,
  async fn() {
    await assertBoth("chpst", ["--", "id", "-u"]);
    const dash = await assertBoth("chpst", ["-", "x"]);
    assertEquals(dash.ours.stderr, "chpst: fatal: unable to run: -: file does not exist\n");
    await assertBoth("chpst", ["-v", "true"]);
    // runit's getopt ends the options at any word starting with `--`, and names an illegal
    // letter by its first byte.
    const ended = await assertBoth("chpst", ["--foo", "echo", "hi"]);
    assertEquals(ended.ours.stdout, "hi\n");
    await assertBoth("chpst", ["--help"]);
    await assertBoth("chpst", ["-é", "true"]);
  },
});

Deno.test({
  name: "chpst -e: first line, trailing blanks, NUL, empty file unsets, dot files ignored",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, {
      "e/A": "val1  \t \nsecond line\n",
      "e/EMPTY": "",
      "e/NL": "\n",
      "e/NUL": "a\0b\0c\n",
      "e/LEAD": "  lead",
      "e/.hidden": "x",
      "e/WITH_EQ": "p=q\n",
      "e/PATH": "/nonexistent",
    });
    const pair = await runBoth("chpst", ["-e", "e", "env"], {
      cwd: t.path,
      // PWD: the #!/bin/sh fallback launcher's shell would refresh a stale one.
      env: { EMPTY: "set", A: "old", PWD: t.path },
    });
    assertEquals(pair.ours.code, 0, pair.ours.stderr);
    await assertSameEnv(pair.ours.stdout, pair.theirs.stdout);
    const env = pair.ours.stdout;
    assert(env.includes("\nA=val1\n") || env.startsWith("A=val1\n"));
    assert(!env.includes("EMPTY="));
    assert(env.includes("NL=\n") && env.includes("NUL=a\nb\nc\n") && env.includes("LEAD=  lead"));
    assert(env.includes("PATH=/nonexistent"));
  },
});

Deno.test({
  name: "chpst -e and envdir: a FIFO without a writer reads as empty (runit opens O_NDELAY)",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, { "e/A": "a\n" });
    await run("mkfifo", [`${t.path}/e/FIFO`]);
    // A plain open waits for a writer for ever: runit's unsets the variable and goes on.
    const script = 'echo "${FIFO-unset} $A"';
    for (const [name, args] of [["chpst", ["-e", "e"]], ["envdir", ["e"]]] as const) {
      const pair = await runBoth(name, [...args, "sh", "-c", script], {
        cwd: t.path,
        env: { FIFO: "set" },
        timeoutMs: 10_000,
      });
      assertEquals(pair.ours.stdout, "unset a\n", `${name}: ${pair.ours.stderr}`);
      assertSame(pair, name);
    }
  },
});

Deno.test({
  name: "chpst -e: subdirectories, missing dir, unreadable and looping entries",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, { "e/A": "x", "e/SUB": null, "io/A": "x", "loop/A": "x" });
    Deno.symlinkSync("/proc/self/mem", `${t.path}/io/MEM`);
    Deno.symlinkSync("LOOP", `${t.path}/loop/LOOP`);
    const opts = { cwd: t.path };
    assertEquals((await assertBoth("chpst", ["-e", "e", "true"], opts)).ours.code, 0);
    const verbose = await assertBoth("chpst", ["-v", "-e", "e", "true"], opts);
    assertEquals(verbose.ours.stderr, "chpst: warning: unable to read e/SUB: is a directory\n");
    const missing = await assertBoth("chpst", ["-e", "nonexist", "true"], opts);
    assertEquals(
      missing.ours.stderr,
      "chpst: fatal: unable to switch to directory: nonexist: file does not exist\n",
    );
    assertEquals(missing.ours.code, 111);
    await assertBoth("chpst", ["-e", "e/A", "true"], opts);
    const io = await assertBoth("chpst", ["-e", "io", "true"], opts);
    assertEquals(io.ours.code, 111);
    const loop = await assertBoth("chpst", ["-e", "loop", "true"], opts);
    assertEquals(loop.ours.stderr, "chpst: fatal: unable to read loop/LOOP: symbolic link loop\n");
  },
});

Deno.test({
  name: "chpst passes environment bytes that are not UTF-8 unchanged",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    Deno.mkdirSync(`${t.path}/e`);
    Deno.writeFileSync(`${t.path}/e/FROMDIR`, new Uint8Array([0x61, 0xff, 0xfe, 0x0a]));
    const script = `X=$(printf 'x\\377\\300y'); export X; exec "$CHPST" -e e sh -c ` +
      `'printf %s "$X" | od -An -tx1; printf %s "$FROMDIR" | od -An -tx1'`;
    const ours = await run("sh", ["-c", script], {
      cwd: t.path,
      env: { CHPST: await bin("chpst") },
    });
    const theirs = await run("sh", ["-c", script], {
      cwd: t.path,
      env: { CHPST: "/usr/bin/chpst" },
    });
    assertEquals(ours.stdout, theirs.stdout);
    assertEquals(ours.stdout.replace(/\s+/g, " ").trim(), "78 ff c0 79 61 ff fe");
    const arg = `exec "$CHPST" sh -c 'printf %s "$1" | od -An -tx1' sh "$(printf 'a\\377')"`;
    const ourArg = await run("sh", ["-c", arg], { env: { CHPST: await bin("chpst") } });
    assertEquals(ourArg.stdout.replace(/\s+/g, " ").trim(), "61 ff");
    // An environment that is valid UTF-8 but not ASCII keeps its bytes too.
    const utf8Env = `Y=$(printf 'caf\\303\\251'); export Y; exec "$CHPST" sh -c ` +
      `'printf %s "$Y" | od -An -tx1'`;
    const ourEnv = await run("sh", ["-c", utf8Env], { env: { CHPST: await bin("chpst") } });
    assertEquals(ourEnv.stdout.replace(/\s+/g, " ").trim(), "63 61 66 c3 a9");
    // Valid UTF-8 that is not ASCII (taken from Deno's arguments, not from /proc).
    const utf8 = `exec "$CHPST" sh -c 'printf %s "$1" | od -An -tx1' sh "$(printf 'a\\303\\251')"`;
    const ourUtf8 = await run("sh", ["-c", utf8], { env: { CHPST: await bin("chpst") } });
    assertEquals(ourUtf8.stdout.replace(/\s+/g, " ").trim(), "61 c3 a9");
  },
});

Deno.test({
  name: "chpst -b sets argv[0] and names the program in exec errors",
  ...sideBySide,
  async fn() {
    const named = await assertBoth("chpst", ["-b", "myname", "sh", "-c", "echo $0"]);
    assertEquals(named.ours.stdout, "myname\n");
    const missing = await assertBoth("chpst", ["-b", "foo", "/nonexistent"]);
    assertEquals(missing.ours.stderr, "chpst: fatal: unable to run: foo: file does not exist\n");
  },
});

Deno.test({
  name: "chpst program search: PATH rules, access denied, unset PATH",
  ...sideBySide,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, { "d/noexec": "#!/bin/sh\n", "d/sub/x": "" });
    const noexec = await assertBoth("chpst", ["noexec"], { env: { PATH: `${t.path}/d` } });
    assertEquals(noexec.ours.stderr, "chpst: fatal: unable to run: noexec: access denied\n");
    await assertBoth("chpst", ["sub"], { env: { PATH: `${t.path}/d` } });
    await assertBoth("chpst", ["true"], { env: { PATH: "" } });
    await assertBoth("chpst", ["true"], { env: { PATH: `/nonexistent::${t.path}/d:/bin` } });
    const ours = await bin("chpst");
    // Deno puts its own PATH in place of an unset or empty one: chpst must not use it.
    const unset = await run("/usr/bin/env", ["-u", "PATH", ours, "/usr/bin/env"]);
    assertEquals([unset.code, unset.stderr], [0, ""]);
    assertEquals(unset.stdout.match(/^(PATH|DENO_NODE_SHIM_ACTIVE)=/m), null);
    const search = await run("/usr/bin/env", ["-u", "PATH", ours, "true"]);
    assertEquals([search.code, search.stderr], [0, ""]);
    const empty = await run("/usr/bin/env", ["PATH=", ours, "/usr/bin/env"]);
    assertMatch(empty.stdout, /^PATH=$/m);
  },
});

Deno.test({
  name: "chpst -n changes the nice value, also negative as root",
  ...sideBySide,
  async fn() {
    // -1 is also what nice(2) returns for it: only errno tells success.
    for (const inc of ["5", "+2", "", "-3", "0", "-1"]) {
      await assertBoth("chpst", ["-n", inc, "nice"]);
    }
  },
});

Deno.test({
  name: "chpst limits: /proc/self/limits after each limit option",
  ...sideBySide,
  async fn() {
    for (
      const [opt, value] of [
        ["-m", "300000000"],
        ["-d", "200000000"],
        ["-o", "100"],
        ["-o", "99999999"],
        ["-o", ""],
        ["-c", "9223372036854775808"],
        ["-c", "18446744073709551614"],
        ["-c", "18446744073709551615"],
        ["-c", "18446744073709551617"],
        ["-p", "500"],
        ["-f", "1000000"],
        ["-c", "0"],
        ["-r", "4096000"],
        ["-t", "100"],
      ]
    ) {
      // Deno raises its own soft RLIMIT_NOFILE to the hard limit at start-up, so the
      // core limit is the one lowered here to show which values leave a limit alone.
      const script = 'ulimit -Sc 100; exec "$CHPST" "$@"';
      const ours = await run("sh", ["-c", script, "sh", opt!, value!, "cat", "/proc/self/limits"], {
        env: { CHPST: await bin("chpst") },
      });
      const theirs = await run(
        "sh",
        ["-c", script, "sh", opt!, value!, "cat", "/proc/self/limits"],
        {
          env: { CHPST: "/usr/bin/chpst" },
        },
      );
      assertEquals(ours.code, theirs.code, `${opt} ${value} code: ${ours.stderr}`);
      assertEquals(ours.stdout, theirs.stdout, `${opt} ${value} limits`);
      assertEquals(ours.stderr, theirs.stderr, `${opt} ${value} stderr`);
    }
  },
});

Deno.test({
  name: "chpst reports a failed exec under tight memory and file limits, as C does",
  ...sideBySide,
  async fn() {
    for (
      const args of [
        ["-m", "300000000", "/nonexistent"],
        ["-m", "300000000", "-o", "", "nonexistprog"],
        ["-d", "1000", "-o", "0", "/nonexistent"],
        ["-u", "nobody", "-m", "500000000", "-o", "1000", "nonexistprog"],
      ]
    ) {
      const pair = await assertBoth("chpst", args);
      assertEquals(pair.ours.code, 111, args.join(" "));
    }
  },
});

Deno.test({
  name: "chpst -u and -U: ids, groups, environment, order",
  ...sideBySide,
  async fn() {
    for (const spec of ["nobody", "daemon", "daemon:nogroup:daemon", ":1:2:3", ":1:", ":1:2:"]) {
      const pair = await assertBoth("chpst", ["-u", spec, "id"]);
      assertEquals(pair.ours.code, 0, spec);
    }
    const envUser = await runBoth("chpst", ["-U", ":5:6:7", "env"]);
    await assertSameEnv(envUser.ours.stdout, envUser.theirs.stdout);
    assertMatch(envUser.ours.stdout, /^GID=6$/m);
    assertMatch(envUser.ours.stdout, /^UID=5$/m);
    const both = await runBoth("chpst", ["-U", "daemon", "-u", "nobody", "sh", "-c", "id -u; env"]);
    await assertSameEnv(both.ours.stdout, both.theirs.stdout);
    assertMatch(both.ours.stdout, /^65534$/m);
    assertMatch(both.ours.stdout, /^UID=1$/m);
  },
});

Deno.test({
  name: "chpst bad user specs: invalid, unknown user and group",
  ...sideBySide,
  async fn() {
    for (const spec of [":1", ":x", ":1:2:3x", "nouser", "daemon:", "daemon:nosuchgroup"]) {
      const pair = await assertBoth("chpst", ["-u", spec, "true"]);
      assertEquals(pair.ours.code, 111, spec);
      await assertBoth("chpst", ["-U", spec, "true"]);
    }
  },
});

Deno.test({
  name: "chpst -P makes a new session",
  ...sideBySide,
  async fn() {
    const stat = "read -r line </proc/self/stat; set -- ${line#*) }; echo $$ $3 $4";
    for (const name of ["ours", "theirs"] as const) {
      const pair = await runBoth("chpst", ["-P", "sh", "-c", stat]);
      const [pid, pgrp, sid] = pair[name].stdout.trim().split(" ");
      assertEquals([pgrp, sid], [pid, pid], `${name}: ${pair[name].stdout}`);
    }
  },
});

Deno.test({
  name: "chpst -0 -1 -2 close stdio, and the program sees no other fd",
  ...sideBySide,
  async fn() {
    await assertBoth("chpst", ["ls", "/proc/self/fd"]);
    await assertBoth("chpst", ["-0", "ls", "/proc/self/fd"]);
    await assertBoth("chpst", ["-2", "ls", "/proc/self/fd"]);
    await assertBoth("chpst", ["-1", "sh", "-c", "ls /proc/self/fd >&2"]);
    await assertBoth("chpst", ["-012", "true"]);
  },
});

Deno.test({
  name: "chpst -/ into a busybox root: env dir from the old root, users from the new one",
  ...sideBySide,
  ignore: sideBySide.ignore || !exists("/bin/busybox"),
  async fn() {
    await using t = tempDir();
    writeTree(t.path, {
      "root/etc/passwd": "inside:x:4242:4343::/:/bin/sh\n",
      "root/etc/group": "ingroup:x:4444:\n",
      "root/sub/.keep": "",
      "e/FROM_OLD_ROOT": "yes",
    });
    Deno.mkdirSync(`${t.path}/root/bin`);
    Deno.copyFileSync("/bin/busybox", `${t.path}/root/bin/busybox`);
    Deno.chmodSync(`${t.path}/root/bin/busybox`, 0o755);
    const root = `${t.path}/root`;
    const opts = { cwd: t.path, env: { PATH: "/bin", PWD: t.path } };
    const id = await assertBoth(
      "chpst",
      ["-/", root, "-u", "inside:ingroup", "/bin/busybox", "id"],
      opts,
    );
    assertEquals(id.ours.stdout, "uid=4242(inside) gid=4444(ingroup) groups=4444(ingroup)\n");
    await assertBoth("chpst", ["-/", root, "/bin/busybox", "pwd"], opts);
    const env = await runBoth("chpst", ["-e", "e", "-/", root, "busybox", "env"], opts);
    assertEquals(env.ours.code, 0, env.ours.stderr);
    await assertSameEnv(env.ours.stdout, env.theirs.stdout);
    assertMatch(env.ours.stdout, /^FROM_OLD_ROOT=yes$/m);
    await assertBoth("chpst", ["-/", root, "true"], opts);
    await assertBoth("chpst", ["-/", root, "-u", "nobody", "true"], opts);
    await assertBoth("chpst", ["-/", "/nonexistent", "true"], opts);
    const sub = await run(
      await bin("chpst"),
      ["-/", root, "-C", "sub", "/bin/busybox", "pwd"],
      opts,
    );
    assertEquals([sub.code, sub.stdout], [0, "/sub\n"]);
    const noSub = await run(await bin("chpst"), ["-C", "/nonexistent", "true"]);
    assertEquals(
      noSub.stderr,
      "chpst: fatal: unable to change directory: /nonexistent: file does not exist\n",
    );
  },
});

Deno.test("chpst: names that are not UTF-8 (-e, -l, -b, env files, the starting directory) are used byte for byte", async () => {
  await using tmp = tempDir();
  // Deno names files in UTF-8 only: the shell makes the env dir "envé" and a lone 0xff,
  // and a starting directory "dir" with one, and runs each chpst in it.
  const made = await run("sh", [
    "-c",
    `E=$(printf 'env\\303\\251\\377') && mkdir "$E" "$(printf 'dir\\377')" && ` +
    `echo hello >"$E/GREETING" && echo value >"$E/VAR$(printf '\\377')"`,
  ], { cwd: tmp.path });
  assertEquals(made.code, 0, made.stderr);
  const script = `cd "$(printf 'dir\\377')" && E="../$(printf 'env\\303\\251\\377')" && ` +
    `"$0" -e "$E" -l "../lock$(printf '\\377')" sh -c 'echo "$GREETING"; pwd; ls ..' && ` +
    // sh passes on no variable whose name is not an identifier: env shows it.
    `"$0" -e "$E" env | grep -a ^VAR && ` +
    `"$0" -b "$(printf 'b\\377')" sh -c 'echo "$0"' && ` +
    `"$0" -e "$E-nope" true; echo "rc=$?"`;
  const outputs: string[] = [];
  for (const program of [await bin("chpst"), ...(haveDebianChpst ? [DEBIAN_CHPST] : [])]) {
    const done = await new Deno.Command("sh", {
      args: ["-c", script, program],
      cwd: tmp.path,
      stdout: "piped",
      stderr: "piped",
    }).output();
    outputs.push(byteText(done.stdout) + byteText(done.stderr));
    await run("sh", ["-c", `rm -f "lock$(printf '\\377')"`], { cwd: tmp.path });
  }
  const env = "env\xc3\xa9\xff";
  assertEquals(
    outputs[0],
    `hello\n${tmp.path}/dir\xff\ndir\xff\n${env}\nlock\xff\nVAR\xff=value\nb\xff\nrc=111\n` +
      `chpst: fatal: unable to switch to directory: ../${env}-nope: file does not exist\n`,
  );
  if (outputs.length > 1) assertEquals(outputs[0], outputs[1], "ours and Debian's");
});

Deno.test({
  name: "chpst -0, -1 and -2 on a descriptor that is already closed are fatal, as Debian's",
  ...sideBySide,
  async fn() {
    await using env = tempDir(); // an empty env dir for -e
    // spec chpst.md test case 19. The shell closes the descriptor and execs chpst. Deno's
    // start opens /dev/null on a closed fd 0-2 before any JavaScript runs: the launcher
    // tells chpst which were closed (DENIT_CLOSED_FDS), and chpst closes them again for
    // its program.
    const closed = async (chpst: string, script: string): Promise<[number, string, string]> => {
      const result = await run("sh", ["-c", script, chpst]);
      return [result.code, result.stdout, result.stderr];
    };
    const cases: [string, [number, string, string]][] = [
      ['exec "$0" -0 true <&-', [
        111,
        "",
        "chpst: fatal: unable to close stdin: file descriptor not open\n",
      ]],
      ['exec "$0" -1 true >&-', [
        111,
        "",
        "chpst: fatal: unable to close stdout: file descriptor not open\n",
      ]],
      // Nowhere to say it: only the exit code shows.
      ['exec "$0" -2 true 2>&-', [111, "", ""]],
      // Without -0 the program starts with stdin closed, as it was given.
      [`exec "$0" sh -c '[ -e /proc/$$/fd/0 ] && echo open || echo closed' <&-`, [
        0,
        "closed\n",
        "",
      ]],
      // Also through `-e DIR PROG`, whose quick entry the launcher then leaves out.
      [`exec "$0" -e "${env.path}" sh -c '[ -e /proc/$$/fd/0 ] && echo open || echo closed' <&-`, [
        0,
        "closed\n",
        "",
      ]],
    ];
    for (const [script, want] of cases) {
      assertEquals(await closed(DEBIAN_CHPST, script), want, `Debian's: ${script}`);
      assertEquals(await closed(await bin("chpst"), script), want, `ours: ${script}`);
    }
  },
});

Deno.test({
  name: "chpst -m clamps data, stack, locked memory and address space each to its hard limit",
  ...sideBySide,
  async fn() {
    // spec chpst.md test case 12. Soft limits below hard ones that all differ, so that
    // each clamp shows; none so low that Deno cannot start under it (scripts/launcher.c
    // limit_needs: Deno aborted now and then with an address space of 48 GiB).
    const limits = [
      "--data=1500000000:2147483648",
      "--stack=8388608:16777216",
      "--memlock=1048576:4194304",
      "--as=100000000000:137438953472",
    ];
    const show = ["grep", "-E", "^Max (data|stack|locked|address)", "/proc/self/limits"];
    const line = (what: string, soft: string, hard: string) =>
      new RegExp(`^Max ${what} +${soft} +${hard} +bytes`, "m");
    for (
      const [value, data, stack, memlock, as] of [
        // Above every hard limit: each soft limit becomes its own hard limit.
        ["200000000000", "2147483648", "16777216", "4194304", "137438953472"],
        // Between them: only the limits whose hard limit is lower are clamped.
        ["3000000000", "2147483648", "16777216", "4194304", "3000000000"],
        ["2000000000", "2000000000", "16777216", "4194304", "2000000000"],
      ]
    ) {
      const under = (chpst: string) => run("prlimit", [...limits, chpst, "-m", value!, ...show]);
      const ours = await under(await bin("chpst"));
      const theirs = await under(DEBIAN_CHPST);
      assertEquals([ours.code, ours.stdout, ours.stderr], [0, theirs.stdout, ""], `-m ${value}`);
      assertEquals(theirs.code, 0, theirs.stderr);
      assertMatch(ours.stdout, line("data size", data!, "2147483648"));
      assertMatch(ours.stdout, line("stack size", stack!, "16777216"));
      assertMatch(ours.stdout, line("locked memory", memlock!, "4194304"));
      assertMatch(ours.stdout, line("address space", as!, "137438953472"));
    }
  },
});

Deno.test({
  name: "chpst -u USER -n -5 lowers the nice value before it drops root, as Debian's",
  ...sideBySide,
  ignore: sideBySide.ignore || Deno.uid() !== 0,
  async fn() {
    // spec chpst.md test case 28: nice comes before setuid, so root may go below 0.
    const base = Number((await run("nice", [])).stdout);
    const want = Math.max(base - 5, -20);
    const pair = await assertBoth("chpst", ["-u", "nobody", "-n", "-5", "sh", "-c", "id -u; nice"]);
    assertEquals(pair.ours.stdout, `65534\n${want}\n`);
    const plain = await assertBoth("chpst", ["-u", "nobody", "-n", "-5", "nice"]);
    assertEquals(plain.ours.stdout, `${want}\n`);
    // A user that is not root already may not: the order is what lets chpst do it.
    for (const [who, chpst] of [["ours", await bin("chpst")], ["Debian's", DEBIAN_CHPST]]) {
      const result = await run("setpriv", [...SETPRIV_AS_NOBODY, chpst!, "-n", "-5", "nice"]);
      assertEquals(
        [result.code, result.stdout, result.stderr],
        [111, "", "chpst: fatal: unable to set nice level: permission denied\n"],
        who,
      );
    }
  },
});
