import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  decodeStatus,
  encodeStatus,
  formatStat,
  STATUS_SIZE,
  type StatusRecord,
} from "./status_record.ts";
import { FormatError } from "./sys_error.ts";

const SPEC_EXAMPLE = "40 00 00 00 65 53 f1 0a 07 5b cb f4 92 10 00 00 00 75 00 01";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

Deno.test("encodeStatus() matches the spec example byte for byte", () => {
  const record: StatusRecord = {
    stamp: { seconds: 1700000000n, nanoseconds: 123456500 },
    pid: 4242,
    paused: false,
    want: "up",
    term: false,
    state: "run",
  };
  assertEquals(hex(encodeStatus(record)), SPEC_EXAMPLE);
});

Deno.test("decodeStatus() reads a record written by Debian's runsv", () => {
  const bytes = Deno.readFileSync(new URL("./testdata/status_run_pid32565.bin", import.meta.url));
  const record = decodeStatus(bytes);
  assertEquals(record.pid, 32565);
  assertEquals(record.state, "run");
  assertEquals(record.want, "up");
  assertEquals(record.paused, false);
  assertEquals(record.term, false);
  // C runsv writes microseconds × 1000 + 500.
  assertEquals(record.stamp.nanoseconds % 1000, 500);
  assertEquals(hex(encodeStatus(record)), hex(bytes));
});

Deno.test("encodeStatus() and decodeStatus() round-trip every flag combination", () => {
  for (const state of ["down", "run", "finish"] as const) {
    for (const want of ["up", "down"] as const) {
      for (const paused of [false, true]) {
        for (const term of [false, true]) {
          const record: StatusRecord = {
            stamp: { seconds: 1234567890n, nanoseconds: 999_999_999 },
            pid: 0xfffffffe,
            paused,
            want,
            term,
            state,
          };
          assertEquals(decodeStatus(encodeStatus(record)), record);
        }
      }
    }
  }
});

Deno.test("encodeStatus() writes want exit as 'd'", () => {
  const bytes = encodeStatus({
    stamp: { seconds: 0n, nanoseconds: 0 },
    pid: 0,
    paused: false,
    want: "exit",
    term: false,
    state: "down",
  });
  assertEquals(bytes[17], 0x64);
});

Deno.test("decodeStatus() rejects 19-byte and 18-byte (daemontools) input", () => {
  assertThrows(() => decodeStatus(new Uint8Array(19)), FormatError);
  assertThrows(() => decodeStatus(new Uint8Array(18)), FormatError);
});

Deno.test("decodeStatus() accepts longer input and uses the first 20 bytes", () => {
  const bytes = new Uint8Array(32);
  bytes.set(
    encodeStatus({
      stamp: { seconds: 5n, nanoseconds: 0 },
      pid: 7,
      paused: true,
      want: "up",
      term: true,
      state: "finish",
    }),
  );
  const record = decodeStatus(bytes);
  assertEquals([record.pid, record.paused, record.term, record.state], [7, true, true, "finish"]);
  assertEquals(STATUS_SIZE, 20);
});

Deno.test("decodeStatus() on random bytes only ever throws FormatError", () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 40)));
    try {
      decodeStatus(bytes);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
    }
  }
});

Deno.test("formatStat() gives runit's stat lines", () => {
  const base = { paused: false, want: "up" as const, term: false, state: "run" as const };
  assertEquals(formatStat(base), "run\n");
  assertEquals(formatStat({ ...base, paused: true }), "run, paused\n");
  assertEquals(formatStat({ ...base, term: true, want: "down" }), "run, got TERM, want down\n");
  assertEquals(
    formatStat({ ...base, paused: true, term: true, want: "down" }),
    "run, paused, got TERM, want down\n",
  );
  assertEquals(formatStat({ ...base, term: true, want: "exit" }), "run, got TERM, want exit\n");
  assertEquals(formatStat({ ...base, state: "finish", want: "down" }), "finish, want down\n");
  assertEquals(
    formatStat({ ...base, state: "down", want: "down", paused: true }),
    "down, paused\n",
  );
});
