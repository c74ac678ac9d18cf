import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { decodeTai64n, encodeTai64n, formatTai64nText, parseTai64nText } from "./tai64n.ts";
import { FormatError } from "./sys_error.ts";

Deno.test("encodeTai64n() adds 2^62 + 10 to the unix seconds", () => {
  const bytes = encodeTai64n({ seconds: 1700000000n, nanoseconds: 123456500 });
  assertEquals([...bytes], [0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a, 0x07, 0x5b, 0xcb, 0xf4]);
});

Deno.test("decodeTai64n() inverts encodeTai64n()", () => {
  const t = { seconds: 1764072000n, nanoseconds: 42 };
  assertEquals(decodeTai64n(encodeTai64n(t)), t);
});

Deno.test("decodeTai64n() rejects short input and nanoseconds out of range", () => {
  assertThrows(() => decodeTai64n(new Uint8Array(11)), FormatError);
  const bad = encodeTai64n({ seconds: 0n, nanoseconds: 0 });
  bad.set([0x3b, 0x9a, 0xca, 0x00], 8); // 10^9
  assertThrows(() => decodeTai64n(bad), FormatError);
});

Deno.test("formatTai64nText() gives @ and 24 lowercase hex digits", () => {
  assertEquals(
    formatTai64nText({ seconds: 1700000000n, nanoseconds: 123456500 }),
    "@400000006553f10a075bcbf4",
  );
  assertEquals(parseTai64nText("@400000006553f10a075bcbf4"), {
    seconds: 1700000000n,
    nanoseconds: 123456500,
  });
});

Deno.test("parseTai64nText() rejects malformed text", () => {
  for (
    const text of [
      "",
      "@",
      "400000006553f10a075bcbf4",
      "@400000006553f10a075bcbfz",
      "@400000006553f10a075bcbf40",
    ]
  ) {
    assertThrows(() => parseTai64nText(text), FormatError);
  }
});
