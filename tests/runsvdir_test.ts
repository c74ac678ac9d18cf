/**
 * runsvdir black-box: the spec's cases (spec/runsvdir.md "Test cases") with our runsvdir
 * supervising in one process. Process-level facts come from /proc and the supervise/
 * files; Debian's `sv` (when installed) is the client, since it is the oracle of the
 * protocol.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import {
  bin,
  descendantsOf,
  haveDebianRunit,
  killAll,
  readByteText,
  readOrUndefined,
  run,
  runApplet,
  SETPRIV_AS_NOBODY,
  sleep,
  spawn,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import {
  alive,
  cmdline,
  procStat,
  type RunningRunsvdir,
  servicePid,
  serviceStat,
  sleeper,
  startRunsvdir,
  waitRunning,
  wrapSpawned,
} from "./runsvdir_fixture.ts";

Deno.test("runsvdir: usage without a directory, exit 1, as Debian's", async () => {
  for (const args of [[], ["-P"], ["--"]]) {
    const ours = await runApplet("runsvdir", args);
    assertEquals(ours.code, 1);
    assertMatch(ours.stderr, /^usage: \S*runsvdir \[-P\] dir\n\n$/);
    if (haveDebianRunit()) {
      const theirs = await run("/usr/bin/runsvdir", args);
      assertEquals(theirs.code, 1);
      assertEquals(theirs.stderr, "usage: /usr/bin/runsvdir [-P] dir\n\n");
    }
  }
});

Deno.test("runsvdir: scans, follows links once, skips dot entries, adds/renames/removes/replaces", async () => {
  await using tmp = tempDir();
  const svc = `${tmp.path}/svc`;
  writeTree(tmp.path, {
    "svc/a/run!": sleeper(),
    "svc/b/run!": sleeper(),
    "svc/.hidden/run!": sleeper(),
    "svc/file": "",
    "ext/e/run!": sleeper(),
  });
  Deno.symlinkSync("../ext/e", `${svc}/e1`);
  Deno.symlinkSync("../ext/e", `${svc}/e2`);
  Deno.symlinkSync("../nowhere", `${svc}/dangling`);
  await using rd = await startRunsvdir(["-P", svc]);
  const a = await waitRunning(`${svc}/a`);
  const b = await waitRunning(`${svc}/b`);
  const e = await waitRunning(`${tmp.path}/ext/e`);
  assert(![a, b, e].includes(0));
  // One supervisor for both names of e: one `sleep` for it among runsvdir's children.
  const eSleepers = (await run("pgrep", ["-P", String(rd.pid), "-f", "^sleep 1000$"])).stdout
    .trim().split("\n");
  assertEquals(eSleepers.length, 3, "a, b and e: one process each");
  assertEquals(serviceStat(`${svc}/.hidden`), "", "dot entries are not supervised");
  await waitFor(
    () => rd.stderr().includes("warning: unable to stat dangling: file does not exist"),
    {
      what: "dangling warning",
    },
  );
  assertStringIncludes(rd.stderr(), `runsvdir ${svc}: warning: unable to stat dangling`);

  // A new service runs at once (the 5 s rescan is only the fallback).
  const t0 = performance.now();
  writeTree(svc, { "c/run!": sleeper() });
  await waitRunning(`${svc}/c`, 4_000);
  assert(performance.now() - t0 < 4_000);

  // Renaming restarts nothing: identity is the directory's device and inode.
  Deno.renameSync(`${svc}/a`, `${svc}/a-renamed`);
  await new Promise((r) => setTimeout(r, 1_200));
  assertEquals(servicePid(`${svc}/a-renamed`), a);
  assert(alive(a));

  // Moving b out of the directory stops it (its supervise/stat says down) for good.
  Deno.renameSync(`${svc}/b`, `${tmp.path}/b-out`);
  await waitFor(() => serviceStat(`${tmp.path}/b-out`) === "down" && !alive(b), {
    timeoutMs: 6_000,
    what: "b stopped",
  });
  await new Promise((r) => setTimeout(r, 1_200));
  assertEquals(serviceStat(`${tmp.path}/b-out`), "down", "not restarted");

  // Replacing a directory under the same name: the old one keeps running, a new one starts.
  Deno.renameSync(`${svc}/c`, `${svc}/c-old`);
  const c = servicePid(`${svc}/c-old`);
  writeTree(svc, { "c/run!": sleeper() });
  const c2 = await waitRunning(`${svc}/c`, 6_000);
  assert(c2 !== c);
  assertEquals(servicePid(`${svc}/c-old`), c);
  assert(alive(c));

  const status = await rd.stop("SIGTERM");
  assertEquals(status.code, 0);
  for (const pid of [a, c, c2, e]) assert(!alive(pid), `service ${pid} stopped with runsvdir`);
  assertEquals(serviceStat(`${svc}/a-renamed`), "down");
});

Deno.test("runsvdir: -P puts each service in its own session; without it they share ours", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "p/a/run!": sleeper(), "n/a/run!": sleeper() });
  await using withP = await startRunsvdir(["-P", `${tmp.path}/p`]);
  await using without = await startRunsvdir([`${tmp.path}/n`]);
  const p = await waitRunning(`${tmp.path}/p/a`);
  const n = await waitRunning(`${tmp.path}/n/a`);
  // `stat` says run from the clone on, as C runsv's says it from the fork: the child
  // calls setsid(2) on its way to the exec, which a loaded machine may not have reached.
  const pSession = (): number[] => procStat(p).slice(2, 4).map(Number);
  await waitFor(() => pSession()[1] === p, { what: `${p} in its own session` }).catch(() => {});
  assertEquals(pSession(), [p, p]);
  const [, , nPgrp] = procStat(n);
  assertEquals(Number(nPgrp), Number(procStat(without.pid)[2]));
  assert(withP.pid > 0);
});

Deno.test("runsvdir: SIGHUP stops every service and exits 111", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "a/run!": sleeper(),
    "a/log/run!": "#!/bin/sh\nexec cat >/dev/null\n",
    "b/run!": "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n",
  });
  await using rd = await startRunsvdir([tmp.path]);
  const a = await waitRunning(`${tmp.path}/a`);
  const log = await waitRunning(`${tmp.path}/a/log`);
  const b = await waitRunning(`${tmp.path}/b`);
  const t0 = performance.now();
  const status = await rd.stop("SIGHUP", 20_000);
  assertEquals(status.code, 111);
  assert(!alive(a) && !alive(log));
  // b ignores TERM: it gets SIGKILL after the 7 s stop timeout, nothing is left running.
  assert(!alive(b));
  assert(performance.now() - t0 > 6_000, "b had its 7 s to stop");
  assertEquals(serviceStat(`${tmp.path}/a`), "down");
  assertEquals(serviceStat(`${tmp.path}/a/log`), "down");
});

Deno.test("runsvdir: a short log argument is refused with runit's warnings", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "svc/a/run!": sleeper() });
  await using rd = await startRunsvdir(["svc", "short"], { cwd: tmp.path });
  await waitRunning(`${tmp.path}/svc/a`);
  assertEquals(
    rd.stderr().split("\n").slice(0, 2),
    [
      "runsvdir svc: warning: log must have at least seven characters.",
      "runsvdir svc: warning: log service disabled.",
    ],
  );
  // ps shows runsvdir and its arguments as given, also through the source launcher.
  assertEquals(cmdline(rd.pid).slice(1), ["svc", "short"]);
  assertEquals(Deno.readTextFileSync(`/proc/${rd.pid}/comm`).trim(), "runsvdir");
});

Deno.test("runsvdir: the log argument scrolls stderr through ps", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "svc/norun/down": "" });
  const logArg = "log: " + ".".repeat(63);
  await using rd = await startRunsvdir(["-P", `${tmp.path}/svc`, logArg]);
  const expected = "runsv norun: fatal: unable to start ./run: file does not exist\n";
  // `down` keeps it from starting; `sv up` makes the supervisor try (and fail) once.
  await waitFor(() => serviceStat(`${tmp.path}/svc/norun`) === "down", { what: "supervised" });
  Deno.removeSync(`${tmp.path}/svc/norun/down`);
  const fifo = await Deno.open(`${tmp.path}/svc/norun/supervise/control`, { write: true });
  await fifo.write(new TextEncoder().encode("u"));
  fifo.close();
  const args = await waitFor(() => {
    const args = cmdline(rd.pid);
    return args[3]?.endsWith(expected) ? args : null;
  }, { timeoutMs: 6_000, what: "window shows the message" });
  assert(args !== null);
  assertEquals(args.length, 4);
  assertEquals(args[1], "-P");
  assertEquals(args[2], `${tmp.path}/svc`);
  // The 63-byte window holds exactly the last message, newline included (spec case 14).
  assertEquals(args[3], `log: ${expected}`);
  assertEquals(rd.stderr(), "", "stderr goes to the log area, not the original stderr");
});

Deno.test("runsvdir: a missing directory and a file instead of a directory only warn", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { afile: "" });
  await using missing = await startRunsvdir([`${tmp.path}/nonexistent`]);
  await using file = await startRunsvdir([`${tmp.path}/afile`]);
  await using dash = await startRunsvdir(["-x", "svc"], { cwd: tmp.path });
  const warned = (rd: typeof missing, line: string, times: number): Promise<boolean> =>
    waitFor(() => rd.stderr().split(line).length - 1 >= times, {
      timeoutMs: 6_000,
      what: line,
    });
  await warned(
    missing,
    `runsvdir ${tmp.path}/nonexistent: warning: unable to stat ${tmp.path}/nonexistent: file does not exist\n`,
    2,
  );
  await warned(
    file,
    `runsvdir ${tmp.path}/afile: warning: unable to change directory to ${tmp.path}/afile: not a directory\n`,
    2,
  );
  await warned(dash, "runsvdir -x: warning: log must have at least seven characters.\n", 1);
  await warned(dash, "runsvdir -x: warning: unable to stat -x: file does not exist\n", 1);
  assert(alive(missing.pid) && alive(file.pid) && alive(dash.pid));
});

/** Our runsvdir and Debian's, when installed. */
async function bothRunsvdirs(): Promise<string[]> {
  return [await bin("runsvdir"), ...(haveDebianRunit() ? ["/usr/bin/runsvdir"] : [])];
}

/** `program sv` in `cwd` as nobody (root enters and lists any directory). */
function runsvdirAsNobody(program: string, cwd: string): RunningRunsvdir {
  return wrapSpawned(spawn("setpriv", [
    ...SETPRIV_AS_NOBODY,
    program,
    "sv",
  ], { cwd }));
}

Deno.test("runsvdir: a directory it cannot enter is tried each second until a chmod lets it in", async () => {
  for (const program of await bothRunsvdirs()) {
    await using tmp = tempDir();
    Deno.chmodSync(tmp.path, 0o755);
    writeTree(tmp.path, { "sv/a/run!": "#!/bin/sh\nexec sleep 1000\n", "sv/a/supervise": null });
    Deno.chownSync(`${tmp.path}/sv/a/supervise`, 65534, 65534);
    // As nobody (root enters anyway); a chmod changes no mtime, and no watch sees it.
    Deno.chmodSync(`${tmp.path}/sv`, 0o000);
    await using rd = runsvdirAsNobody(program, tmp.path);
    const line = "runsvdir sv: warning: unable to change directory to sv: access denied\n";
    await waitFor(() => rd.stderr().split(line).length - 1 >= 2, {
      timeoutMs: 6_000,
      what: `${program}: the warning each second`,
    });
    Deno.chmodSync(`${tmp.path}/sv`, 0o755);
    await waitFor(() => serviceStat(`${tmp.path}/sv/a`) === "run", {
      timeoutMs: 8_000,
      what: `${program}: a started once the directory can be entered`,
    });
    killAll(descendantsOf(rd.pid));
  }
});

Deno.test("runsvdir: a new directory it can enter but not list is warned about once", async () => {
  for (const program of await bothRunsvdirs()) {
    await using tmp = tempDir();
    Deno.chmodSync(tmp.path, 0o755);
    // Changed just now: runit sleeps into the next second and lists it once; runsvdir
    // lists it at once and again a second later, which must not warn again.
    Deno.mkdirSync(`${tmp.path}/sv`, { mode: 0o711 });
    Deno.chmodSync(`${tmp.path}/sv`, 0o711);
    await using rd = runsvdirAsNobody(program, tmp.path);
    const line = "runsvdir sv: warning: unable to open directory sv: access denied\n";
    await waitFor(() => rd.stderr().includes(line), { what: `${program}: the warning` });
    await sleep(2_500);
    assertEquals(rd.stderr(), line, program);
  }
});

Deno.test("runsvdir: SIGALRM forces a rescan and writes .forced-rescan (Debian)", async () => {
  await using tmp = tempDir();
  await using rd = await startRunsvdir([tmp.path]);
  await waitFor(() => rd.stderr() === "" && alive(rd.pid), { what: "started" });
  await new Promise((r) => setTimeout(r, 300));
  rd.proc.signal("SIGALRM");
  const text = await waitFor(() => {
    try {
      return Deno.readTextFileSync(`${tmp.path}/.forced-rescan`);
    } catch {
      return "";
    }
  }, { timeoutMs: 3_000, what: ".forced-rescan" });
  assertMatch(text, /^@[0-9a-f]{24}$/);
});

Deno.test("runsvdir: repointing the scanned symlink keeps the common service running", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "sv/common/run!": sleeper(),
    "sv/old/run!": sleeper(),
    "sv/new/run!": sleeper(),
    "lv1/.keep": "",
    "lv2/.keep": "",
  });
  Deno.symlinkSync("../sv/common", `${tmp.path}/lv1/common`);
  Deno.symlinkSync("../sv/old", `${tmp.path}/lv1/old`);
  Deno.symlinkSync("../sv/common", `${tmp.path}/lv2/common-too`);
  Deno.symlinkSync("../sv/new", `${tmp.path}/lv2/new`);
  Deno.symlinkSync("lv1", `${tmp.path}/current`);
  await using rd = await startRunsvdir([`${tmp.path}/current`]);
  const common = await waitRunning(`${tmp.path}/sv/common`);
  const old = await waitRunning(`${tmp.path}/sv/old`);
  Deno.symlinkSync("lv2", `${tmp.path}/current.new`);
  const t0 = performance.now();
  Deno.renameSync(`${tmp.path}/current.new`, `${tmp.path}/current`);
  await waitRunning(`${tmp.path}/sv/new`, 7_000);
  // The directory holding the link is watched: no need to wait for the 5 s rescan.
  assert(performance.now() - t0 < 3_000, `switch seen after ${performance.now() - t0} ms`);
  await waitFor(() => !alive(old), { timeoutMs: 7_000, what: "old stopped" });
  assertEquals(servicePid(`${tmp.path}/sv/common`), common);
  assert(alive(common));
  assert(alive(rd.pid));
});

Deno.test("runsvdir: a supervisor that cannot start is retried; the others keep running", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "good/run!": sleeper(),
    "broken/run!": sleeper(),
    "broken/supervise": "not a directory\n",
  });
  await using rd = await startRunsvdir([tmp.path]);
  const good = await waitRunning(`${tmp.path}/good`);
  // runsv's fatal start-up message, once per retry (about a second apart).
  await waitFor(() => (rd.stderr().match(/^runsv broken: fatal: .+$/gm) ?? []).length >= 2, {
    timeoutMs: 6_000,
    what: "broken retried",
  });
  Deno.removeSync(`${tmp.path}/broken/supervise`);
  await waitRunning(`${tmp.path}/broken`, 6_000);
  assertEquals(servicePid(`${tmp.path}/good`), good, "good was never touched");
  assert(alive(good));
});

Deno.test("runsvdir: log/svlogd is logged in-process; a service's last words are kept on TERM", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "a/run!": "#!/bin/sh\ntrap 'echo bye; exit 0' TERM\necho hello\n" +
      "while :; do sleep 0.1; done\n",
    "a/log/svlogd": "./main\n",
    "a/log/main/.keep": "",
  });
  await using rd = await startRunsvdir(["-P", tmp.path]);
  await waitRunning(`${tmp.path}/a`);
  // The log service is runsvdir itself: no process per logger.
  await waitFor(() => servicePid(`${tmp.path}/a/log`) === rd.pid, { what: "in-process log" });
  await waitFor(() => readCurrent(tmp.path) === "hello\n", { what: "hello logged" });
  const status = await rd.stop("SIGTERM");
  assertEquals(status.code, 0);
  assertEquals(readCurrent(tmp.path), "hello\nbye\n");
});

function readCurrent(root: string): string {
  try {
    return Deno.readTextFileSync(`${root}/a/log/main/current`);
  } catch {
    return "";
  }
}

Deno.test("runsvdir: a service whose name is not UTF-8 is supervised and named byte for byte", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "s/plain/run!": sleeper() });
  // Deno names files in UTF-8 only: the shell makes "svéc" with a lone 0xff, and "norun"
  // with one, which has no run file.
  const script = "#!/bin/sh\\necho started >../../started\\nexec sleep 1000\\n";
  const made = await run("sh", [
    "-c",
    `N=$(printf 'sv\\303\\251c\\377') && mkdir "s/$N" "s/norun$(printf '\\377')" && ` +
    `printf '${script}' >"s/$N/run" && chmod +x "s/$N/run"`,
  ], { cwd: tmp.path });
  assertEquals(made.code, 0, made.stderr);
  // Its stderr into a file, to see the bytes.
  await using runsvdir = wrapSpawned(
    spawn("sh", ["-c", 'exec "$0" "$1" 2>err', await bin("runsvdir"), `${tmp.path}/s`], {
      cwd: tmp.path,
    }),
  );
  await waitRunning(`${tmp.path}/s/plain`);
  await waitFor(() => readOrUndefined(`${tmp.path}/started`) === "started\n", {
    what: "the service named svéc\\xff",
  });
  const want = "runsv norun\xff: fatal: unable to start ./run: file does not exist\n";
  await waitFor(() => readByteText(`${tmp.path}/err`).startsWith(want), {
    what: "norun's message",
  });
  // ../started can come before runsv has recorded the start: ask until the record says run.
  const sv = haveDebianRunit() ? "/usr/bin/sv" : await bin("sv");
  const status = await waitFor(async () => {
    const out = await run("sh", [
      "-c",
      `exec "$0" status "$PWD/s/$(printf 'sv\\303\\251c\\377')"`,
      sv,
    ], { cwd: tmp.path });
    return out.stdout.startsWith("run: ") ? out : undefined;
  }, { what: "sv status saying run" });
  assertMatch(status.stdout, /^run: \S+\/s\/svéc\ufffd: \(pid \d+\) \d+s\n$/);
  assert(runsvdir.pid > 0);
});

Deno.test("runsvdir: a services directory whose name is not UTF-8 is scanned", async () => {
  await using tmp = tempDir();
  const script = "#!/bin/sh\\necho started >../../started\\nexec sleep 1000\\n";
  const made = await run("sh", [
    "-c",
    `S=$(printf 's\\377') && mkdir -p "$S/a" && printf '${script}' >"$S/a/run" && ` +
    `chmod +x "$S/a/run"`,
  ], { cwd: tmp.path });
  assertEquals(made.code, 0, made.stderr);
  await using runsvdir = wrapSpawned(
    spawn("sh", ["-c", `exec "$0" "$PWD/$(printf 's\\377')"`, await bin("runsvdir")], {
      cwd: tmp.path,
    }),
  );
  await waitFor(() => readOrUndefined(`${tmp.path}/started`) === "started\n", {
    what: "the service in s\\xff",
  });
  assertEquals(runsvdir.stderr(), "");
});

Deno.test("runsvdir: a services directory whose name is not UTF-8 is found again by name", async () => {
  await using tmp = tempDir();
  // runit's runsvdir changes into its directory by name before each scan: a directory
  // renamed away and replaced by another of the same name is the new one that is scanned.
  const script = (name: string) => `#!/bin/sh\\necho ${name} >>../../started\\nexec sleep 1000\\n`;
  const make = (name: string) =>
    `mkdir -p "$S/${name}" && printf '${script(name)}' >"$S/${name}/run" && ` +
    `chmod +x "$S/${name}/run"`;
  const made = await run("sh", ["-c", `S=$(printf 's\\377') && ${make("a")}`], {
    cwd: tmp.path,
  });
  assertEquals(made.code, 0, made.stderr);
  await using runsvdir = wrapSpawned(
    spawn("sh", ["-c", `exec "$0" "$PWD/$(printf 's\\377')"`, await bin("runsvdir")], {
      cwd: tmp.path,
    }),
  );
  await waitFor(() => readOrUndefined(`${tmp.path}/started`) === "a\n", { what: "a" });
  const moved = await run("sh", [
    "-c",
    // Made in full first, then put in place: a service is not seen half made.
    `S=new && ${make("b")} && S=$(printf 's\\377') && mv "$S" old && mv new "$S"`,
  ], { cwd: tmp.path });
  assertEquals(moved.code, 0, moved.stderr);
  // Seen at the next stat by name: the move wakes the old directory's watch (else the
  // 5-second stat would find it).
  await waitFor(() => readOrUndefined(`${tmp.path}/started`) === "a\nb\n", {
    what: "b, in the new s\\xff",
    timeoutMs: 10_000,
  });
  await waitFor(() => !servicePid(`${tmp.path}/old/a`) || undefined, {
    what: "a stopped: it is gone from s\\xff",
  });
  // Between the two moves there is no s\xff: a stat then warns, as runit's would.
  const between = /^runsvdir (\S+): warning: unable to stat \1: file does not exist$/;
  const lines = runsvdir.stderr().split("\n").filter((line) => line !== "");
  assertEquals(lines.filter((line) => !between.test(line)), []);
});

Deno.test("runsv and runsvdir run in a starting directory whose path is not UTF-8", async () => {
  await using tmp = tempDir();
  // Deno.cwd() throws there; both take their directory relative to it, as runit's do.
  const run1 = "#!/bin/sh\\necho one >../../one\\nexec sleep 1000\\n";
  const run2 = "#!/bin/sh\\necho two >../../../two\\nexec sleep 1000\\n";
  const made = await run("sh", [
    "-c",
    `C=$(printf 'c\\377') && mkdir -p "$C/s1" "$C/sd/s2" && printf '${run1}' >"$C/s1/run" && ` +
    `printf '${run2}' >"$C/sd/s2/run" && chmod +x "$C/s1/run" "$C/sd/s2/run"`,
  ], { cwd: tmp.path });
  assertEquals(made.code, 0, made.stderr);
  const inC = async (applet: string, dir: string) =>
    wrapSpawned(
      spawn("sh", ["-c", `cd "$(printf 'c\\377')" && exec "$0" "$1"`, await bin(applet), dir], {
        cwd: tmp.path,
      }),
    );
  await using runsv = await inC("runsv", "s1");
  await using runsvdir = await inC("runsvdir", "sd");
  await waitFor(() => readOrUndefined(`${tmp.path}/one`) === "one\n", { what: "runsv's service" });
  await waitFor(() => readOrUndefined(`${tmp.path}/two`) === "two\n", {
    what: "runsvdir's service",
  });
  assertEquals([runsv.stderr(), runsvdir.stderr()], ["", ""]);
});

Deno.test("runsvdir: a service renamed, then told x, comes back under its new name", async () => {
  // The restart opened the old name ("unable to change to directory", for ever).
  await using tmp = tempDir();
  writeTree(tmp.path, { "svc/a/run!": sleeper() });
  await using r = await startRunsvdir([`${tmp.path}/svc`]);
  const first = await waitRunning(`${tmp.path}/svc/a`);
  Deno.renameSync(`${tmp.path}/svc/a`, `${tmp.path}/svc/a.r1`);
  const dir = `${tmp.path}/svc/a.r1`;
  const result = await runApplet("sv", ["x", dir]);
  assertEquals(result.code, 0, result.stdout + result.stderr);
  await waitFor(() => {
    const pid = servicePid(dir);
    return pid !== first && alive(pid) && serviceStat(dir) === "run";
  }, { timeoutMs: 10_000, what: "the service running again under its new name" });
  assert(!r.stderr().includes("unable to change to directory"), r.stderr());
});
