import { assertEquals } from "../../tests/_assert.ts";
import {
  afterStage,
  decideRequest,
  decideShutdown,
  finalMode,
  looksLikeRunsvdir,
  NO_PENDING,
  type Pending,
  RESTART_PAUSE_MS,
  type Stage,
  type StageAction,
  type StageEnd,
} from "./stages.ts";

const exited = (code: number): StageEnd => ({ kind: "exited", code });
const signaled = (signal: number): StageEnd => ({ kind: "signaled", signal });
const info = (text: string): StageAction => ({ do: "say", level: "info", text });
const warn = (text: string): StageAction => ({ do: "say", level: "warning", text });
const start = (stage: Stage): StageAction => ({ do: "start", stage });
const restart2 = (complaint: string): StageAction[] => [
  warn(complaint),
  warn("killing all processes in stage 2..."),
  { do: "killStageGroup" },
  { do: "pause", ms: RESTART_PAUSE_MS },
  warn("restarting."),
  start(2),
];

const stageTable: [Stage, StageEnd, StageAction[]][] = [
  [1, exited(0), [info("leave stage: /etc/runit/1"), start(2)]],
  [1, exited(1), [
    warn("child failed: /etc/runit/1"),
    info("leave stage: /etc/runit/1"),
    start(2),
  ]],
  [1, exited(100), [
    warn("child failed: /etc/runit/1"),
    info("leave stage: /etc/runit/1"),
    warn("skipping stage 2..."),
    start(3),
  ]],
  // DEVIATIONS.md 10: reported; otherwise as 2.1.2 (stage 2 follows).
  [1, signaled(11), [
    warn("child crashed: /etc/runit/1"),
    info("leave stage: /etc/runit/1"),
    start(2),
  ]],
  [1, { kind: "unstartable" }, [info("leave stage: /etc/runit/1"), start(2)]],
  [2, exited(0), [info("leave stage: /etc/runit/2"), start(3)]],
  [2, exited(3), [warn("child failed: /etc/runit/2"), info("leave stage: /etc/runit/2"), start(3)]],
  [2, exited(111), restart2("child failed: /etc/runit/2")],
  // DEVIATIONS.md 3: stage 2 killed by a signal comes back.
  [2, signaled(9), restart2("child crashed: /etc/runit/2")],
  [2, { kind: "unstartable" }, [info("leave stage: /etc/runit/2"), start(3)]],
  [2, { kind: "stopped" }, [info("leave stage: /etc/runit/2"), start(3)]],
  [3, exited(0), [info("leave stage: /etc/runit/3"), { do: "final" }]],
  [3, exited(7), [
    warn("child failed: /etc/runit/3"),
    info("leave stage: /etc/runit/3"),
    { do: "final" },
  ]],
  [3, signaled(15), [
    warn("child crashed: /etc/runit/3"),
    info("leave stage: /etc/runit/3"),
    { do: "final" },
  ]],
  [3, { kind: "unstartable" }, [info("leave stage: /etc/runit/3"), { do: "final" }]],
];

for (const [stage, end, want] of stageTable) {
  Deno.test(`afterStage() stage ${stage} ${JSON.stringify(end)}`, () => {
    assertEquals(afterStage(stage, end), want);
  });
}

const p = (part: Partial<Pending>): Pending => ({ ...NO_PENDING, ...part });

Deno.test("decideRequest() does nothing on an empty wake-up", () => {
  for (const stage of [1, 2, 3] as const) {
    const d = decideRequest(stage, p({}), { ctrlaltdel: true, stopit: true });
    assertEquals(d, { request: "none", pending: p({}) });
  }
});

Deno.test("decideRequest() outside stage 2 warns, drops INT and CONT, keeps PWR and ALRM", () => {
  const d = decideRequest(1, p({ cont: 2, int: 1, pwr: 1, alrm: 1 }), {
    ctrlaltdel: true,
    stopit: true,
  });
  assertEquals(d, { request: "notStage2", pending: p({ pwr: 1, alrm: 1 }) });
  assertEquals(decideRequest(3, p({ pwr: 1 }), { ctrlaltdel: false, stopit: false }), {
    request: "notStage2",
    pending: p({ pwr: 1 }),
  });
});

Deno.test("decideRequest() in stage 2: INT with ctrlaltdel set runs it and counts a CONT", () => {
  assertEquals(decideRequest(2, p({ int: 3 }), { ctrlaltdel: true, stopit: false }), {
    request: "ctrlaltdel",
    pending: p({ cont: 1 }),
  });
});

Deno.test("decideRequest() in stage 2 drops INT when ctrlaltdel is not set", () => {
  assertEquals(decideRequest(2, p({ int: 1 }), { ctrlaltdel: false, stopit: false }), {
    request: "none",
    pending: p({}),
  });
});

Deno.test("decideShutdown() order: PWR, then CONT with stopit, then ALRM", () => {
  assertEquals(decideShutdown(p({ pwr: 1, cont: 1 }), false).request, "forcedShutdown");
  assertEquals(decideShutdown(p({ cont: 1 }), true).request, "shutdown");
  assertEquals(decideShutdown(p({ cont: 1, alrm: 1 }), false), {
    request: "forwardAlarm",
    pending: p({}),
  });
  assertEquals(decideShutdown(p({ cont: 1 }), false), { request: "none", pending: p({}) });
});

Deno.test("finalMode() reboots only with the reboot flag and no SIGPWR ever", () => {
  assertEquals(finalMode(true, p({})), "reboot");
  assertEquals(finalMode(false, p({})), "poweroff");
  assertEquals(finalMode(true, p({ pwr: 1 })), "poweroff");
});

Deno.test("looksLikeRunsvdir(): by name, or by the entry Deno runs while it starts", () => {
  assertEquals(looksLikeRunsvdir("runsvdir", ["runsvdir", "-P", "/etc/service"]), true);
  const starting = ["/usr/lib/denit/deno", "run", "-A", "/usr/lib/denit/src/entry/runsvdir.js"];
  assertEquals(looksLikeRunsvdir("deno", starting), true);
  assertEquals(looksLikeRunsvdir("deno", ["deno", "run", "/x/entry/runsvchdir.js"]), false);
  assertEquals(looksLikeRunsvdir("2", ["/bin/sh", "/etc/runit/2"]), false);
  assertEquals(looksLikeRunsvdir("sleep", ["sleep", "runsvdir"]), false);
  assertEquals(looksLikeRunsvdir(undefined, []), false);
});
