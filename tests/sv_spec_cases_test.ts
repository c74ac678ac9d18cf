/**
 * sv against a real supervisor for spec sv.md test cases 15, 18, 23, 28 and 32: each
 * scenario runs with our sv and Debian's, against our runsv and Debian's, and the
 * transcripts (pids and ages normalised) must be identical but where spec/DEVIATIONS.md
 * says denit differs on purpose.
 */

import { assert, assertEquals } from "./_assert.ts";
import {
  allSettledOrThrow,
  bin,
  exists,
  haveDebianRunit,
  oursAndDebians,
  readText,
  run,
  type RunResult,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import {
  normalizeSv,
  readPid,
  SLEEP_RUN,
  startRunsv,
  sv,
  waitRunning,
  waitStat,
} from "./supervise_fixture.ts";
import { readStatus } from "../lib/status_record.ts";

const DEBIAN = haveDebianRunit();

/** Whose sv drives whose runsv. */
interface Combo {
  name: string;
  debianSv: boolean;
  debianRunsv: boolean;
}

const OURS: Combo = { name: "our sv, our runsv", debianSv: false, debianRunsv: false };
const THEIRS: Combo = { name: "Debian's sv, Debian's runsv", debianSv: true, debianRunsv: true };
const DEBIAN_SV_OUR_RUNSV: Combo = {
  name: "Debian's sv, our runsv",
  debianSv: true,
  debianRunsv: false,
};
const OUR_SV_DEBIAN_RUNSV: Combo = {
  name: "our sv, Debian's runsv",
  debianSv: false,
  debianRunsv: true,
};

/** Ours alone, or ours and Debian's side by side when Debian's runit is installed. */
const PAIR: readonly Combo[] = DEBIAN ? [OURS, THEIRS] : [OURS];

/** One line of a transcript: the command, its exit code, stdout and stderr, normalised. */
function line(args: readonly string[], result: RunResult): string {
  return `sv ${args.join(" ")} => ${result.code}: ${normalizeSv(result.stdout)}` +
    (result.stderr === "" ? "" : `stderr: ${result.stderr}`);
}

/**
 * Runs `scenario` once per combo, each in its own directory and all at once (most of the
 * time goes to sv's waits), and asserts that every transcript equals `want`.
 */
async function assertTranscripts(
  combos: readonly Combo[],
  scenario: (parent: string, combo: Combo) => Promise<string[]>,
  want: readonly string[],
): Promise<void> {
  await using tmp = tempDir();
  const transcripts = await allSettledOrThrow(combos.map((combo, index) => {
    const parent = `${tmp.path}/${index}`;
    Deno.mkdirSync(parent);
    return scenario(parent, combo);
  }));
  for (const [index, transcript] of transcripts.entries()) {
    assertEquals(transcript, want, combos[index]!.name);
  }
}

/** Waits until the wall clock is in a later second than the record's stamp. */
async function secondAfterStart(dir: string): Promise<void> {
  // restart's `t` takes a service started in the second sv starts as restarted (whole
  // seconds): starting sv in a later one makes the old record never count.
  const started = readStatus(`${dir}/supervise/status`).stamp.seconds;
  await waitFor(() => BigInt(Math.floor(Date.now() / 1000)) > started, { timeoutMs: 3000 });
}

Deno.test("sv: -v with NAME/ sends the command from the cwd, then waits on SVDIR/NAME (quirk)", async () => {
  // spec sv.md test case 15 and the quirk in "Service name resolution": the first pass
  // takes a name ending in / from the cwd, the waiting phase looks it up under SVDIR.
  await assertTranscripts(PAIR, async (parent, combo) => {
    writeTree(parent, {
      "dir/run!": SLEEP_RUN,
      "dir/down": "",
      "plain/run!": SLEEP_RUN,
      "svdir/dir/run!": SLEEP_RUN, // there, but never supervised
    });
    await using r = await startRunsv(parent, "dir", { debian: combo.debianRunsv });
    await waitStat(r.dir, "down");
    const lines: string[] = [];
    const step = async (args: string[], svdir: string) => {
      const result = await sv(args, { cwd: parent, debian: combo.debianSv, env: { SVDIR: svdir } });
      lines.push(line(args, result));
    };
    await step(["-v", "up", "dir/"], "/nonexistent");
    await waitRunning(r.dir); // the command was sent all the same
    lines.push(`stat: ${readText(`${r.dir}/supervise/stat`)}`);
    await step(["-v", "down", "dir/"], `${parent}/svdir`);
    await waitStat(r.dir, "down");
    await step(["-v", "up", "plain/"], "/nonexistent"); // first pass: cwd, not supervised
    await step(["-v", "up", "./dir/"], "/nonexistent"); // a leading . is the cwd in both
    return lines;
  }, [
    "sv -v up dir/ => 1: fail: dir/: unable to change to service directory: file does not exist\n",
    "stat: run\n",
    "sv -v down dir/ => 1: warning: dir/: unable to open supervise/ok: file does not exist\n",
    "sv -v up plain/ => 1: warning: plain/: unable to open supervise/ok: file does not exist\n",
    "sv -v up ./dir/ => 0: ok: run: ./dir/: (pid N) Ns, normally down\n",
  ]);
});

/** How long a command takes, in ms. */
async function timed<T>(call: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await call();
  return [result, performance.now() - started];
}

Deno.test("sv: -v up on a running service is ok at the first look, exit 0", async () => {
  // spec sv.md test case 18: against one supervisor (ours, then Debian's), our sv and
  // Debian's print the same.
  for (const debianRunsv of oursAndDebians()) {
    await using tmp = tempDir();
    writeTree(tmp.path, { "s/run!": SLEEP_RUN });
    await using r = await startRunsv(tmp.path, "s", { debian: debianRunsv });
    const pid = await waitRunning(r.dir);
    for (const debianSv of oursAndDebians()) {
      const what = `${debianSv ? "Debian's" : "our"} sv, ${debianRunsv ? "Debian's" : "our"} runsv`;
      const opts = { cwd: tmp.path, debian: debianSv };
      // -w 0 times out at the second look: only a condition met at the first one is ok.
      for (const args of [["-v", "up", "./s"], ["-w", "0", "up", "./s"], ["start", "./s"]]) {
        const result = await sv(args, opts);
        assertEquals(
          [result.code, normalizeSv(result.stdout), result.stderr],
          [0, "ok: run: ./s: (pid N) Ns\n", ""],
          `${what}: ${args.join(" ")}`,
        );
      }
      // No 420 ms poll: `-v up` takes as long as `status` (the quickest of three each).
      let up = Infinity;
      let status = Infinity;
      for (let i = 0; i < 3; i++) {
        up = Math.min(up, (await timed(() => sv(["-v", "up", "./s"], opts)))[1]);
        status = Math.min(status, (await timed(() => sv(["status", "./s"], opts)))[1]);
      }
      assert(up - status < 300, `${what}: -v up ${up} ms, status ${status} ms`);
      assertEquals(readPid(r.dir), pid, `${what}: not restarted`);
    }
  }
});

Deno.test("sv: restart with a failing check times out after the default 7 s", async () => {
  // spec sv.md test case 23, without -w or SVWAIT.
  await assertTranscripts(PAIR, async (parent, combo) => {
    writeTree(parent, { "s/run!": SLEEP_RUN, "s/check!": "#!/bin/sh\nexit 1\n" });
    await using r = await startRunsv(parent, "s", { debian: combo.debianRunsv });
    const pid = await waitRunning(r.dir);
    await secondAfterStart(r.dir);
    const program = combo.debianSv ? "/usr/bin/sv" : await bin("sv");
    const [result, took] = await timed(() =>
      run("env", ["-u", "SVWAIT", program, "restart", "./s"], { cwd: parent })
    );
    // Timeout at the first look after 7 s (7.14 s), then one more 420 ms sleep.
    assert(took >= 6500 && took <= 9000, `${combo.name}: took ${took} ms`);
    const restarted = readPid(r.dir) !== 0 && readPid(r.dir) !== pid;
    return [line(["restart", "./s"], result), `restarted: ${restarted}`];
  }, ["sv restart ./s => 1: timeout: run: ./s: (pid N) Ns\n", "restarted: true"]);
});

Deno.test("sv: LSB status with a log service takes its exit code from the main service", async () => {
  // spec sv.md test case 28, deviated (spec/DEVIATIONS.md item 2): the same output as
  // Debian's sv against the same supervisor, but the exit code of the main service only.
  await using tmp = tempDir();
  writeTree(tmp.path, { "svc/foo/run!": SLEEP_RUN, "svc/foo/log/run!": SLEEP_RUN });
  // The service is the script's name: both links are called foo.
  Deno.mkdirSync(`${tmp.path}/ours`);
  Deno.symlinkSync(await bin("sv"), `${tmp.path}/ours/foo`);
  if (DEBIAN) {
    Deno.mkdirSync(`${tmp.path}/debian`);
    Deno.symlinkSync("/usr/bin/sv", `${tmp.path}/debian/foo`);
  }
  const svc = `${tmp.path}/svc`;
  await using r = await startRunsv(svc, "foo");
  await waitRunning(r.dir);
  await waitRunning(r.dir, "log/supervise");
  const lsb = async (who: "ours" | "debian"): Promise<[number, string, string]> => {
    const result = await run(`${tmp.path}/${who}/foo`, ["status"], {
      cwd: tmp.path,
      env: { SVDIR: svc },
    });
    return [result.code, normalizeSv(result.stdout), result.stderr];
  };
  const control = async (args: string[]) => {
    const result = await sv(args, { cwd: svc });
    assertEquals(result.code, 0, `sv ${args.join(" ")}: ${result.stdout}`);
  };
  const cases: [string[][], string, number, number][] = [
    [[], "run: foo: (pid N) Ns; run: log: (pid N) Ns\n", 0, 0],
    [[["-v", "down", "./foo/log"]], "run: foo: (pid N) Ns; down: log: Ns, normally up\n", 0, 3],
    [
      [["-v", "up", "./foo/log"], ["-v", "down", "./foo"]],
      "down: foo: Ns, normally up; run: log: (pid N) Ns\n",
      3,
      0,
    ],
    [
      [["-v", "down", "./foo/log"]],
      "down: foo: Ns, normally up; down: log: Ns, normally up\n",
      3,
      3,
    ],
  ];
  for (const [commands, stdout, ours, debian] of cases) {
    for (const args of commands) await control(args);
    assertEquals(await lsb("ours"), [ours, stdout, ""], `ours: ${stdout}`);
    if (DEBIAN) assertEquals(await lsb("debian"), [debian, stdout, ""], `Debian's: ${stdout}`);
  }
});

/**
 * spec sv.md test cases 20-24 (force-stop, force-shutdown, restart, check scripts) against
 * a real supervisor, as one transcript: `c` a plain service with a check script, `t` one
 * that ignores SIGTERM.
 */
async function forceAndCheck(parent: string, combo: Combo): Promise<string[]> {
  writeTree(parent, {
    "c/run!": SLEEP_RUN,
    "c/check!": "#!/bin/sh\nexit 0\n",
    "t/run!": "#!/bin/sh\ntrap '' TERM\n: >ready\nwhile :; do sleep 0.1; done\n",
  });
  await using rc = await startRunsv(parent, "c", { debian: combo.debianRunsv });
  await using rt = await startRunsv(parent, "t", { debian: combo.debianRunsv });
  const lines: string[] = [];
  const step = async (...args: string[]) => {
    lines.push(line(args, await sv(args, { cwd: parent, debian: combo.debianSv })));
  };

  // c: restart with a passing check, a non-executable one, one whose stdout is closed,
  // a failing one (check, then restart), force-stop and force-shutdown.
  let pid = await waitRunning(rc.dir);
  await secondAfterStart(rc.dir);
  await step("restart", "./c");
  lines.push(`new pid: ${readPid(rc.dir) !== pid}`);
  Deno.chmodSync(`${rc.dir}/check`, 0o644);
  await step("check", "./c");
  Deno.writeTextFileSync(
    `${rc.dir}/check`,
    "#!/bin/sh\nif echo x 2>/dev/null; then echo open >result; else echo closed >result; fi\n",
  );
  Deno.chmodSync(`${rc.dir}/check`, 0o755);
  await step("check", "./c");
  lines.push(`check's stdout: ${readText(`${rc.dir}/result`)}`);
  Deno.writeTextFileSync(`${rc.dir}/check`, "#!/bin/sh\nexit 1\n");
  await step("-w", "1", "check", "./c");
  pid = readPid(rc.dir);
  await secondAfterStart(rc.dir);
  await step("-w", "1", "restart", "./c");
  lines.push(`new pid: ${readPid(rc.dir) !== pid}`);
  await step("force-stop", "./c");
  await step("force-shutdown", "./c");
  lines.push(`runsv c: exit ${(await rc.proc.status).code}`);

  // t: force-stop kills it; force-shutdown kills it and runsv exits.
  await waitRunning(rt.dir);
  await waitFor(() => exists(`${rt.dir}/ready`)); // TERM ignored from here
  await step("-w", "1", "force-stop", "./t");
  await waitStat(rt.dir, "down");
  await step("status", "./t");
  Deno.removeSync(`${rt.dir}/ready`);
  await step("up", "./t");
  await waitRunning(rt.dir);
  await waitFor(() => exists(`${rt.dir}/ready`));
  await step("-w", "1", "force-shutdown", "./t");
  lines.push(`runsv t: exit ${(await rt.proc.status).code}`);
  await step("status", "./t");
  return lines;
}

const FORCE_AND_CHECK = [
  "sv restart ./c => 0: ok: run: ./c: (pid N) Ns\n",
  "new pid: true",
  "sv check ./c => 0: ok: run: ./c: (pid N) Ns\n" +
  "stderr: warning: unable to run ./c/check: access denied\n",
  "sv check ./c => 0: ok: run: ./c: (pid N) Ns\n",
  "check's stdout: closed\n",
  "sv -w 1 check ./c => 1: timeout: run: ./c: (pid N) Ns\n",
  "sv -w 1 restart ./c => 1: timeout: run: ./c: (pid N) Ns\n",
  "new pid: true",
  "sv force-stop ./c => 0: ok: down: ./c: Ns, normally up\n",
  "sv force-shutdown ./c => 0: ok: ./c: runsv not running\n",
  "runsv c: exit 0",
  "sv -w 1 force-stop ./t => 1: kill: run: ./t: (pid N) Ns, want down, got TERM\n",
  "sv status ./t => 0: down: ./t: Ns, normally up\n",
  "sv up ./t => 0: ",
  "sv -w 1 force-shutdown ./t => 1: kill: run: ./t: (pid N) Ns, want down, got TERM\n",
  "runsv t: exit 0",
  "sv status ./t => 1: fail: ./t: runsv not running\n",
];

Deno.test({
  name: "sv × runsv, ours and Debian's: force-stop, force-shutdown, restart and check scripts",
  ignore: !DEBIAN,
  async fn() {
    // spec sv.md test case 32: Debian's sv against our runsv in particular.
    await assertTranscripts(
      [OURS, DEBIAN_SV_OUR_RUNSV, OUR_SV_DEBIAN_RUNSV, THEIRS],
      forceAndCheck,
      FORCE_AND_CHECK,
    );
  },
});

Deno.test("sv: -w and SVWAIT bound the wait as Debian's: -w 2 ≈2.5 s, SVWAIT=1 ≈1.7 s, -w first (case 19)", async () => {
  // spec sv.md test case 19, on a service that ignores SIGTERM (it never goes down): each
  // wait ends in a timeout, whose length comes from runit's polling loop. Our sv against
  // our runsv and Debian's against Debian's, one after the other (timings, not load).
  const waits = new Map<string, number[]>();
  for (const combo of PAIR) {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "s/run!": "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n",
    });
    await using r = await startRunsv(tmp.path, "s", { debian: combo.debianRunsv });
    await waitRunning(r.dir);
    const measured: number[] = [];
    // term leaves want alone (up again after each case), down sets it.
    const cases: [string[], Record<string, string>, string][] = [
      [["-w", "2", "down", "./s"], {}, "want down, got TERM"],
      [["-v", "term", "./s"], { SVWAIT: "1" }, "got TERM"],
      [["-w", "2", "-v", "term", "./s"], { SVWAIT: "1" }, "got TERM"], // -w beats SVWAIT
    ];
    for (const [args, env, flags] of cases) {
      const [result, ms] = await timed(() =>
        sv(args, { cwd: tmp.path, debian: combo.debianSv, env })
      );
      assertEquals(result.code, 1, `${combo.name}: sv ${args.join(" ")}`);
      assertEquals(
        normalizeSv(result.stdout),
        `timeout: run: ./s: (pid N) Ns, ${flags}\n`,
        `${combo.name}: sv ${args.join(" ")}`,
      );
      measured.push(ms);
      // Wanted up again for the next case (the service never stopped).
      assertEquals((await sv(["up", "./s"], { cwd: tmp.path, debian: combo.debianSv })).code, 0);
    }
    waits.set(combo.name, measured);
  }
  // The spec's lengths, with room for a loaded machine and our sv's Deno start (~0.1 s).
  const bounds: [number, number][] = [[2_200, 3_400], [1_400, 2_500], [2_200, 3_400]];
  for (const [name, measured] of waits) {
    measured.forEach((ms, k) => {
      const [low, high] = bounds[k]!;
      assert(ms >= low && ms <= high, `${name}: case ${k} took ${Math.round(ms)} ms`);
    });
  }
  if (DEBIAN) {
    // Ours waits as Debian's does: the same length give or take our start.
    const [ours, theirs] = [waits.get(OURS.name)!, waits.get(THEIRS.name)!];
    ours.forEach((ms, k) => {
      assert(
        Math.abs(ms - theirs[k]!) <= 600,
        `case ${k}: ours ${ms} ms, Debian's ${theirs[k]} ms`,
      );
    });
  }
});
