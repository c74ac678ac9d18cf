import { assertEquals } from "../../tests/_assert.ts";
import { matchPattern } from "./pattern.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const match = (p: string, s: string): boolean => matchPattern(bytes(p), bytes(s));

// spec svlogd.md §8.1, the observed table (no stale byte: a fresh line buffer reads 0).
const TABLE: [pattern: string, matches: string[], misses: string[]][] = [
  ["*", ["", "x"], []],
  ["", [""], ["x"]],
  ["a*", ["a", "abc"], ["ba"]],
  ["*a", ["ba", "a"], ["bab"]],
  ["*b*", ["abc", "bcd"], ["xyz"]],
  ["a+b", ["ab", "abbb"], ["abbbc", "ac", "a"]],
  ["+a", ["aaa", "a"], ["aab", "b"]],
  ["+ab", ["aab", "ab", "aa"], ["aaabx", "b"]],
  ["**", ["x*y", "*"], ["xy"]],
  ["a**c", ["ab*c", "a*c"], ["abc"]],
  ["ab+", ["ab"], ["abb", "ab+"]],
  ["*ok*", ["ok"], ["hello ok world", "error ok"]],
];

for (const [pattern, matches, misses] of TABLE) {
  Deno.test(`matchPattern() "${pattern}" follows runit's table`, () => {
    for (const s of matches) assertEquals(match(pattern, s), true, `${pattern} ~ ${s}`);
    for (const s of misses) assertEquals(match(pattern, s), false, `${pattern} !~ ${s}`);
  });
}

Deno.test("matchPattern() reads the stale byte after the text for `+c`, as runit's pmatch", () => {
  // The line buffer holds "abc" from an earlier line; the text is its first 0 or 1 bytes.
  const line = bytes("abc");
  assertEquals(matchPattern(bytes("+a"), line, { length: 0 }), true);
  assertEquals(matchPattern(bytes("++aao"), bytes("+"), { length: 0 }), true);
  assertEquals(matchPattern(bytes("+x"), line, { length: 0 }), false);
  assertEquals(matchPattern(bytes("a+b"), line, { length: 1 }), true);
  assertEquals(matchPattern(bytes("a+c"), line, { length: 1 }), false);
  // Past the buffer (never written, or past -l) the byte is 0.
  assertEquals(matchPattern(bytes("ab+"), bytes("ab")), true);
  assertEquals(matchPattern(bytes("ab+"), line, { length: 2 }), false);
});

Deno.test("matchPattern() goes on past a pattern's NUL after a final `+`, as runit's pmatch", () => {
  // runit's inst for the lines "+a+" and "-b": after "+a+" eats the NUL byte, the
  // text's "-b" is matched by the next instruction's bytes, kind letter included.
  const program = new Uint8Array([0x2b, 0x61, 0x2b, 0, 0x2d, 0x62, 0]);
  const text = new Uint8Array([0x61, 0, 0x2d, 0x62]);
  assertEquals(matchPattern(program, text, { at: 1 }), true);
  assertEquals(matchPattern(program, text.subarray(0, 2), { at: 1 }), true);
  assertEquals(matchPattern(program, text.subarray(0, 3), { at: 1 }), false);
  assertEquals(matchPattern(program, text, { at: 5 }), false);
});

Deno.test("matchPattern() never throws on random bytes", () => {
  for (let i = 0; i < 2000; i++) {
    const p = crypto.getRandomValues(new Uint8Array(i % 7));
    const s = crypto.getRandomValues(new Uint8Array(i % 11));
    for (let j = 0; j < p.length; j++) if (j % 2 === 0) p[j] = [0x2a, 0x2b, 0x61][j % 3]!;
    matchPattern(p, s);
  }
});
