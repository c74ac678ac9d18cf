/**
 * svlogd's pattern language (spec svlogd.md §8.1; runit src/pmatch.c): `*` skips to the
 * first occurrence of the next pattern character (no backtracking), `+c` eats a run of c,
 * anything else is literal. Anchored at both ends. Works on bytes, like runit.
 *
 * The two cases where runit reads a stale byte (a `+` reached with the text used up, a
 * `+` ending the pattern) get the intended meaning the spec gives: no match, and "match
 * only if the text is used up".
 */

/**
 * Whether `text` matches `pattern` (both raw bytes).
 *
 * @example
 * ```ts
 * import { matchPattern } from "./pattern.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * matchPattern(b("*ok*"), b("ok")); // true
 * matchPattern(b("*ok*"), b("error ok")); // false: the star stops at the first "o"
 * ```
 */
export function matchPattern(
  pattern: Uint8Array,
  text: Uint8Array,
  textStart = 0,
  textEnd = text.length,
): boolean {
  let p = 0;
  let s = textStart;
  for (;;) {
    if (p >= pattern.length) return s >= textEnd;
    const c = pattern[p++]!;
    if (c === 0x2a) {
      // '*'
      if (p >= pattern.length) return true;
      const next = pattern[p]!;
      for (;;) {
        if (s >= textEnd) return false;
        if (text[s] === next) break;
        s++;
      }
      continue;
    }
    if (c === 0x2b) {
      // '+'
      if (p >= pattern.length) return s >= textEnd;
      const run = pattern[p++]!;
      if (s >= textEnd || text[s] !== run) return false;
      while (s < textEnd && text[s] === run) s++;
      // runit: the text used up inside the run is a match at once.
      if (s >= textEnd) return true;
      continue;
    }
    if (s >= textEnd || text[s] !== c) return false;
    s++;
  }
}
