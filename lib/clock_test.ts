import { assert, assertEquals } from "../tests/_assert.ts";
import { systemClock } from "./clock.ts";

Deno.test("systemClock.reading() is the real time and a monotonic clock", () => {
  const first = systemClock.reading();
  const before = Date.now();
  const { now, monoMs } = systemClock.reading();
  const after = Date.now();
  const ms = Number(now.seconds) * 1000 + Math.floor(now.nanoseconds / 1_000_000);
  assert(ms >= before && ms <= after, `${ms} in [${before}, ${after}]`);
  assertEquals(now.nanoseconds % 1000, 500); // runit's microseconds × 1000 + 500
  assert(now.nanoseconds < 1_000_000_000);
  assert(monoMs >= first.monoMs, `${monoMs} not before ${first.monoMs}`);
  const slept = systemClock.reading().monoMs;
  const until = Date.now() + 20;
  while (Date.now() < until) {
    // 20 ms pass
  }
  const gone = systemClock.reading().monoMs - slept;
  assert(gone >= 19 && gone < 1000, `${gone} ms for 20`);
});
