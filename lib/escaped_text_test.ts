import { assertEquals } from "../tests/_assert.ts";
import { decodeEscaped, encodeEscaped, escapedArguments } from "./escaped_text.ts";

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

Deno.test("escaped text: valid UTF-8 decodes as TextDecoder does", () => {
  const text = "svc é € 𝄞 \ufffd";
  const encoded = new TextEncoder().encode(text);
  assertEquals(decodeEscaped(encoded), text);
  assertEquals([...encodeEscaped(text)], [...encoded]);
});

Deno.test("escaped text: each byte outside a valid sequence is one lone surrogate", () => {
  const cases: [Uint8Array, string][] = [
    [bytes(0x73, 0xff), "s\udcff"],
    [bytes(0x80), "\udc80"],
    [bytes(0xc3), "\udcc3"], // truncated two-byte sequence
    [bytes(0xc0, 0x80), "\udcc0\udc80"], // overlong NUL
    [bytes(0xe0, 0x80, 0x80), "\udce0\udc80\udc80"], // overlong
    [bytes(0xed, 0xa0, 0x80), "\udced\udca0\udc80"], // an encoded surrogate
    [bytes(0xf4, 0x90, 0x80, 0x80), "\udcf4\udc90\udc80\udc80"], // above U+10FFFF
    [bytes(0xe2, 0x82, 0x41), "\udce2\udc82A"], // a sequence cut by ASCII
    [bytes(0xc3, 0xa9, 0xff, 0xc3, 0xa9), "é\udcffé"],
  ];
  for (const [input, want] of cases) {
    assertEquals(decodeEscaped(input), want, [...input].join(","));
    assertEquals([...encodeEscaped(want)], [...input], want);
  }
});

Deno.test("escaped text: any bytes come back as they were (2,000 random strings)", () => {
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  const pool = [0x00, 0x2f, 0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2, 0xed, 0xef, 0xf0];
  pool.push(0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f);
  for (let round = 0; round < 2000; round++) {
    const input = new Uint8Array(next() % 12).map(() => pool[next() % pool.length]!);
    const text = decodeEscaped(input);
    assertEquals([...encodeEscaped(text)], [...input]);
    // Deno's own lossy decoding differs from this only where the escapes stand.
    const lossy = new TextDecoder().decode(input).replaceAll("\ufffd", "");
    assertEquals(text.replace(/[\udc80-\udcff]|\ufffd/g, ""), lossy);
  }
});

Deno.test("escaped text: lone surrogates that stand for no byte encode as U+FFFD", () => {
  assertEquals([...encodeEscaped("a\ud800b")], [0x61, 0xef, 0xbf, 0xbd, 0x62]);
  assertEquals([...encodeEscaped("\udc00")], [0xef, 0xbf, 0xbd]);
  assertEquals([...encodeEscaped("\ud834\udd1e")], [0xf0, 0x9d, 0x84, 0x9e]);
});

Deno.test("escaped text: arguments take their bytes from cmdline, matched from the end", () => {
  const cmdline = new Uint8Array([
    ...new TextEncoder().encode("deno\0run\0entry.js\0status\0"),
    0x73,
    0xff,
    0x00,
    ...new TextEncoder().encode("é\0"),
  ]);
  assertEquals(escapedArguments(["status", "s\ufffd", "é"], cmdline), ["status", "s\udcff", "é"]);
  // Arguments that do not match what /proc shows are kept as Deno gave them.
  assertEquals(escapedArguments(["status", "x\ufffd", "é"], cmdline), ["status", "x\ufffd", "é"]);
  assertEquals(escapedArguments(["a", "b", "c", "d", "e", "f", "g"], cmdline).length, 7);
});
