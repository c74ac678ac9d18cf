/**
 * Spec test cases the other runsv tests left partly unchecked (spec runsv.md test cases
 * 9, 26, 30; supervise-protocol.md test cases 5, 19, 20, 25). Each scenario runs against
 * our runsv and, when installed, Debian's C runsv: both must give what the spec says.
 */

import { assert, assertEquals } from "./_assert.ts";
import {
  allSettledOrThrow,
  exists,
  haveDebianRunit,
  oursAndDebians,
  readOrUndefined,
  readText,
  run,
  sleep,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";
import {
  normalizeSv,
  readPid,
  readStat,
  recordShape,
  SLEEP_RUN,
  startRunsv,
  sv,
  SV_RUNSV_PAIRINGS,
  waitExeced,
  waitRunning,
  waitStat,
  writeControl,
} from "./supervise_fixture.ts";
import { readStatus, type StatusRecord } from "../lib/status_record.ts";

const DEBIAN = haveDebianRunit();

const RUNSVS = oursAndDebians();

/** "ours" or "Debian's", for assertion messages. */
function whose(debian: boolean): string {
  return debian ? "Debian's runsv" : "our runsv";
}

/**
 * Runs `scenario` once per runsv (in parallel, each in its own temp dir) and asserts that
 * each result equals `expected`.
 */
async function forEachRunsv<T>(
  expected: T,
  scenario: (parent: string, debian: boolean) => Promise<T>,
): Promise<void> {
  const results = await allSettledOrThrow(RUNSVS.map(async (debian) => {
    await using tmp = tempDir();
    try {
      return await scenario(tmp.path, debian);
    } catch (err) {
      throw new Error(`${whose(debian)}: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    }
  }));
  RUNSVS.forEach((debian, i) => assertEquals(results[i], expected, whose(debian)));
}

/** The 20-byte status record of `DIR/SUB` once it has been written. */
async function statusBytes(dir: string, sub = "supervise"): Promise<Uint8Array> {
  return await waitFor(() => {
    const bytes = Deno.readFileSync(`${dir}/${sub}/status`);
    return bytes.length === 20 ? bytes : undefined;
  }, { what: `${dir}/${sub}/status` });
}

/** The pid file of `DIR/SUB`: its content, or "absent" when there is no such file. */
function pidFile(dir: string, sub = "supervise"): string {
  return exists(`${dir}/${sub}/pid`) ? JSON.stringify(readText(`${dir}/${sub}/pid`)) : "absent";
}

/** runit's `stat` text for a decoded record (runsv.c update_status; no "want exit" on disk). */
function statOf(record: StatusRecord): string {
  let text: string = record.state;
  if (record.paused) text += ", paused";
  if (record.term) text += ", got TERM";
  if (record.state !== "down" && record.want === "down") text += ", want down";
  if (record.state === "down" && record.want === "up") text += ", want up";
  return text;
}

/**
 * Waits until `stat` reads `want` and `status`, which runsv renames into place just after
 * it, says the same: sv reads only `status`.
 */
async function waitSettled(dir: string, want: string, sub = "supervise"): Promise<void> {
  await waitFor(() => {
    if (readStat(dir, sub) !== want) return false;
    try {
      return statOf(readStatus(`${dir}/${sub}/status`)) === want;
    } catch {
      return false;
    }
  }, { timeoutMs: 8000, what: `stat and status "${want}" in ${dir}/${sub}` });
}

/** Waits until the whole second has passed in which the record of `dir` was stamped. */
async function pastRecordSecond(dir: string): Promise<void> {
  const stamped = readStatus(`${dir}/supervise/status`).stamp.seconds;
  await waitFor(() => BigInt(Math.floor(Date.now() / 1000)) > stamped);
}

Deno.test("runsv: a down file keeps the service down; removing it later changes no want (runsv 9, sp 5)", async () => {
  await forEachRunsv([
    'record 0,0,100,0,0 stat down pid ""',
    "after rm down: pid 0 0,100,0,0 down, no start",
    "sv status: down: ./s: Ns, normally up",
    "sv up: run, 1 start",
    "after a new down file and a crash: run, 2 starts",
  ], async (parent, debian) => {
    writeTree(parent, { "s/run!": "#!/bin/sh\necho >>../starts\nexec sleep 1000\n", "s/down": "" });
    await using r = await startRunsv(parent, "s", { debian });
    const dir = r.dir;
    const seen: string[] = [];
    // sp 5: right after the start the record says want down, state down, and pid is empty.
    await waitSettled(dir, "down");
    const bytes = await statusBytes(dir);
    const pid = new DataView(bytes.buffer).getUint32(12, true);
    seen.push(
      `record ${pid},${[...bytes.subarray(16)].join(",")} stat ${readStat(dir)} pid ${
        pidFile(dir)
      }`,
    );
    // runsv reads `down` at its start only. `p` then `c` make it go round its loop (and
    // rewrite its status) with the file gone: still want down, nothing started.
    Deno.removeSync(`${dir}/down`);
    writeControl(dir, "p");
    await waitSettled(dir, "down, paused");
    writeControl(dir, "c");
    await waitSettled(dir, "down");
    await sleep(1200); // a start, if any, would show by now
    seen.push(
      `after rm down: ${recordShape(dir)} ${readStat(dir)}, ${
        exists(`${parent}/starts`) ? "started" : "no start"
      }`,
    );
    const status = await sv(["status", "./s"], { cwd: parent });
    seen.push(`sv status: ${normalizeSv(status.stdout).trimEnd()}`);
    await sv(["up", "./s"], { cwd: parent });
    // runsv publishes a pid at the fork: ./run has counted its start once it runs sleep.
    const first = await waitRunning(dir);
    await waitExeced(first);
    seen.push(`sv up: ${readStat(dir)}, ${readText(`${parent}/starts`).length} start`);
    // Nor does a down file made now: want stays up, a crash is restarted.
    Deno.writeTextFileSync(`${dir}/down`, "");
    Deno.kill(first, "SIGKILL");
    const second = await waitFor(() => {
      const pid = readPid(dir);
      return ![0, first].includes(pid) && readStat(dir) === "run" ? pid : 0;
    }, { timeoutMs: 8000, what: "the restart" });
    await waitExeced(second);
    seen.push(
      `after a new down file and a crash: ${readStat(dir)}, ${
        readText(`${parent}/starts`).length
      } starts`,
    );
    return seen;
  });
});

Deno.test("runsv: with log/down, log/supervise/pid is absent until sv u S/log (runsv 26)", async () => {
  await forEachRunsv([
    "start: main pid set, log pid absent, log stat down",
    "after p, c on the log: log pid absent, log stat down",
    "after sv u s/log: log pid is the logger's, cat in s/log",
  ], async (parent, debian) => {
    writeTree(parent, {
      "s/run!": SLEEP_RUN,
      "s/log/run!": "#!/bin/sh\nexec cat >/dev/null\n",
      "s/log/down": "",
    });
    await using r = await startRunsv(parent, "s", { debian });
    const dir = r.dir;
    const seen: string[] = [];
    const mainPid = await waitRunning(dir);
    await waitSettled(dir, "down", "log/supervise");
    await statusBytes(dir, "log/supervise");
    const mainPidFile = pidFile(dir) === JSON.stringify(`${mainPid}\n`) ? "set" : pidFile(dir);
    seen.push(
      `start: main pid ${mainPidFile}, log pid ${pidFile(dir, "log/supervise")}, log stat ${
        readStat(dir, "log/supervise")
      }`,
    );
    // The log's record is rewritten twice: the pid file still is not (quirk Q4).
    writeControl(dir, "p", "log/supervise");
    await waitSettled(dir, "down, paused", "log/supervise");
    writeControl(dir, "c", "log/supervise");
    await waitSettled(dir, "down", "log/supervise");
    seen.push(
      `after p, c on the log: log pid ${pidFile(dir, "log/supervise")}, log stat ${
        readStat(dir, "log/supervise")
      }`,
    );
    await sv(["u", "./s/log"], { cwd: parent });
    const logPid = await waitRunning(dir, "log/supervise");
    await waitExeced(logPid, "cat");
    const where = Deno.readLinkSync(`/proc/${logPid}/cwd`) === Deno.realPathSync(`${dir}/log`)
      ? "s/log"
      : Deno.readLinkSync(`/proc/${logPid}/cwd`);
    const holds = pidFile(dir, "log/supervise") === JSON.stringify(`${logPid}\n`)
      ? "the logger's"
      : pidFile(dir, "log/supervise");
    seen.push(`after sv u s/log: log pid is ${holds}, cat in ${where}`);
    return seen;
  });
});

Deno.test("runsv: ./run, ./finish, log/run and control scripts see the caller's environment, nothing added (runsv 30)", async () => {
  // Ordinary names, names Deno and the launcher use themselves (a caller's DENO_* travels
  // through the launcher and must come back as given: docs/denit.md), an empty value.
  const env = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    DENIT_SPEC_T: "v1 with spaces",
    DENO_DIR: "/nonexistent-deno-dir",
    DENO_NO_UPDATE_CHECK: "caller",
    EMPTY: "",
    HOME: "/nonexistent-home",
    LC_ALL: "C",
  };
  const dump = (file: string): string => `env | sort >${file}\n`;
  const scripts = {
    "s/run!": `#!/bin/sh\n${dump("env.run")}exec sleep 1000\n`,
    "s/finish!": `#!/bin/sh\n${dump("env.finish")}`,
    "s/log/run!": `#!/bin/sh\n${dump("../env.log")}exec cat >/dev/null\n`,
    "s/control/u!": `#!/bin/sh\n${dump("env.u")}`,
    "s/control/d!": `#!/bin/sh\n${dump("env.d")}exit 1\n`,
  };
  const files = ["env.run", "env.finish", "env.log", "env.u", "env.d"];
  // What the same shell prints when the caller runs it directly in each script's cwd:
  // /bin/sh adds PWD, nothing else may differ.
  const direct = async (cwd: string): Promise<string> =>
    (await run("/bin/sh", ["-c", "env | sort"], { cwd, env, clearEnv: true })).stdout;
  await forEachRunsv([true, true, true, true, true], async (parent, debian) => {
    writeTree(parent, scripts);
    await using r = await startRunsv(parent, "s", { debian, env, clearEnv: true });
    const dir = r.dir;
    await waitRunning(dir);
    await waitRunning(dir, "log/supervise");
    await waitFor(() => ["env.run", "env.u", "env.log"].every((f) => exists(`${dir}/${f}`)));
    await sv(["down", "./s"], { cwd: parent });
    await waitStat(dir, "down");
    await waitFor(() => files.every((f) => readText(`${dir}/${f}`) !== ""), {
      what: "every script's environment",
    });
    const inService = await direct(dir);
    const inLog = await direct(`${dir}/log`);
    assert(inService.includes("DENIT_SPEC_T=v1 with spaces\n"), inService);
    return files.map((f) => {
      const want = f === "env.log" ? inLog : inService;
      const got = readText(`${dir}/${f}`);
      assertEquals(got, want, `${whose(debian)}: ${f}`);
      return got === want;
    });
  });
});

Deno.test("runsv: a control/h that is not executable is ignored: HUP reaches the service (sp 19)", async () => {
  await forEachRunsv({ signals: "HUP\nHUP\n", ran: false, stderr: "" }, async (parent, debian) => {
    writeTree(parent, {
      "s/run!": "#!/bin/sh\ntrap 'echo HUP >>signals' HUP\n: >ready\n" +
        "while :; do sleep 0.1; done\n",
      // Would suppress the HUP if it were run.
      "s/control/h": "#!/bin/sh\necho ran >>../h-ran\nexit 0\n",
    });
    await using r = await startRunsv(parent, "s", { debian });
    const dir = r.dir;
    await waitRunning(dir);
    await waitFor(() => exists(`${dir}/ready`));
    await sv(["hup", "./s"], { cwd: parent });
    await waitFor(() => readText(`${dir}/signals`) === "HUP\n", { what: "the first HUP" });
    writeControl(dir, "h");
    await waitFor(() => readText(`${dir}/signals`) === "HUP\nHUP\n", { what: "the second" });
    return {
      signals: readText(`${dir}/signals`),
      ran: exists(`${parent}/h-ran`),
      stderr: r.proc.stderrText(),
    };
  });
});

Deno.test("runsv: control/u runs before every start with no arguments, in S, stdout to the log (sp 20)", async () => {
  await forEachRunsv(["u 0 [] control/u S", "run", "u 0 [] control/u S", "run"], async (
    parent,
    debian,
  ) => {
    writeTree(parent, {
      "s/run!": "#!/bin/sh\necho run\nexec sleep 1000\n",
      "s/control/u!": '#!/bin/sh\necho "u $# [$*] $0 $(pwd -P)"\n',
      "s/log/run!": "#!/bin/sh\nexec cat >>out\n",
    });
    await using r = await startRunsv(parent, "s", { debian });
    const dir = r.dir;
    const out = `${dir}/log/out`;
    await waitFor(() => readText(out).endsWith("run\n"), { what: "the first start" });
    // `t` with want up: TERM, and ./run is started again (after runsv's 1 s).
    writeControl(dir, "t");
    await waitFor(() => readText(out).split("run\n").length > 2, {
      timeoutMs: 8000,
      what: "the second start",
    });
    const real = Deno.realPathSync(dir);
    return readText(out).trimEnd().split("\n").map((line) => line.replaceAll(real, "S"));
  });
});

// --- sp 25: four-way transcripts for the finish state and a normally-down service ----

/** One sv call of a transcript: its arguments, and what to wait for after it. */
interface Step {
  args: string[];
  /** Waits until runsv has acted (the record is then stable for recording). */
  after?: (dir: string) => Promise<unknown>;
  /** Waits before the call (e.g. until a second has passed). */
  before?: (dir: string) => Promise<unknown>;
}

/** Waits until `dir` is in its finish state, want down, with ./finish running. */
async function inFinish(dir: string): Promise<void> {
  await waitSettled(dir, "finish, want down");
  await waitFor(() => {
    const pid = readStatus(`${dir}/supervise/status`).pid;
    return pid !== 0 && readPid(dir) === pid;
  }, { timeoutMs: 8000, what: `./finish's pid in ${dir}` });
}

/** Waits until the process in `dir`'s pid file has exec'd `sleep` (its script is done). */
function sleeping(dir: string): Promise<unknown> {
  return waitExeced(readPid(dir));
}

/** A service whose ./finish waits for a `go` file, with a log: the finish state. */
const FINISH_TREE = {
  "s/run!": "#!/bin/sh\necho started\nexec sleep 1000\n",
  "s/finish!": '#!/bin/sh\necho "finish $1 $2"\nwhile [ ! -f go ]; do sleep 0.05; done\n',
  "s/log/run!": "#!/bin/sh\nexec cat >>out\n",
};

const FINISH_STEPS: Step[] = [
  { args: ["status", "./s"] },
  // `d` is never met while ./finish runs: sv times out on the finish line.
  { args: ["-w", "2", "-v", "down", "./s"], after: inFinish },
  { args: ["status", "./s"] },
  // Signals are not sent to ./finish; the paused flag still follows p and c.
  { args: ["-v", "hup", "./s"] },
  {
    args: ["-v", "pause", "./s"],
    after: (dir) => waitSettled(dir, "finish, paused, want down"),
  },
  { args: ["status", "./s"] },
  { args: ["-v", "cont", "./s"], after: (dir) => waitSettled(dir, "finish, want down") },
  // want up during finish: ./run comes back only after ./finish ends.
  { args: ["-w", "2", "-v", "up", "./s"], after: (dir) => waitSettled(dir, "finish") },
  { args: ["status", "./s"] },
  // (Not `check`: during ./finish runit 2.1.2's is met at once, ours is not: DEVIATIONS 1.)
  {
    args: ["-v", "up", "./s"],
    before: (dir) => Promise.resolve(Deno.writeTextFileSync(`${dir}/go`, "")),
    after: sleeping, // ./run has said "started": `exit` cannot stop it before
  },
  { args: ["status", "./s"] },
  { args: ["-v", "exit", "./s"] },
];

/** A normally-down service (a `down` file), no log. */
const DOWN_TREE = {
  "s/run!": "#!/bin/sh\necho >>starts\nexec sleep 1000\n",
  "s/down": "",
};

const DOWN_STEPS: Step[] = [
  { args: ["status", "./s"] },
  // `o` counts a record stamped in sv's own second as done: start sv in a later one.
  { args: ["-v", "once", "./s"], before: pastRecordSecond },
  { args: ["status", "./s"] },
  {
    args: ["status", "./s"],
    before: async (dir) => {
      const pid = readPid(dir);
      await waitExeced(pid);
      Deno.kill(pid, "SIGKILL");
      await waitSettled(dir, "down");
    },
  },
  { args: ["-v", "up", "./s"], after: sleeping }, // ./run has counted its start
  { args: ["-v", "pause", "./s"] },
  { args: ["status", "./s"] },
  { args: ["-v", "cont", "./s"] },
  { args: ["-v", "down", "./s"] },
  { args: ["status", "./s"] },
  { args: ["-v", "exit", "./s"] },
];

/** What one sv said against one runsv, the records after each step, the files written. */
interface Transcript {
  lines: string[];
  records: string[];
  files: string[];
}

/** The transcript of `steps` run by one sv against one runsv in `parent`. */
async function transcript(
  parent: string,
  tree: Record<string, string>,
  steps: readonly Step[],
  options: { debianSv: boolean; debianRunsv: boolean },
): Promise<Transcript> {
  writeTree(parent, tree);
  await using r = await startRunsv(parent, "s", { debian: options.debianRunsv });
  const dir = r.dir;
  if (exists(`${dir}/down`)) {
    await waitSettled(dir, "down");
    await statusBytes(dir);
  } else {
    await waitRunning(dir);
    await waitFor(() => readText(`${dir}/log/out`) === "started\n", { what: "the first start" });
  }
  if (exists(`${dir}/log`)) await waitRunning(dir, "log/supervise");
  const lines: string[] = [];
  const records: string[] = [];
  for (const step of steps) {
    await step.before?.(dir);
    const result = await sv(step.args, { cwd: parent, debian: options.debianSv });
    lines.push(`sv ${step.args.join(" ")} => ${result.code}: ${normalizeSv(result.stdout)}`);
    await step.after?.(dir);
    records.push(`${step.args.join(" ")}: [${recordShape(dir)}] ${readStat(dir)}`);
  }
  assertEquals((await r.proc.status).code, 0, "runsv exits 0 after sv exit");
  const files = ["starts", "log/out"].map((f) => `${f}: ${readOrUndefined(`${dir}/${f}`)}`);
  return { lines, records, files };
}

/** Runs a transcript for each of {our sv, Debian's sv} × {our runsv, Debian's runsv}. */
async function fourWay(
  tree: Record<string, string>,
  steps: readonly Step[],
): Promise<(Transcript & { name: string })[]> {
  await using tmp = tempDir();
  return await allSettledOrThrow(SV_RUNSV_PAIRINGS.map(async ([name, debianSv, debianRunsv]) => {
    const parent = `${tmp.path}/${name.replace("/", "_")}`;
    Deno.mkdirSync(parent);
    try {
      return { name, ...(await transcript(parent, tree, steps, { debianSv, debianRunsv })) };
    } catch (err) {
      throw new Error(`${name}: ${err instanceof Error ? err.message : err}`, { cause: err });
    }
  }));
}

/** Asserts the four transcripts equal, and the reference's lines equal `lines`. */
function assertFourWay(results: (Transcript & { name: string })[], lines: string[]): void {
  const reference = results[3]!;
  for (const result of results.slice(0, 3)) {
    assertEquals(result.lines, reference.lines, `${result.name} vs ${reference.name}`);
    assertEquals(result.records, reference.records, `${result.name} records`);
    assertEquals(result.files, reference.files, `${result.name} files`);
  }
  assertEquals(reference.lines, lines);
}

Deno.test({
  name: "side by side: sv × runsv, ours and Debian's, agree on the finish state (sp 25)",
  ignore: !DEBIAN,
  async fn() {
    const results = await fourWay(FINISH_TREE, FINISH_STEPS);
    assertFourWay(results, [
      "sv status ./s => 0: run: ./s: (pid N) Ns; run: log: (pid N) Ns\n",
      "sv -w 2 -v down ./s => 1: timeout: finish: ./s: (pid N) Ns, want down\n",
      "sv status ./s => 0: finish: ./s: (pid N) Ns, want down; run: log: (pid N) Ns\n",
      "sv -v hup ./s => 0: ok: finish: ./s: (pid N) Ns, want down\n",
      "sv -v pause ./s => 0: ok: finish: ./s: (pid N) Ns, paused, want down\n",
      "sv status ./s => 0: finish: ./s: (pid N) Ns, paused, want down; run: log: (pid N) Ns\n",
      "sv -v cont ./s => 0: ok: finish: ./s: (pid N) Ns, want down\n",
      "sv -w 2 -v up ./s => 1: timeout: finish: ./s: (pid N) Ns\n",
      "sv status ./s => 0: finish: ./s: (pid N) Ns; run: log: (pid N) Ns\n",
      "sv -v up ./s => 0: ok: run: ./s: (pid N) Ns\n",
      "sv status ./s => 0: run: ./s: (pid N) Ns; run: log: (pid N) Ns\n",
      "sv -v exit ./s => 0: ok: ./s: runsv not running\n",
    ]);
  },
});

Deno.test({
  name: "side by side: sv × runsv, ours and Debian's, agree on a normally-down service (sp 25)",
  ignore: !DEBIAN,
  async fn() {
    const results = await fourWay(DOWN_TREE, DOWN_STEPS);
    assertFourWay(results, [
      "sv status ./s => 0: down: ./s: Ns\n",
      "sv -v once ./s => 0: ok: run: ./s: (pid N) Ns, normally down, want down\n",
      "sv status ./s => 0: run: ./s: (pid N) Ns, normally down, want down\n",
      "sv status ./s => 0: down: ./s: Ns\n",
      "sv -v up ./s => 0: ok: run: ./s: (pid N) Ns, normally down\n",
      "sv -v pause ./s => 0: ok: run: ./s: (pid N) Ns, normally down, paused\n",
      "sv status ./s => 0: run: ./s: (pid N) Ns, normally down, paused\n",
      "sv -v cont ./s => 0: ok: run: ./s: (pid N) Ns, normally down\n",
      "sv -v down ./s => 0: ok: down: ./s: Ns\n",
      "sv status ./s => 0: down: ./s: Ns\n",
      "sv -v exit ./s => 0: ok: ./s: runsv not running\n",
    ]);
  },
});
