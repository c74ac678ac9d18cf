import { assertEquals } from "../../tests/_assert.ts";
import { parseCommand } from "./commands.ts";
import { decodeRawStatus, formatStatusLine, type RawStatus, taiLabel } from "./status_line.ts";
import { evaluateWait } from "./wait.ts";

// spec sv.md test case 5: the bytes each word writes (trailing k = written after timeout).
const WORDS: [string, string, boolean][] = [
  ["term", "t", false],
  ["t", "t", false],
  ["tXYZ", "t", false],
  ["try", "t", false],
  ["chk", "c", false],
  ["check", "C", false],
  ["cont", "c", false],
  ["e", "x", false],
  ["x", "x", false],
  ["Exit", "x", true],
  ["Down", "d", true],
  ["Term", "tc", true],
  ["d", "d", false],
  ["o", "o", false],
  ["p", "p", false],
  ["h", "h", false],
  ["a", "a", false],
  ["i", "i", false],
  ["q", "q", false],
  ["1", "1", false],
  ["2", "2", false],
  ["k", "k", false],
  ["restart", "tcu", false],
  ["reload", "h", false],
  ["stop", "d", false],
  ["shutdown", "x", false],
  ["force-stop", "d", true],
  ["force-reload", "tc", true],
  ["force-restart", "tcu", true],
  ["force-shutdown", "x", true],
  ["try-restart", "tc", false],
];

for (const [word, bytes, kill] of WORDS) {
  Deno.test(`parseCommand() ${word} → ${bytes}${kill ? " then k" : ""}`, () => {
    const command = parseCommand(word, false, false)!;
    assertEquals([command.bytes, command.killOnTimeout], [bytes, kill]);
  });
}

Deno.test("parseCommand() rejects what runit's sv rejects", () => {
  for (const word of ["bogus", "r", "f", "Up", "S", "-", "", "force"]) {
    assertEquals(parseCommand(word, false, false), undefined, word);
  }
  assertEquals(parseCommand("stat", false, true), undefined); // LSB: status exactly
  assertEquals(parseCommand("stat", false, false)?.kind, "status");
  assertEquals(parseCommand("s", false, false)?.kind, "status");
});

Deno.test("parseCommand() waits: plain letters only with -v, LSB words always", () => {
  assertEquals(parseCommand("up", false, false)?.waits, false);
  assertEquals(parseCommand("up", true, false)?.waits, true);
  assertEquals(parseCommand("start", false, false)?.waits, true);
  assertEquals(parseCommand("check", false, false)?.waits, true);
  assertEquals(parseCommand("status", true, false)?.waits, false);
});

const NOW = taiLabel(1_700_000_005n);
const AT = taiLabel(1_700_000_000n);

function raw(state: number, pid: number, paused: number, want: string, term: number): RawStatus {
  return { label: AT, pid, paused: paused !== 0, want, term: term !== 0, state };
}

// spec sv.md test case 8.
const LINES: [RawStatus, boolean, string][] = [
  [raw(0, 0, 0, "u", 0), true, "down: ./: 5s, normally up, want up"],
  [raw(0, 0, 0, "d", 0), true, "down: ./: 5s, normally up"],
  [raw(1, 77, 1, "d", 1), true, "run: ./: (pid 77) 5s, paused, want down, got TERM"],
  [raw(2, 78, 0, "u", 0), true, "finish: ./: (pid 78) 5s"],
  [raw(3, 79, 0, "u", 0), true, "./: (pid 79) 5s"],
  [raw(1, 0, 0, "d", 0), true, "run: ./: (pid 0) 5s, normally up"],
  [raw(1, 77, 0, "u", 0), false, "run: ./: (pid 77) 5s, normally down"],
  [raw(0, 0, 0, "d", 0), false, "down: ./: 5s"],
  [raw(0, 0, 0, "u", 0), false, "down: ./: 5s, want up"],
];

for (const [status, normallyUp, line] of LINES) {
  Deno.test(`formatStatusLine() ${line}`, () => {
    assertEquals(formatStatusLine(status, { name: "./", nowLabel: NOW, normallyUp }), line);
  });
}

Deno.test("formatStatusLine() future stamp is 0s; zeroed record is huge", () => {
  const future = { ...raw(0, 0, 0, "d", 0), label: NOW + 100n };
  assertEquals(
    formatStatusLine(future, { name: "x", nowLabel: NOW, normallyUp: false }),
    "down: x: 0s",
  );
  const zero = decodeRawStatus(new Uint8Array(20));
  assertEquals(
    formatStatusLine(zero, { name: "x", nowLabel: NOW, normallyUp: false }),
    `down: x: ${NOW}s`,
  );
});

Deno.test("decodeRawStatus() pid is little-endian: 04 03 02 01 → 16909060", () => {
  const bytes = new Uint8Array(20);
  bytes.set([4, 3, 2, 1], 12);
  bytes[19] = 1;
  assertEquals(decodeRawStatus(bytes).pid, 16909060);
});

const opts = (check = true) => ({ startLabel: AT, check: () => check });

Deno.test("evaluateWait() u needs pid, run state and a passing check", () => {
  assertEquals(evaluateWait("u", raw(1, 5, 0, "u", 0), opts()), 1);
  assertEquals(evaluateWait("u", raw(1, 5, 0, "u", 0), opts(false)), 0);
  assertEquals(evaluateWait("u", raw(0, 0, 0, "u", 0), opts()), 0);
});

Deno.test("evaluateWait() d, x, and runsv not running", () => {
  assertEquals(evaluateWait("d", raw(0, 0, 0, "d", 0), opts()), 1);
  assertEquals(evaluateWait("d", raw(1, 5, 0, "d", 1), opts()), 0);
  assertEquals(evaluateWait("x", raw(0, 0, 0, "d", 0), opts()), 0);
  assertEquals(evaluateWait("x", undefined, opts()), 1);
  assertEquals(evaluateWait("d", undefined, opts()), -1);
});

Deno.test("evaluateWait() t: restarted in this second or down and wanted down", () => {
  assertEquals(evaluateWait("tcu", raw(1, 6, 0, "u", 0), opts()), 1);
  assertEquals(evaluateWait("t", { ...raw(1, 6, 0, "u", 0), label: AT - 1n }, opts()), 0);
  assertEquals(evaluateWait("t", raw(1, 6, 0, "u", 1), opts()), 0);
  assertEquals(evaluateWait("t", { ...raw(0, 0, 0, "d", 0), label: AT - 9n }, opts()), 1);
});

Deno.test("evaluateWait() C follows runit 2.3.0 (DEVIATIONS item 1)", () => {
  assertEquals(evaluateWait("C", raw(0, 0, 0, "d", 0), opts(false)), 1);
  assertEquals(evaluateWait("C", raw(0, 0, 0, "u", 0), opts()), 0);
  assertEquals(evaluateWait("C", raw(1, 5, 0, "u", 0), opts(false)), 0);
  assertEquals(evaluateWait("C", raw(1, 5, 0, "u", 0), opts(true)), 1);
});

Deno.test("evaluateWait() o, p, c", () => {
  assertEquals(evaluateWait("o", raw(1, 5, 0, "d", 0), opts()), 1);
  assertEquals(evaluateWait("o", raw(1, 5, 0, "u", 0), opts()), 0);
  assertEquals(evaluateWait("o", { ...raw(0, 0, 0, "d", 0), label: AT - 1n }, opts()), 0);
  assertEquals(evaluateWait("p", raw(1, 5, 1, "u", 0), opts()), 1);
  assertEquals(evaluateWait("p", raw(1, 5, 0, "u", 0), opts()), 0);
  assertEquals(evaluateWait("c", raw(1, 5, 1, "u", 0), opts()), 0);
  assertEquals(evaluateWait("h", raw(1, 5, 0, "u", 0), opts()), 1);
});
