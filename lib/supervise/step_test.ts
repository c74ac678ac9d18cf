import { assertEquals } from "../../tests/_assert.ts";
import type { ControlByte } from "./control.ts";
import {
  type Action,
  decisionScript,
  EXEC_FAILED_WSTAT,
  exitDecision,
  initialRecord,
  programArgv,
  type ServiceRecord,
  step,
} from "./step.ts";

const T0 = { seconds: 1_700_000_000n, nanoseconds: 500 };
const T5 = { seconds: 1_700_000_005n, nanoseconds: 500 };

function record(patch: Partial<ServiceRecord> = {}): ServiceRecord {
  return { ...initialRecord(false, false, T0, 0), ...patch };
}

function kinds(actions: readonly Action[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case "signal":
        return `signal ${a.signal}`;
      case "script":
        return `script ${a.letter}`;
      case "spawn":
        return `spawn ${a.argv.join(" ")}`;
      case "delay":
        return `delay ${a.ms}`;
      default:
        return a.kind;
    }
  });
}

function control(rec: ServiceRecord, byte: ControlByte, handled = false) {
  return step(rec, { kind: "control", byte, handled });
}

const RUNNING = { pid: 42, state: "run" as const };

// (state, byte) → (actions, resulting fields): runit src/runsv.c ctrl() and stopservice().
const TABLE: {
  name: string;
  from: Partial<ServiceRecord>;
  byte: ControlByte;
  handled?: boolean;
  actions: string[];
  expect: Partial<ServiceRecord>;
}[] = [
  {
    name: "down + u starts ./run after control/u",
    from: { want: "down" },
    byte: "u",
    actions: ["update", "script u", "spawn ./run"],
    expect: { want: "up" },
  },
  {
    name: "down + o starts once",
    from: {},
    byte: "o",
    actions: ["update", "script u", "spawn ./run"],
    expect: { want: "down" },
  },
  {
    name: "down + d only updates",
    from: {},
    byte: "d",
    actions: ["update"],
    expect: { want: "down" },
  },
  {
    name: "down + x wants exit",
    from: {},
    byte: "x",
    actions: ["update"],
    expect: { want: "exit" },
  },
  {
    name: "down + p sets paused, no signal",
    from: {},
    byte: "p",
    actions: ["update"],
    expect: { paused: true },
  },
  { name: "down + h does nothing", from: {}, byte: "h", actions: [], expect: {} },
  {
    name: "run + d: TERM, update, CONT, control/d",
    from: RUNNING,
    byte: "d",
    actions: ["update", "signal SIGTERM", "update", "signal SIGCONT", "script d"],
    expect: { want: "down", term: true },
  },
  {
    name: "run + d with control/t handled: no TERM, still CONT",
    from: RUNNING,
    byte: "d",
    handled: true,
    actions: ["update", "signal SIGCONT", "script d"],
    expect: { want: "down", term: false },
  },
  {
    name: "run + x: TERM, CONT, control/x",
    from: RUNNING,
    byte: "x",
    actions: ["update", "signal SIGTERM", "update", "signal SIGCONT", "script x"],
    expect: { want: "exit", term: true },
  },
  {
    name: "run + t with want up: TERM only",
    from: RUNNING,
    byte: "t",
    actions: ["signal SIGTERM", "update"],
    expect: { term: true },
  },
  {
    name: "run + t with want down: TERM, CONT, control/d",
    from: { ...RUNNING, want: "down" },
    byte: "t",
    actions: ["signal SIGTERM", "update", "signal SIGCONT", "script d"],
    expect: { term: true },
  },
  {
    name: "run + k: KILL, state down, no update (Q2)",
    from: RUNNING,
    byte: "k",
    actions: ["signal SIGKILL"],
    expect: { state: "down", pid: 42 },
  },
  {
    name: "run + k handled by control/k: no signal, state down",
    from: RUNNING,
    byte: "k",
    handled: true,
    actions: [],
    expect: { state: "down" },
  },
  { name: "run + u: want up only", from: RUNNING, byte: "u", actions: ["update"], expect: {} },
  {
    name: "run + o: want down only",
    from: RUNNING,
    byte: "o",
    actions: ["update"],
    expect: { want: "down" },
  },
  {
    name: "run + p: STOP and paused",
    from: RUNNING,
    byte: "p",
    actions: ["signal SIGSTOP", "update"],
    expect: { paused: true },
  },
  {
    name: "run + c: CONT and not paused",
    from: { ...RUNNING, paused: true },
    byte: "c",
    actions: ["signal SIGCONT", "update"],
    expect: { paused: false },
  },
  { name: "run + h: HUP", from: RUNNING, byte: "h", actions: ["signal SIGHUP"], expect: {} },
  { name: "run + a: ALRM", from: RUNNING, byte: "a", actions: ["signal SIGALRM"], expect: {} },
  { name: "run + i: INT", from: RUNNING, byte: "i", actions: ["signal SIGINT"], expect: {} },
  { name: "run + q: QUIT", from: RUNNING, byte: "q", actions: ["signal SIGQUIT"], expect: {} },
  { name: "run + 1: USR1", from: RUNNING, byte: "1", actions: ["signal SIGUSR1"], expect: {} },
  { name: "run + 2: USR2", from: RUNNING, byte: "2", actions: ["signal SIGUSR2"], expect: {} },
  {
    name: "run + h handled by control/h: no signal",
    from: RUNNING,
    byte: "h",
    handled: true,
    actions: [],
    expect: {},
  },
  {
    name: "finish + d: want down, no signal",
    from: { pid: 43, state: "finish" },
    byte: "d",
    actions: ["update"],
    expect: { want: "down", term: false },
  },
  {
    name: "finish + t: nothing",
    from: { pid: 43, state: "finish" },
    byte: "t",
    actions: [],
    expect: {},
  },
  {
    name: "finish + k: state down, no signal (Q1)",
    from: { pid: 43, state: "finish" },
    byte: "k",
    actions: [],
    expect: { state: "down", pid: 43 },
  },
  {
    name: "finish + x: want exit, no signal",
    from: { pid: 43, state: "finish" },
    byte: "x",
    actions: ["update"],
    expect: { want: "exit" },
  },
];

for (const row of TABLE) {
  Deno.test(`step() control: ${row.name}`, () => {
    const from = record(row.from);
    const { record: next, actions } = control(from, row.byte, row.handled ?? false);
    assertEquals(kinds(actions), row.actions);
    for (const [key, value] of Object.entries(row.expect)) {
      assertEquals(next[key as keyof ServiceRecord], value, key);
    }
  });
}

Deno.test("step() never mutates its input", () => {
  const from = record(RUNNING);
  const copy = { ...from };
  control(from, "d");
  assertEquals(from, copy);
});

Deno.test("step() log service: x ignored, no control scripts, d is TERM + CONT", () => {
  const log = { ...initialRecord(true, false, T0, 0), pid: 7, state: "run" as const };
  assertEquals(kinds(control(log, "x").actions), []);
  assertEquals(decisionScript(log, "d"), undefined);
  assertEquals(kinds(control(log, "d").actions), [
    "update",
    "signal SIGTERM",
    "update",
    "signal SIGCONT",
  ]);
  const down = initialRecord(true, true, T0, 0);
  assertEquals(kinds(control(down, "u").actions), ["update", "spawn ./run"]);
});

Deno.test("decisionScript() consults control/t for d x t and the letter for signals", () => {
  const run = record(RUNNING);
  assertEquals(decisionScript(run, "d"), "t");
  assertEquals(decisionScript(run, "x"), "t");
  assertEquals(decisionScript(run, "t"), "t");
  assertEquals(decisionScript(run, "h"), "h");
  assertEquals(decisionScript(run, "k"), "k");
  assertEquals(decisionScript(run, "u"), undefined);
  assertEquals(decisionScript(record(), "h"), undefined);
  assertEquals(decisionScript(record({ pid: 9, state: "finish" }), "h"), undefined);
});

Deno.test("step() tick starts ./run when wanted up, ./finish in state finish", () => {
  assertEquals(kinds(step(record(), { kind: "tick" }).actions), [
    "script u",
    "spawn ./run",
  ]);
  assertEquals(step(record({ want: "down" }), { kind: "tick" }).actions, []);
  const finishing = record({ state: "finish", want: "down", wstat: 15 });
  assertEquals(kinds(step(finishing, { kind: "tick" }).actions), [
    "spawn ./finish -1 15",
  ]);
});

Deno.test("programArgv() gives finish runit's arguments", () => {
  assertEquals(programArgv(record({ state: "finish", wstat: 3 << 8 })), ["./finish", "3", "0"]);
  assertEquals(programArgv(record({ state: "finish", wstat: 15 })), ["./finish", "-1", "15"]);
  assertEquals(programArgv(record({ state: "finish", wstat: 11 | 0x80 })), [
    "./finish",
    "-1",
    "139",
  ]);
  assertEquals(programArgv(record()), ["./run"]);
});

Deno.test("step() spawned: run state, new stamp, flags cleared, pid file rewritten", () => {
  const from = record({ paused: true, term: true });
  const { record: next, actions } = step(from, {
    kind: "spawned",
    pid: 99,
    now: T5,
    monoMs: 5000,
  });
  assertEquals([next.pid, next.state, next.paused, next.term, next.stamp], [
    99,
    "run",
    false,
    false,
    T5,
  ]);
  assertEquals(kinds(actions), ["pidChanged", "update"]);
  const finish = step(record({ state: "finish" }), {
    kind: "spawned",
    pid: 100,
    now: T5,
    monoMs: 5000,
  }).record;
  assertEquals([finish.state, finish.stamp], ["finish", T0]); // finish keeps run's stamp
});

Deno.test("step() exit with finish present enters finish without delay", () => {
  const { record: next, actions } = step(record({ ...RUNNING, term: true }), {
    kind: "exited",
    pid: 42,
    wstat: 15,
    finishExists: true,
    now: T5,
    monoMs: 100,
  });
  assertEquals([next.state, next.pid, next.term, next.wstat], ["finish", 0, false, 15]);
  assertEquals(kinds(actions), ["pidChanged", "update"]);
});

Deno.test("step() exit within 1 s of the start delays 1 s; later exits do not", () => {
  const quick = step(record({ ...RUNNING, startMs: 0 }), {
    kind: "exited",
    pid: 42,
    wstat: 0,
    finishExists: false,
    now: T5,
    monoMs: 500,
  });
  assertEquals(kinds(quick.actions), ["pidChanged", "update", "delay 1000"]);
  assertEquals([quick.record.state, quick.record.stamp], ["down", T5]);
  const slow = step(record({ ...RUNNING, startMs: 0 }), {
    kind: "exited",
    pid: 42,
    wstat: 0,
    finishExists: false,
    now: T5,
    monoMs: 3000,
  });
  assertEquals(kinds(slow.actions), ["pidChanged", "update"]);
});

Deno.test("step() ignores the exit of a pid it does not hold", () => {
  const result = step(record(RUNNING), {
    kind: "exited",
    pid: 41,
    wstat: 0,
    finishExists: false,
    now: T5,
    monoMs: 500,
  });
  assertEquals(result.actions, []);
  assertEquals(result.record.pid, 42);
});

Deno.test("step() k during finish runs finish twice (quirk Q1)", () => {
  let rec = record({ pid: 43, state: "finish", wstat: 15 });
  rec = control(rec, "k").record;
  const next = step(rec, {
    kind: "exited",
    pid: 43,
    wstat: 7 << 8,
    finishExists: true,
    now: T5,
    monoMs: 5000,
  }).record;
  assertEquals(next.state, "finish");
  assertEquals(programArgv(next), ["./finish", "7", "0"]);
});

Deno.test("step() spawnFailed acts as an exit 111 one second later at most", () => {
  const { record: next, actions } = step(record(), {
    kind: "spawnFailed",
    finishExists: false,
    now: T5,
    monoMs: 5000,
  });
  assertEquals([next.state, next.pid, next.wstat], ["down", 0, EXEC_FAILED_WSTAT]);
  assertEquals(kinds(actions), ["pidChanged", "update", "delay 1000"]);
});

Deno.test("exitDecision() exits when main is down and the log is gone", () => {
  const main = record({ want: "exit" });
  assertEquals(exitDecision(main, undefined), "exit");
  const log = { ...initialRecord(true, false, T0, 0), pid: 5, state: "run" as const };
  assertEquals(exitDecision(main, log), "closeLog");
  assertEquals(exitDecision(main, { ...log, want: "exit" }), "continue");
  assertEquals(exitDecision(main, { ...log, pid: 0 }), "exit");
  assertEquals(exitDecision(record({ want: "exit", ...RUNNING }), undefined), "continue");
});

Deno.test("step() d with the want already written (before control/t) writes it once", () => {
  const { actions } = step(record(RUNNING), {
    kind: "control",
    byte: "d",
    handled: false,
    wantWritten: true,
  });
  assertEquals(kinds(actions), ["signal SIGTERM", "update", "signal SIGCONT", "script d"]);
});

// After `k` the state is down while the process may still be there (control/k exited 0,
// or it is not yet reaped). A `u` then starts again, and runit's startservice applies the
// stop sequence to the old pid first: control/u, then control/t, then the fork (Debian's
// runsv, tests/runsv_random_test.ts).
Deno.test("step() a start that finds the process still there consults control/t first", () => {
  const killed = { pid: 42, state: "down" as const, want: "down" as const };
  const up = control(record(killed), "u");
  assertEquals(kinds(up.actions), ["update", "script u", "consult"]);
  const asIs = step(up.record, { kind: "stopBeforeStart", handled: false });
  assertEquals(kinds(asIs.actions), ["signal SIGTERM", "update", "spawn ./run"]);
  assertEquals(asIs.record.term, true);
  const handled = step(up.record, { kind: "stopBeforeStart", handled: true });
  assertEquals(kinds(handled.actions), ["spawn ./run"]);
  // `o` wants down: the stop sequence goes on with CONT and control/d.
  const once = control(record({ ...killed, want: "up" }), "o");
  assertEquals(kinds(once.actions), ["update", "script u", "consult"]);
  const onceStop = step(once.record, { kind: "stopBeforeStart", handled: true });
  assertEquals(kinds(onceStop.actions), ["signal SIGCONT", "script d", "spawn ./run"]);
  // The log service consults no script: its stop sequence runs at once.
  const log = control({ ...initialRecord(true, true, T0, 0), pid: 43 }, "u");
  assertEquals(kinds(log.actions), ["update", "signal SIGTERM", "update", "spawn ./run"]);
});
