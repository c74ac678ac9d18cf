/**
 * The multi-call binary: every installed name dispatches to its applet and, called with
 * no arguments, prints exactly what Debian's binary prints, with the same exit code.
 */

import { assertEquals, assertStringIncludes } from "./_assert.ts";
import {
  bin,
  cLaunchers,
  haveDebianRunit,
  killTree,
  readOrUndefined,
  run,
  SETPRIV_AS_NOBODY,
  spawn,
  tempDir,
  testPrefix,
  waitFor,
} from "./_helpers.ts";
import { debianAs } from "./chpst_helpers.ts";

const DEBIAN_PATHS: Record<string, string> = {
  runit: "/sbin/runit",
  "runit-init": "/lib/runit/runit-init",
  init: "/lib/runit/runit-init",
  runsvdir: "/usr/bin/runsvdir",
  runsvchdir: "/usr/sbin/runsvchdir",
  runsv: "/usr/bin/runsv",
  sv: "/usr/bin/sv",
  svlogd: "/usr/bin/svlogd",
  chpst: "/usr/bin/chpst",
  utmpset: "/usr/sbin/utmpset",
};
const PERSONALITIES = ["envdir", "envuidgid", "pgrphack", "setuidgid", "setlock", "softlimit"];

Deno.test("every applet name is installed and listed", async () => {
  const prefix = await testPrefix();
  const listed = (await run(`${prefix}/bin/denit`, ["--list"])).stdout.trim().split("\n");
  for (const name of [...Object.keys(DEBIAN_PATHS), ...PERSONALITIES]) {
    assertEquals(listed.includes(name), true, `${name} listed`);
    assertEquals(Deno.statSync(`${prefix}/bin/${name}`).isFile, true, `${name} installed`);
  }
});

Deno.test("an unknown applet name prints the list and exits 127", async () => {
  // Names every object has from its prototype are unknown too.
  for (const name of ["nosuchapplet", "constructor", "toString", "__proto__"]) {
    const result = await run(await bin("denit"), [name]);
    assertEquals(result.code, 127, name);
    assertStringIncludes(result.stderr, "\nsv\n");
  }
});

Deno.test({
  name: "with no arguments every applet matches Debian's usage text and exit code",
  ignore: !haveDebianRunit(),
  async fn() {
    const prefix = await testPrefix();
    await using links = tempDir();
    for (const name of PERSONALITIES) {
      Deno.symlinkSync("/usr/bin/chpst", `${links.path}/${name}`);
    }
    for (const name of [...Object.keys(DEBIAN_PATHS), ...PERSONALITIES]) {
      const debianPath = DEBIAN_PATHS[name] ?? `${links.path}/${name}`;
      const ours = await run(`${prefix}/bin/${name}`, []);
      const theirs = await run(debianPath, []);
      // Usage lines that print argv[0] as given name the path each was started by.
      const normalise = (text: string, path: string): string => text.replaceAll(path, "ARGV0");
      assertEquals(
        normalise(ours.stderr, `${prefix}/bin/${name}`),
        normalise(theirs.stderr, debianPath),
        `${name} stderr`,
      );
      assertEquals(ours.stdout, theirs.stdout, `${name} stdout`);
      assertEquals(ours.code, theirs.code, `${name} exit code`);
    }
  },
});

Deno.test({
  name: "found through PATH or run under another argv[0], every applet prints Debian's bytes",
  // The #!/bin/sh fallback launcher sees the path the kernel ran, not argv[0] (docs/denit.md).
  ignore: !haveDebianRunit(),
  async fn() {
    if (!(await cLaunchers())) return;
    const prefix = await testPrefix();
    await using theirs = tempDir();
    for (const name of [...Object.keys(DEBIAN_PATHS), ...PERSONALITIES]) {
      Deno.symlinkSync(DEBIAN_PATHS[name] ?? "/usr/bin/chpst", `${theirs.path}/${name}`);
    }
    for (const name of [...Object.keys(DEBIAN_PATHS), ...PERSONALITIES]) {
      for (const script of [`exec ${name}`, `exec -a my-${name} ${name}`]) {
        const ours = await run("/bin/bash", ["-c", script], { env: { PATH: `${prefix}/bin` } });
        const c = await run("/bin/bash", ["-c", script], { env: { PATH: theirs.path } });
        assertEquals([ours.code, ours.stdout, ours.stderr], [c.code, c.stdout, c.stderr], script);
      }
    }
  },
});

Deno.test("the applet is the launcher's file, whatever argv[0] says", async () => {
  // chpst -b and exec -a change argv[0]; the launcher still runs its own applet: sv, in
  // its LSB mode under another name (runsv would say "usage: runsv dir", exit 1).
  const svAsRunsv = await run("/bin/bash", ["-c", `exec -a runsv "$0"`, await bin("sv")]);
  assertEquals(
    [svAsRunsv.stderr, svAsRunsv.code],
    await cLaunchers()
      ? ["usage: runsv [-w sec] command\n\n", 2]
      // The #!/bin/sh fallback launcher cannot see argv[0]: plain sv.
      : ["usage: sv [-v] [-w sec] command service ...\n\n", 100],
  );
});

Deno.test("a name reached through another symlink dispatches by the link chain", async () => {
  await using dir = tempDir();
  // runit's LSB mode: /etc/init.d/NAME -> sv. The name is the service, the applet is sv.
  Deno.symlinkSync(await bin("sv"), `${dir.path}/cron`);
  const lsb = await run(`${dir.path}/cron`, []);
  assertEquals(lsb.stderr, "usage: cron [-w sec] command\n\n");
  assertEquals(lsb.code, 2);
});

Deno.test("denit --install DIR makes busybox-style links that dispatch by name", async () => {
  await using dir = tempDir();
  const install = await run(await bin("denit"), ["--install", dir.path]);
  assertEquals(install.code, 0);
  assertEquals(Deno.lstatSync(`${dir.path}/runsv`).isSymlink, true);
  const runsv = await run(`${dir.path}/runsv`, []);
  assertEquals(runsv.stderr, `usage: ${dir.path}/runsv dir\n\n`);
  assertEquals(runsv.code, 1);
});

Deno.test("denit APPLET args dispatches on the first argument", async () => {
  const result = await run(await bin("denit"), ["sv"]);
  assertEquals(result.stderr, "usage: sv [-v] [-w sec] command service ...\n\n");
  assertEquals(result.code, 100);
});

/**
 * A caller environment with its own Deno settings between other variables. DENO_V8_FLAGS
 * and DENO_LOG would steer the Deno that runs the applet (V8's help instead of the applet,
 * debug lines): they must reach the applet's children only.
 */
const CALLER_ENV = [
  "A=1",
  "DENO_DIR=/caller/deno-dir",
  "B=2",
  "DENO_NO_UPDATE_CHECK=caller",
  "DENO_V8_FLAGS=--help",
  "C=3",
  "DENO_LOG=debug",
];

Deno.test({
  name: "the caller's DENO_* variables reach chpst's program as they were, not chpst's Deno",
  ignore: !haveDebianRunit(),
  async fn() {
    await using t = tempDir();
    Deno.mkdirSync(`${t.path}/e`);
    Deno.writeTextFileSync(`${t.path}/e/FROMDIR`, "x\n");
    const dump = async (chpst: string) =>
      (await run("env", ["-i", ...CALLER_ENV, chpst, "-e", "e", "/usr/bin/env"], { cwd: t.path }))
        .stdout;
    const ours = await dump(await bin("chpst"));
    const theirs = await dump("/usr/bin/chpst");
    assertEquals(theirs, CALLER_ENV.join("\n") + "\nFROMDIR=x\n");
    if (await cLaunchers()) assertEquals(ours, theirs);
    else {
      // The #!/bin/sh fallback reorders environ and exports PWD (docs/denit.md).
      const lines = (text: string) => text.split("\n").filter((l) => !l.startsWith("PWD=")).sort();
      assertEquals(lines(ours), lines(theirs));
    }
  },
});

/** `dump` (`env` output) has every CALLER_ENV entry and nothing of denit's launcher. */
function assertCallerEnvironmentOnly(dump: string): void {
  const lines = dump.split("\n").filter((line) => line !== "");
  for (const entry of CALLER_ENV) assertStringIncludes(dump, `${entry}\n`);
  const denits = lines.filter((line) => /^(DENIT|DENO)_/.test(line) && !CALLER_ENV.includes(line));
  assertEquals(denits, []);
}

Deno.test("the caller's DENO_* variables reach a service that runsv starts; nothing of denit's does", async () => {
  await using t = tempDir();
  Deno.mkdirSync(`${t.path}/s`);
  Deno.writeTextFileSync(
    `${t.path}/s/run`,
    "#!/bin/sh\nenv >envdump.new\nmv envdump.new envdump\nexec sleep 1000\n",
  );
  Deno.chmodSync(`${t.path}/s/run`, 0o755);
  // env -i: nothing of the test runner's own DENIT_* settings.
  await using runsv = spawn("env", ["-i", ...CALLER_ENV, await bin("runsv"), "s"], {
    cwd: t.path,
  });
  try {
    const dump = await waitFor(() => readOrUndefined(`${t.path}/s/envdump`) ?? "", {
      timeoutMs: 15_000,
      what: "the service's environment dump",
    });
    assertCallerEnvironmentOnly(dump);
  } finally {
    killTree(runsv.pid);
  }
});

Deno.test("sv's check script gets the caller's environment; nothing of denit's", async () => {
  // sv clears the launcher's variables only before its first child (lib/applet.ts
  // settleEnvironmentLate): the child must still never see them.
  await using t = tempDir();
  Deno.mkdirSync(`${t.path}/s`);
  Deno.writeTextFileSync(`${t.path}/s/run`, "#!/bin/sh\nexec sleep 1000\n");
  Deno.writeTextFileSync(`${t.path}/s/check`, "#!/bin/sh\nenv >checkenv\n");
  Deno.chmodSync(`${t.path}/s/run`, 0o755);
  Deno.chmodSync(`${t.path}/s/check`, 0o755);
  await using runsv = spawn(await bin("runsv"), ["s"], { cwd: t.path });
  try {
    await waitFor(() => readOrUndefined(`${t.path}/s/supervise/stat`) === "run\n", {
      timeoutMs: 15_000,
      what: "the service running",
    });
    const check = await run(
      "env",
      ["-i", ...CALLER_ENV, await bin("sv"), "-w", "5", "check", "./s"],
      {
        cwd: t.path,
      },
    );
    assertStringIncludes(check.stdout, "ok: run: ./s:");
    const dump = readOrUndefined(`${t.path}/s/checkenv`) ?? "";
    assertCallerEnvironmentOnly(dump);
  } finally {
    killTree(runsv.pid);
  }
});

Deno.test({
  name: "applets run in a removed working directory, as Debian's do, and leave it to programs",
  ignore: !haveDebianRunit() || !(await cLaunchers()),
  async fn() {
    await using t = tempDir();
    Deno.mkdirSync(`${t.path}/env`);
    Deno.writeTextFileSync(`${t.path}/env/A`, "1\n");
    // The program reports its directory, its fds and anything of denit's in its environment
    // (the same as under Debian's chpst: no fd and no variable of the launcher's).
    const report = "readlink /proc/self/cwd; ls /proc/self/fd | wc -l; env | grep -c DENIT_";
    const lines = [
      ["chpst", "-e", `${t.path}/env`, "sh", "-c", report],
      ["chpst", "-e", `${t.path}/env`, "--", "sh", "-c", report],
      ["envdir", `${t.path}/env`, "sh", "-c", report],
      ["chpst", "-e", "env", "true"],
      ["sv", "status", `${t.path}/nonexist`],
      ["sv", "status", "relative"],
    ];
    let round = 0;
    for (const [name, ...args] of lines) {
      const ran = async (path: string) => {
        const gone = `${t.path}/gone${round++}`;
        Deno.mkdirSync(gone);
        const quoted = [path, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`);
        const script = `cd ${gone} && rmdir ${gone} && exec ${quoted.join(" ")}`;
        const result = await run("/bin/sh", ["-c", script], { env: { SVDIR: t.path } });
        const hide = (text: string) => text.replaceAll(gone, "GONE");
        return { code: result.code, stdout: hide(result.stdout), stderr: hide(result.stderr) };
      };
      const ours = await ran(await bin(name!));
      const theirs = await ran(name === "sv" ? "/usr/bin/sv" : debianAs(name!));
      assertEquals(ours, theirs, [name, ...args].join(" "));
      if (args.includes("-c")) assertEquals(ours.stdout.split("\n")[0], "GONE (deleted)");
    }
  },
});

Deno.test({
  name: "svlogd and runsvdir in a starting directory the user cannot read, as Debian's",
  ignore: !haveDebianRunit() || Deno.uid() !== 0,
  async fn() {
    await using t = tempDir();
    Deno.chmodSync(t.path, 0o755);
    for (const dir of ["noread", "logs", "services"]) Deno.mkdirSync(`${t.path}/${dir}`);
    Deno.chmodSync(`${t.path}/noread`, 0o311);
    Deno.chmodSync(`${t.path}/logs`, 0o777);
    const asNobody = SETPRIV_AS_NOBODY;
    for (
      const [name, debian, args] of [
        ["svlogd", "/usr/bin/svlogd", [`${t.path}/logs`]],
        ["runsvdir", "/usr/bin/runsvdir", [`${t.path}/services`]],
      ] as const
    ) {
      // Both end at once; a timeout would mean the check is missing.
      const ran = async (path: string) =>
        await run("setpriv", [...asNobody, path, ...args], {
          cwd: `${t.path}/noread`,
          stdin: "",
          timeoutMs: 10_000,
        });
      const ours = await ran(await bin(name));
      const theirs = await ran(debian);
      assertEquals(ours.stderr.replace(await bin(name), debian), theirs.stderr, name);
      assertEquals([ours.code, ours.signal], [theirs.code, theirs.signal], name);
      assertStringIncludes(ours.stderr, "access denied");
    }
  },
});

Deno.test({
  name: "an empty argv[0] is printed as it is, as Debian's tools print it",
  ignore: !haveDebianRunit() || !(await cLaunchers()),
  async fn() {
    // perl execs with exactly the argv[0] given; the sh launchers have a $0 instead.
    const exec = "my $path = shift; exec { $path } @ARGV or exit 127";
    const cases: [string, string[]][] = [
      ["sv", []],
      ["sv", ["status"]],
      ["chpst", []],
      ["svlogd", []],
      ["runsv", []],
      ["runsvdir", []],
      ["utmpset", []],
      ["runsvchdir", []],
    ];
    for (const [name, args] of cases) {
      const ran = async (path: string) => {
        const result = await run("/usr/bin/perl", ["-e", exec, path, "", ...args]);
        return [result.code, result.stdout, result.stderr];
      };
      assertEquals(await ran(await bin(name)), await ran(DEBIAN_PATHS[name]!), name);
    }
  },
});

Deno.test({
  name: "a write to a broken pipe kills the short-lived applets with SIGPIPE, as Debian's",
  ignore: !haveDebianRunit(),
  async fn() {
    // The pipe's read end is closed before the exec: the first write fails, always.
    const broken = "pipe(R, W) or die; close R; my $fd = shift; " +
      'open($fd == 1 ? *STDOUT : *STDERR, ">&W") or die; close W; exec { $ARGV[0] } @ARGV';
    const cases: [string, number, string[]][] = [
      ["sv", 1, ["status", "/nonexistent"]],
      ["sv", 2, []],
      ["chpst", 2, ["-e", "/nonexistent", "true"]],
      ["chpst", 2, []],
      ["utmpset", 2, []],
      ["runsvchdir", 2, []],
    ];
    for (const [name, fd, args] of cases) {
      const ran = async (path: string) => {
        const result = await run("/usr/bin/perl", ["-e", broken, String(fd), path, ...args]);
        return [result.code, result.signal];
      };
      const what = `${name} ${args.join(" ")} (fd ${fd})`;
      assertEquals(await ran(DEBIAN_PATHS[name]!), [141, "SIGPIPE"], what);
      assertEquals(await ran(await bin(name)), [141, "SIGPIPE"], what);
    }
  },
});

Deno.test({
  name: "a carriage return that ends an argument is kept, as runit's tools keep it",
  // The #!/bin/sh fallback launcher cannot tell (docs/denit.md).
  ignore: !haveDebianRunit() || !(await cLaunchers()),
  async fn() {
    // Deno drops it (for CRLF shebang lines); the launcher says so and the applet reads
    // its words from /proc/self/cmdline.
    const args = ["printf", "%s|", "a\r", "b", "c\r\r", "\r\r", "e\r\r\r"];
    const ours = await run(await bin("chpst"), args);
    assertEquals([ours.code, ours.stdout], [0, "a\r|b|c\r\r|\r\r|e\r\r\r|"]);
    const user = await run(await bin("chpst"), ["-u", "daemon\r", "true"]);
    const theirs = await run("/usr/bin/chpst", ["-u", "daemon\r", "true"]);
    assertEquals([user.code, user.stderr], [theirs.code, theirs.stderr]);
    assertEquals(user.code, 111);
  },
});
