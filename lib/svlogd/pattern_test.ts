import { assertEquals } from "../../tests/_assert.ts";
import { matchPattern } from "./pattern.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const match = (p: string, s: string): boolean => matchPattern(bytes(p), bytes(s));

// spec svlogd.md §8.1, the observed table (edge cases included with the intended meaning).
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

Deno.test("matchPattern() honours a sub-range of the text", () => {
  const text = bytes("xxabcxx");
  assertEquals(matchPattern(bytes("a*c"), text, 2, 5), true);
  assertEquals(matchPattern(bytes("a*c"), text, 2, 6), false);
});

Deno.test("matchPattern() never throws on random bytes", () => {
  for (let i = 0; i < 2000; i++) {
    const p = crypto.getRandomValues(new Uint8Array(i % 7));
    const s = crypto.getRandomValues(new Uint8Array(i % 11));
    for (let j = 0; j < p.length; j++) if (j % 2 === 0) p[j] = [0x2a, 0x2b, 0x61][j % 3]!;
    matchPattern(p, s);
  }
});
