import { assert, assertEquals } from "../tests/_assert.ts";
import { systemClock, wallClock } from "./clock.ts";

Deno.test("wallClock() keeps the monotonic fraction while the real time agrees", () => {
  let wall = 1_000_000;
  let mono = 10.25;
  const now = wallClock(() => wall, () => mono, 1_000_000 - 10);
  assertEquals(now(), 1_000_000.25);
  mono = 10.75;
  assertEquals(now(), 1_000_000.75);
  mono = 11.5;
  wall = 1_000_001;
  assertEquals(now(), 1_000_001.5);
});

Deno.test("wallClock() follows a real clock stepped back or forward", () => {
  let wall = 1_000_000;
  let mono = 10.25;
  const now = wallClock(() => wall, () => mono, 1_000_000 - 10);
  now();
  // Stepped back 600 ms while the monotonic clock went on 5 ms.
  mono = 15.25;
  wall = 1_000_000 + 5 - 600;
  const back = now();
  assert(back >= wall && back < wall + 1, `${back} within a millisecond of ${wall}`);
  mono = 15.5;
  assertEquals(now(), back + 0.25); // the fraction runs on from there
  // Stepped forward a second.
  mono = 16;
  wall = 1_000_000 + 6 - 600 + 1000;
  const ahead = now();
  assert(ahead >= wall && ahead < wall + 1, `${ahead} within a millisecond of ${wall}`);
});

Deno.test("systemClock.now() is the real time to the millisecond", () => {
  const before = Date.now();
  const stamp = systemClock.now();
  const after = Date.now();
  const ms = Number(stamp.seconds) * 1000 + Math.floor(stamp.nanoseconds / 1_000_000);
  assert(ms >= before && ms <= after, `${ms} in [${before}, ${after}]`);
  assertEquals(stamp.nanoseconds % 1000, 500); // runit's microseconds × 1000 + 500
});
