import { assertEquals, assertMatch } from "../../tests/_assert.ts";
import { formatStamp, rotatedName, StampCache, tai64nLabel } from "./stamp.ts";

const T = 1700000000_123456; // spec svlogd.md §7 example

Deno.test("formatStamp() gives the spec's three forms", () => {
  assertEquals(formatStamp(1, T), "@400000006553f10a075bcbf4");
  assertEquals(formatStamp(2, T), "2023-11-14_22:13:20.12345");
  assertEquals(formatStamp(3, T), "2023-11-14T22:13:20.12345");
});

Deno.test("tai64nLabel() ends in 500 nanoseconds and is 25 characters", () => {
  const label = tai64nLabel(1_000_000 * 86400 + 7);
  assertEquals(label.length, 25);
  assertEquals(parseInt(label.slice(17), 16) % 1000, 500);
  assertEquals(tai64nLabel(0), "@400000000000000a000001f4");
});

Deno.test("formatStamp() truncates to 10 µs and pads the fraction", () => {
  assertEquals(formatStamp(2, 19), "1970-01-01_00:00:00.00001");
  assertEquals(formatStamp(2, 999_999), "1970-01-01_00:00:00.99999");
});

Deno.test("rotatedName() is 27 characters and sorts by time", () => {
  const a = rotatedName(T, "s");
  const b = rotatedName(T + 1, "u");
  assertEquals(a.length, 27);
  assertMatch(a, /^@[0-9a-f]{24}\.s$/);
  assertEquals(a < b, true);
});

Deno.test("StampCache holds the stamp and a space", () => {
  const cache = new StampCache(3);
  cache.set(T);
  assertEquals(new TextDecoder().decode(cache.bytes), "2023-11-14T22:13:20.12345 ");
});
