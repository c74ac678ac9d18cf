import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { parseLimit, parseNice, scanUlong64, softLimitFor } from "./numbers.ts";
import { UsageError } from "../sys_error.ts";

Deno.test("parseLimit() takes digits only, empty as 0, and wraps like an unsigned long", () => {
  assertEquals(parseLimit("100", false), 100n);
  assertEquals(parseLimit("", false), 0n);
  assertEquals(parseLimit("18446744073709551617", false), 1n);
  assertEquals(parseLimit("18446744073709551615", false), -1n);
  assertEquals(parseLimit("9223372036854775808", false), -(1n << 63n));
  for (const bad of ["abc", "-1", "1k", "=", " 1"]) {
    assertThrows(() => parseLimit(bad, false), UsageError);
  }
});

Deno.test("parseLimit() accepts softlimit's = as the hard limit", () => {
  assertEquals(parseLimit("=", true), -1n);
  assertThrows(() => parseLimit("==", true), UsageError);
});

Deno.test("softLimitFor() clamps to the hard limit and skips values below -1", () => {
  assertEquals(softLimitFor(100n, 20000n), 100n);
  assertEquals(softLimitFor(99999999n, 20000n), 20000n);
  assertEquals(softLimitFor(-1n, 20000n), 20000n);
  assertEquals(softLimitFor(-2n, 20000n), undefined);
  assertEquals(softLimitFor(-(1n << 63n), 20000n), undefined);
  assertEquals(softLimitFor(5n, (1n << 64n) - 1n), 5n);
});

Deno.test("parseNice() handles -, + and empty", () => {
  assertEquals(parseNice("5"), 5);
  assertEquals(parseNice("+2"), 2);
  assertEquals(parseNice("-3"), -3);
  assertEquals(parseNice(""), 0);
  assertEquals(parseNice("-"), 0);
  for (const bad of ["x", "--3", "+-1", "1.5"]) assertThrows(() => parseNice(bad), UsageError);
});

Deno.test("scanUlong64() rejects non-digits", () => {
  assertEquals(scanUlong64("12a"), undefined);
  assertEquals(scanUlong64("007"), 7n);
});
