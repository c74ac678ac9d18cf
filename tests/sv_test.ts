/**
 * Black-box tests of sv (spec sv.md "Test cases"), each run against our sv and, when
 * installed, Debian's: stdout, stderr and exit code must be identical (ages and pids
 * normalised only where a real runsv is involved). "Fake" service dirs hold
 * `supervise/ok` and `supervise/control` FIFOs opened by the test and a crafted status.
 */

import { close, mkfifo, O_CLOEXEC, O_NONBLOCK, O_RDONLY, open, read } from "../ffi/libc.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  bin,
  byteText,
  haveDebianRunit,
  run,
  type RunResult,
  tempDir,
  writeTree,
} from "./_helpers.ts";

const DEBIAN = haveDebianRunit();

interface Fake extends Disposable {
  dir: string;
  /** Bytes written to control so far. */
  control(): string;
}

function taiNow(offset = 0): bigint {
  return (1n << 62n) + 10n + BigInt(Math.floor(Date.now() / 1000) + offset);
}

/** The status record a fake service starts with (paused and term default to 0, age to 5 s). */
interface FakeStatus {
  state: number;
  pid: number;
  paused?: number;
  want: string;
  term?: number;
  age?: number;
}

/** A service dir whose "supervisor" is the test: FIFOs held open, status crafted. */
function fakeService(
  dir: string,
  status: FakeStatus,
  options: { down?: boolean; running?: boolean } = {},
): Fake {
  Deno.mkdirSync(`${dir}/supervise`, { recursive: true });
  mkfifo(`${dir}/supervise/ok`, 0o600);
  mkfifo(`${dir}/supervise/control`, 0o600);
  writeStatus(dir, status);
  if (options.down) Deno.writeTextFileSync(`${dir}/down`, "");
  const running = options.running ?? true;
  const ok = running ? open(`${dir}/supervise/ok`, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
  const control = running
    ? open(`${dir}/supervise/control`, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    : -1;
  let seen = "";
  return {
    dir,
    control(): string {
      const buf = new Uint8Array(4096);
      for (;;) {
        let n = 0;
        try {
          n = read(control, buf);
        } catch {
          break; // EAGAIN: nothing more
        }
        if (n <= 0) break;
        seen += new TextDecoder().decode(buf.subarray(0, n));
      }
      return seen;
    },
    [Symbol.dispose](): void {
      if (ok >= 0) close(ok);
      if (control >= 0) close(control);
    },
  };
}

function writeStatus(
  dir: string,
  status: FakeStatus,
  size = 20,
): void {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  if (size >= 20) {
    view.setBigUint64(0, taiNow(-(status.age ?? 5)), false);
    view.setUint32(8, 500, false);
    view.setUint32(12, status.pid, true);
    bytes[16] = status.paused ?? 0;
    bytes[17] = status.want.charCodeAt(0);
    bytes[18] = status.term ?? 0;
    bytes[19] = status.state;
  }
  Deno.writeFileSync(`${dir}/supervise/status`, bytes);
}

async function ours(
  args: readonly string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<RunResult> {
  return await run(await bin("sv"), args, { cwd, ...(env ? { env } : {}) });
}

async function debian(
  args: readonly string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<RunResult> {
  return await run("/usr/bin/sv", args, { cwd, ...(env ? { env } : {}) });
}

function shape(result: RunResult): [number, string, string] {
  return [result.code, ages(result.stdout), result.stderr];
}

/** Runs ours (and Debian's when installed) and checks both against `expected`. */
async function expectBoth(
  args: readonly string[],
  cwd: string,
  expected: [number, string, string | RegExp],
  env?: Record<string, string>,
): Promise<void> {
  const mine = await ours(args, cwd, env);
  check(mine, expected, `ours: sv ${args.join(" ")}`);
  if (DEBIAN) check(await debian(args, cwd, env), expected, `debian: sv ${args.join(" ")}`);
}

/** Ages tick while a test runs (a record 5 s old may read 6 s): compare them as "Ns". */
function ages(text: string): string {
  return text.replace(/ \d+s(?=[,;\n])/g, " Ns");
}

function check(result: RunResult, expected: [number, string, string | RegExp], what: string) {
  assertEquals(result.code, expected[0], `${what}: code (stdout ${JSON.stringify(result.stdout)})`);
  assertEquals(ages(result.stdout), ages(expected[1]), `${what}: stdout`);
  if (typeof expected[2] === "string") assertEquals(result.stderr, expected[2], `${what}: stderr`);
  else assertMatch(result.stderr, expected[2], `${what}: stderr`);
}

const USAGE = "usage: sv [-v] [-w sec] command service ...\n\n";
const VERSION = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $\n";

Deno.test("sv: usage, -V, illegal option, missing argument (100)", async () => {
  await using tmp = tempDir();
  await expectBoth([], tmp.path, [100, "", USAGE]);
  await expectBoth(["-V"], tmp.path, [100, "", VERSION + USAGE]);
  await expectBoth(["status"], tmp.path, [100, "", USAGE]);
  await expectBoth(["-x", "status", "foo"], tmp.path, [
    100,
    "",
    "sv: illegal option -- x\n" + USAGE,
  ]);
  await expectBoth(["-w"], tmp.path, [100, "", "sv: option requires an argument -- w\n" + USAGE]);
  for (const word of ["bogus", "r", "f", "Up", "S", "-", ""]) {
    await expectBoth([word, "foo"], tmp.path, [100, "", USAGE]);
  }
  // Options in the order given, as runit's loop takes them; any --word ends them.
  await expectBoth(["-V", "-x"], tmp.path, [100, "", VERSION + USAGE]);
  await expectBoth(["--x", "status", "./missing"], tmp.path, [
    1,
    "fail: ./missing: unable to change to service directory: file does not exist\n",
    "",
  ]);
});

// spec sv.md test case 5: the bytes that reach control for each word (want u, -w 0).
const WORDS: [string, string][] = [
  ["term", "t"],
  ["t", "t"],
  ["tXYZ", "t"],
  ["try", "t"],
  ["chk", "c"],
  ["check", ""],
  ["cont", "c"],
  ["e", "x"],
  ["x", "x"],
  ["Exit", "xk"],
  ["Down", "dk"],
  ["Term", "tck"],
  ["d", "d"],
  ["o", "o"],
  ["p", "p"],
  ["h", "h"],
  ["a", "a"],
  ["i", "i"],
  ["q", "q"],
  ["1", "1"],
  ["2", "2"],
  ["k", "k"],
  ["restart", "tcu"],
  ["reload", "h"],
  ["stop", "d"],
  ["shutdown", "x"],
  ["force-stop", "dk"],
  ["force-reload", "tck"],
  ["force-restart", "tcuk"],
  ["force-shutdown", "xk"],
  ["try-restart", "tc"],
  ["up", ""],
  ["start", ""],
];

Deno.test("sv: the bytes each command word writes (fake runsv, -w 0)", async () => {
  await using tmp = tempDir();
  const impls = DEBIAN ? ["ours", "debian"] as const : ["ours"] as const;
  const jobs: Promise<void>[] = [];
  for (const impl of impls) {
    for (const [index, [word, bytes]] of WORDS.entries()) {
      jobs.push((async () => {
        const dir = `${tmp.path}/${impl}${index}`;
        using fake = fakeService(dir, { state: 1, pid: 77, want: "u" });
        const exec = impl === "ours" ? ours : debian;
        await exec(["-w", "0", word, dir], tmp.path);
        assertEquals(fake.control(), bytes, `${impl} ${word}`);
      })());
    }
  }
  await Promise.all(jobs);
});

Deno.test("sv: down is rewritten only when the term flag is not set", async () => {
  await using tmp = tempDir();
  for (const [term, bytes] of [[0, "d"], [1, ""]] as const) {
    for (const exec of DEBIAN ? [ours, debian] : [ours]) {
      const dir = `${tmp.path}/d${term}${exec === ours ? "o" : "d"}`;
      using fake = fakeService(dir, { state: 1, pid: 77, want: "d", term });
      await exec(["down", dir], tmp.path);
      assertEquals(fake.control(), bytes);
    }
  }
});

// spec sv.md test case 8 (crafted records).
const LINES: [
  { state: number; pid: number; paused?: number; want: string; term?: number; age?: number },
  boolean,
  string,
][] = [
  [{ state: 0, pid: 0, want: "u" }, false, "down: ./s: 5s, normally up, want up"],
  [{ state: 0, pid: 0, want: "d" }, false, "down: ./s: 5s, normally up"],
  [
    { state: 1, pid: 77, paused: 1, want: "d", term: 1 },
    false,
    "run: ./s: (pid 77) 5s, paused, want down, got TERM",
  ],
  [{ state: 2, pid: 78, want: "u" }, false, "finish: ./s: (pid 78) 5s"],
  [{ state: 3, pid: 79, want: "u" }, false, "./s: (pid 79) 5s"],
  [{ state: 1, pid: 0, want: "d" }, false, "run: ./s: (pid 0) 5s, normally up"],
  [{ state: 1, pid: 77, want: "u" }, true, "run: ./s: (pid 77) 5s, normally down"],
  [{ state: 0, pid: 0, want: "u", age: -100 }, true, "down: ./s: 0s, want up"],
  [{ state: 1, pid: 0x01020304, want: "u" }, true, "run: ./s: (pid 16909060) 5s, normally down"],
];

Deno.test("sv: status lines of crafted records match", async () => {
  await using tmp = tempDir();
  for (const [status, down, line] of LINES) {
    using _fake = fakeService(`${tmp.path}/s`, status, { down });
    await expectBoth(["status", "./s"], tmp.path, [0, line + "\n", ""]);
    Deno.removeSync(`${tmp.path}/s`, { recursive: true });
  }
});

Deno.test("sv: bad format, missing supervise, not running, missing dirs", async () => {
  await using tmp = tempDir();
  using fake = fakeService(`${tmp.path}/s`, { state: 1, pid: 77, want: "u" });
  writeStatus(fake.dir, { state: 0, pid: 0, want: "u" }, 19);
  await expectBoth(["status", "./s"], tmp.path, [
    1,
    "warning: ./s: unable to read supervise/status: bad format\n",
    "",
  ]);
  writeStatus(fake.dir, { state: 0, pid: 0, want: "u" }, 0);
  await expectBoth(["status", "./s"], tmp.path, [
    1,
    "warning: ./s: unable to read supervise/status: bad format\n",
    "",
  ]);
  writeStatus(fake.dir, { state: 0, pid: 0, want: "u" }, 30);
  await expectBoth(["status", "./s"], tmp.path, [0, "down: ./s: 5s, normally up, want up\n", ""]);
  // A FIFO: runit opens it O_NDELAY and reads nothing; a plain open waited for ever.
  Deno.removeSync(`${fake.dir}/supervise/status`);
  mkfifo(`${fake.dir}/supervise/status`, 0o600);
  await expectBoth(["status", "./s"], tmp.path, [
    1,
    "warning: ./s: unable to read supervise/status: bad format\n",
    "",
  ]);

  writeTree(tmp.path, { "bare/run": "" });
  await expectBoth(["status", "./bare"], tmp.path, [
    1,
    "warning: ./bare: unable to open supervise/ok: file does not exist\n",
    "",
  ]);
  using _stale = fakeService(`${tmp.path}/stale`, { state: 0, pid: 0, want: "d" }, {
    running: false,
  });
  await expectBoth(["status", "./stale"], tmp.path, [1, "fail: ./stale: runsv not running\n", ""]);
  await expectBoth(["x", "./stale"], tmp.path, [0, "ok: ./stale: runsv not running\n", ""]);
  await expectBoth(["-v", "up", "./stale"], tmp.path, [
    1,
    "fail: ./stale: runsv not running\n",
    "",
  ]);
  const env = { SVDIR: tmp.path };
  await expectBoth(["status", "missing"], tmp.path, [
    1,
    "fail: missing: unable to change to service directory: file does not exist\n",
    "",
  ], env);
  await expectBoth(["status", ""], tmp.path, [
    1,
    "fail: : unable to change to service directory: file does not exist\n",
    "",
  ], env);
  await expectBoth(["status", "stale", "missing", "./bare"], tmp.path, [
    3,
    "fail: stale: runsv not running\n" +
    "fail: missing: unable to change to service directory: file does not exist\n" +
    "warning: ./bare: unable to open supervise/ok: file does not exist\n",
    "",
  ], env);
  await expectBoth(["-v", "up", "dir/"], tmp.path, [
    1,
    "fail: dir/: unable to change to service directory: file does not exist\n",
    "",
  ], { SVDIR: "/nonexistent-denit" });
});

Deno.test("sv: a name ending in / or starting with . is taken from the cwd, others from SVDIR", async () => {
  // spec sv.md test case 14: two services called foo, one in SVDIR and one in the cwd.
  await using tmp = tempDir();
  using inSvdir = fakeService(`${tmp.path}/svdir/foo`, { state: 1, pid: 77, want: "u" });
  using inCwd = fakeService(`${tmp.path}/foo`, { state: 0, pid: 0, want: "d" });
  const env = { SVDIR: `${tmp.path}/svdir` };
  const cases: [string, [number, string, string]][] = [
    ["foo", [0, "run: foo: (pid 77) 5s\n", ""]],
    ["foo/", [0, "down: foo/: 5s, normally up\n", ""]],
    ["./foo", [0, "down: ./foo: 5s, normally up\n", ""]],
    ["./foo/", [0, "down: ./foo/: 5s, normally up\n", ""]],
    // Only the last byte counts: "foo/." is looked up in SVDIR.
    ["foo/.", [0, "run: foo/.: (pid 77) 5s\n", ""]],
    ["svdir/foo/", [0, "run: svdir/foo/: (pid 77) 5s\n", ""]],
    ["svdir/foo", [
      1,
      "fail: svdir/foo: unable to change to service directory: file does not exist\n",
      "",
    ]],
    [`${tmp.path}/svdir/foo`, [0, `run: ${tmp.path}/svdir/foo: (pid 77) 5s\n`, ""]],
  ];
  for (const [name, want] of cases) await expectBoth(["status", name], tmp.path, want, env);
  // A command goes to the same directory status reads (no waiting: only the first pass).
  // The records do not change: each sv writes the same bytes (control() adds them up).
  for (const [round, exec] of (DEBIAN ? [ours, debian] : [ours]).entries()) {
    await exec(["down", "foo"], tmp.path, env);
    await exec(["up", "foo/"], tmp.path, env);
    await exec(["once", "./foo"], tmp.path, env);
    const times = round + 1;
    assertEquals([inSvdir.control(), inCwd.control()], ["d".repeat(times), "uo".repeat(times)]);
  }
});

Deno.test("sv: log part: running, unreadable, and log as a file", async () => {
  await using tmp = tempDir();
  using _main = fakeService(`${tmp.path}/s`, { state: 1, pid: 77, want: "u" });
  using _log = fakeService(`${tmp.path}/s/log`, { state: 0, pid: 0, want: "u" });
  await expectBoth(["status", "./s"], tmp.path, [
    0,
    "run: ./s: (pid 77) 5s; down: log: 5s, normally up, want up\n",
    "",
  ]);
  using _f = fakeService(`${tmp.path}/f`, { state: 1, pid: 77, want: "u" });
  Deno.writeTextFileSync(`${tmp.path}/f/log`, "");
  await expectBoth(["status", "./f"], tmp.path, [
    1,
    "run: ./f: (pid 77) 5s; warning: ./f/log: unable to change directory: not a directory\n",
    "",
  ]);
  // A log/down that cannot be stat'ed: runit names the service's own down.
  using _loop = fakeService(`${tmp.path}/l`, { state: 1, pid: 77, want: "u" });
  using _loopLog = fakeService(`${tmp.path}/l/log`, { state: 0, pid: 0, want: "u" });
  Deno.symlinkSync("down", `${tmp.path}/l/log/down`);
  await expectBoth(["status", "./l"], tmp.path, [
    0,
    "run: ./l: (pid 77) 5s; \n",
    "warning: unable to stat ./l/down: symbolic link loop\n",
  ]);
  using _n = fakeService(`${tmp.path}/n`, { state: 1, pid: 77, want: "u" });
  Deno.mkdirSync(`${tmp.path}/n/log`);
  // Debian repeats the main record as "log" here (spec DEVIATIONS.md item 9): ours only.
  const mine = await ours(["status", "./n"], tmp.path);
  assertEquals(shape(mine), [
    1,
    "run: ./n: (pid 77) Ns; warning: ./n/log: unable to open supervise/ok: file does not exist\n",
    "",
  ]);
});

Deno.test("sv: LSB mode: usage 2, status 0/3/4, runsv not running 1", async () => {
  await using tmp = tempDir();
  Deno.symlinkSync(await bin("sv"), `${tmp.path}/cron`);
  if (DEBIAN) Deno.symlinkSync("/usr/bin/sv", `${tmp.path}/dcron`);
  const svcs = `${tmp.path}/svcs`;
  Deno.mkdirSync(svcs);
  const env = { SVDIR: svcs };
  const lsb = async (args: string[]): Promise<[RunResult, RunResult | undefined]> => [
    await run(`${tmp.path}/cron`, args, { cwd: tmp.path, env }),
    DEBIAN ? await run(`${tmp.path}/dcron`, args, { cwd: tmp.path, env }) : undefined,
  ];
  const [usage] = await lsb(["bogus"]);
  assertEquals(shape(usage), [2, "", "usage: cron [-w sec] command\n\n"]);
  assertEquals(shape((await lsb([]))[0]), [2, "", "usage: cron [-w sec] command\n\n"]);
  assertEquals((await lsb(["stat"]))[0].code, 2);
  const [missing, dmissing] = await lsb(["status"]);
  assertEquals(shape(missing), [
    1,
    "fail: cron: unable to change to service directory: file does not exist\n",
    "",
  ]);
  if (dmissing) assertEquals(dmissing.code, 1);

  using _run = fakeService(`${svcs}/cron`, { state: 1, pid: 77, want: "u" });
  assertEquals(shape((await lsb(["status"]))[0]), [0, "run: cron: (pid 77) Ns\n", ""]);
  writeStatus(`${svcs}/cron`, { state: 0, pid: 0, want: "d" });
  assertEquals(shape((await lsb(["status"]))[0]), [3, "down: cron: Ns, normally up\n", ""]);
  // A running log does not make a down service "running" (spec DEVIATIONS.md item 2).
  using _log = fakeService(`${svcs}/cron/log`, { state: 1, pid: 78, want: "u" });
  assertEquals((await lsb(["status"]))[0].code, 3);
  Deno.removeSync(`${svcs}/cron/supervise/ok`);
  const [unreadable] = await lsb(["status"]);
  assertEquals(unreadable.code, 4);
});

Deno.test("sv: exit code is capped at 99", async () => {
  await using tmp = tempDir();
  const names = Array.from({ length: 120 }, (_, i) => `m${i}`);
  const result = await ours(["status", ...names], tmp.path, { SVDIR: tmp.path });
  assertEquals(result.code, 99);
  assertEquals(result.stdout.split("\n").length, 121);
});

Deno.test("sv: timeout and kill lines against a fake runsv that never reacts", async () => {
  await using tmp = tempDir();
  using fake = fakeService(`${tmp.path}/s`, { state: 1, pid: 77, want: "u" });
  const started = Date.now();
  const result = await ours(["-w", "1", "force-stop", "./s"], tmp.path);
  const took = Date.now() - started;
  assertEquals(shape(result), [1, "kill: run: ./s: (pid 77) Ns\n", ""]);
  assertEquals(fake.control(), "dk");
  assert(took >= 1200 && took < 4000, `took ${took} ms`);
  if (DEBIAN) {
    const theirs = await debian(["-w", "1", "force-stop", "./s"], tmp.path);
    assertEquals(shape(theirs), [1, "kill: run: ./s: (pid 77) Ns\n", ""]);
  }
  const term = await ours(["term", "./s"], tmp.path, { SVWAIT: "9" });
  assertEquals(term.code, 0); // no -v: no waiting
  const waited = await ours(["-v", "term", "./s"], tmp.path, { SVWAIT: "0" });
  assertEquals(shape(waited), [1, "timeout: run: ./s: (pid 77) Ns\n", ""]);
  // Seconds are runit's unsigned long: 2^64 + 1 is 1, 2^64 is 0 (it waited for ever).
  await expectBoth(["-w", "18446744073709551617", "term", "./s"], tmp.path, [
    1,
    "timeout: run: ./s: (pid 77) Ns\n",
    "",
  ]);
  await expectBoth(["-v", "term", "./s"], tmp.path, [
    1,
    "timeout: run: ./s: (pid 77) Ns\n",
    "",
  ], { SVWAIT: "18446744073709551616" });
});

Deno.test("sv: check scripts: missing passes, failing times out, non-executable warns", async () => {
  await using tmp = tempDir();
  using _fake = fakeService(`${tmp.path}/s`, { state: 1, pid: 77, want: "u" });
  await expectBoth(["-w", "0", "check", "./s"], tmp.path, [0, "ok: run: ./s: (pid 77) 5s\n", ""]);
  writeTree(tmp.path, { "s/check!": "#!/bin/sh\nexit 1\n" });
  await expectBoth(["-w", "0", "check", "./s"], tmp.path, [
    1,
    "timeout: run: ./s: (pid 77) Ns\n",
    "",
  ]);
  Deno.chmodSync(`${tmp.path}/s/check`, 0o644);
  await expectBoth(["-w", "0", "check", "./s"], tmp.path, [
    0,
    "ok: run: ./s: (pid 77) 5s\n",
    "warning: unable to run ./s/check: access denied\n",
  ]);
  // stdout of check is closed: its echo fails, visible to the script.
  writeTree(tmp.path, {
    "s/check!":
      "#!/bin/sh\nif echo x 2>/dev/null; then echo open >result; else echo closed >result; fi\n",
  });
  await ours(["-w", "0", "check", "./s"], tmp.path);
  assertEquals(Deno.readTextFileSync(`${tmp.path}/s/result`), "closed\n");
});

Deno.test("sv: a check script inherits the signals sv's caller ignored, as runit's", async () => {
  await using tmp = tempDir();
  using _fake = fakeService(`${tmp.path}/s`, { state: 1, pid: 77, want: "u" });
  writeTree(tmp.path, { "s/check!": "#!/bin/sh\ngrep SigIgn /proc/self/status >ignored\n" });
  const seen: string[] = [];
  for (const program of [await bin("sv"), ...(DEBIAN ? ["/usr/bin/sv"] : [])]) {
    // `nohup` and a shell's background job hand their programs HUP and INT ignored.
    const result = await run("sh", [
      "-c",
      `trap '' HUP INT; exec "$0" -w 0 check ./s`,
      program,
    ], { cwd: tmp.path });
    assertEquals(result.code, 0, `${program}: ${result.stderr}`);
    const line = Deno.readTextFileSync(`${tmp.path}/s/ignored`);
    Deno.removeSync(`${tmp.path}/s/ignored`);
    assertMatch(line, /^SigIgn:\t[0-9a-f]{16}\n$/);
    // The rest is what this test's own caller ignored (glibc's 32 and 33 from Deno's).
    assertEquals(BigInt(`0x${line.slice(8, 24)}`) & 3n, 3n, `${program}: ${line}`);
    seen.push(line);
  }
  if (seen.length === 2) assertEquals(seen[0], seen[1]);
});

Deno.test("sv: check on a down service wanted down is ok at once", async () => {
  await using tmp = tempDir();
  using _fake = fakeService(`${tmp.path}/s`, { state: 0, pid: 0, want: "d" });
  await expectBoth(["check", "./s"], tmp.path, [0, "ok: down: ./s: 5s, normally up\n", ""]);
});

Deno.test({
  name: "sv: a starting directory the user cannot read or search is fatal, a removed one is not",
  ignore: !DEBIAN || Deno.uid() !== 0,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, {
      "svc/a/.keep": "",
      "svc/b/.keep": "",
      "noread/.keep": "",
      "nosearch/.keep": "",
    });
    Deno.chmodSync(t.path, 0o755);
    Deno.chmodSync(`${t.path}/noread`, 0o311);
    Deno.chmodSync(`${t.path}/nosearch`, 0o744);
    const sv = await bin("sv");
    const both = async (script: string, what: string) => {
      const ran = async (path: string) =>
        await run("/bin/sh", ["-c", script.replaceAll("SV", path)], {
          env: { SVDIR: `${t.path}/svc` },
        });
      const ours = await ran(sv);
      const theirs = await ran("/usr/bin/sv");
      assertEquals([ours.code, ours.stdout, ours.stderr], [
        theirs.code,
        theirs.stdout,
        theirs.stderr,
      ], what);
      return ours;
    };
    const asNobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups";
    for (const start of ["noread", "nosearch"]) {
      for (const names of ["a", "a b", `${t.path}/svc/a`]) {
        const script = `cd ${t.path}/${start} && exec ${asNobody} SV status ${names}`;
        const ours = await both(script, `${start}: ${names}`);
        assertEquals(ours.stderr, "fatal: unable to open current directory: access denied\n");
        assertEquals(ours.code, 100);
      }
    }
    // Removed: sv goes back to it between services (relative names fail there, as in C).
    const gone = `${t.path}/gone`;
    const removed = `mkdir ${gone} && cd ${gone} && rmdir ${gone} && exec SV status a b ./x`;
    assertEquals((await both(removed, "removed")).code, 3);
  },
});

Deno.test("sv: a service name that is not UTF-8 is reached and printed byte for byte", async () => {
  await using tmp = tempDir();
  using fake = fakeService(`${tmp.path}/svc`, { state: 1, pid: 4242, want: "u" });
  // Deno names files in UTF-8 only: the shell gives the service its name ("svéc" and a
  // lone 0xff), and passes it to sv (the FIFOs stay open across the rename).
  const name = "printf 'sv\\303\\251c\\377'";
  const renamed = await run("sh", ["-c", `mv svc "$(${name})" && mkdir "$(${name})x"`], {
    cwd: tmp.path,
  });
  assertEquals(renamed.code, 0, renamed.stderr);
  const sv = async (program: string, args: string): Promise<[number, string]> => {
    const result = await new Deno.Command("sh", {
      args: ["-c", `exec "$0" ${args}`, program],
      cwd: tmp.path,
      env: { SVDIR: tmp.path }, // for the name given without ./
      stdout: "piped",
      stderr: "piped",
    }).output();
    // The bytes as they are, one character each (ages normalised).
    const text = byteText(result.stdout) + byteText(result.stderr);
    return [result.code, ages(text)];
  };
  const bytes = "sv\xc3\xa9c\xff";
  const cases: [string, [number, string]][] = [
    [`status "./$(${name})"`, [0, `run: ./${bytes}: (pid 4242) Ns\n`]],
    [`status "$(${name})x"`, [
      1,
      `warning: ${bytes}x: unable to open supervise/ok: file does not exist\n`,
    ]],
    [`status "./$(${name})y"`, [
      1,
      `fail: ./${bytes}y: unable to change to service directory: file does not exist\n`,
    ]],
  ];
  for (const [args, want] of cases) {
    assertEquals(await sv(await bin("sv"), args), want, `ours: ${args}`);
    if (DEBIAN) assertEquals(await sv("/usr/bin/sv", args), want, `Debian's: ${args}`);
  }
  assertEquals(fake.control(), "");
});

Deno.test("sv, chpst: an argv[0], SVDIR or SVWAIT that is not UTF-8 works as in runit", async () => {
  await using tmp = tempDir();
  // Deno throws when asked for such a variable; the launcher passes argv[0] in one.
  const script = `mkdir "$(printf 'd\\377')"
(exec -a "$(printf 'sv\\377')" "$0" status x); echo "rc=$?"
SVDIR="$PWD/$(printf 'd\\377')" "$0" status x; echo "rc=$?"
SVWAIT="$(printf '5\\377')" "$0" status ./x; echo "rc=$?"
(exec -a "$(printf 'chpst\\377')" "$1" 2>&1 | head -c 16); echo; echo "rc=$?"`;
  const transcript = async (sv: string, chpst: string): Promise<string> => {
    const done = await new Deno.Command("bash", {
      args: ["-c", script, sv, chpst],
      cwd: tmp.path,
      stdout: "piped",
      stderr: "piped",
    }).output();
    await run("bash", ["-c", `rm -rf "$(printf 'd\\377')"`], { cwd: tmp.path });
    return byteText(done.stdout) + byteText(done.stderr);
  };
  const ours = await transcript(await bin("sv"), await bin("chpst"));
  assertEquals(
    ours,
    "fail: sv\xff: unable to change to service directory: file does not exist\nrc=1\n" +
      "fail: x: unable to change to service directory: file does not exist\nrc=1\n" +
      "fail: ./x: unable to change to service directory: file does not exist\nrc=1\n" +
      "usage: chpst\xff [-\nrc=0\n",
  );
  if (DEBIAN) assertEquals(ours, await transcript("/usr/bin/sv", "/usr/bin/chpst"));
});
