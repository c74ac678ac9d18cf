import { assertEquals } from "../../tests/_assert.ts";
import { scrollLogWindow } from "./log_window.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** runit's loop, byte by byte, as the oracle. */
function oracle(arg: Uint8Array, input: Uint8Array): void {
  for (const byte of input) {
    if (byte === 0) continue;
    for (let i = 6; i < arg.length; i++) arg[i - 1] = arg[i]!;
    arg[arg.length - 1] = byte;
  }
}

Deno.test("`scrollLogWindow()` keeps the first five bytes and scrolls the rest", () => {
  const arg = enc.encode("log: .........");
  scrollLogWindow(arg, enc.encode("ab\n"));
  assertEquals(dec.decode(arg), "log: ......ab\n");
  scrollLogWindow(arg, enc.encode("0123456789"));
  assertEquals(dec.decode(arg), "log: 123456789");
});

Deno.test("`scrollLogWindow()` skips NUL bytes", () => {
  const arg = enc.encode("log: ....");
  scrollLogWindow(arg, enc.encode("\0a\0\0b"));
  assertEquals(dec.decode(arg), "log: ..ab");
});

Deno.test("`scrollLogWindow()` matches runit's byte loop on random input", () => {
  for (let round = 0; round < 200; round++) {
    const length = 7 + Math.floor(Math.random() * 40);
    const arg = enc.encode("log: " + ".".repeat(length - 5));
    const expected = arg.slice();
    for (let chunk = 0; chunk < 5; chunk++) {
      const input = new Uint8Array(Math.floor(Math.random() * 60));
      for (let i = 0; i < input.length; i++) input[i] = Math.floor(Math.random() * 4);
      scrollLogWindow(arg, input);
      oracle(expected, input);
      assertEquals(arg, expected);
    }
  }
});
