/**
 * svlogd's pattern language (spec svlogd.md §8.1; runit src/pmatch.c): `*` skips to the
 * first occurrence of the next pattern character (no backtracking), `+c` eats a run of c,
 * anything else is literal. Anchored at both ends. Works on bytes, like runit.
 *
 * Two reads of runit's go past the text, and Debian's svlogd acts on what they find, so
 * they are reproduced here:
 *
 * - `+c` compares `c` with the byte at the text's end before it checks the length. The
 *   text is svlogd's line buffer, so that byte is left over from an earlier, longer line
 *   (0 where no line reached, and past `-l`): an empty line matches `+a` when the line
 *   before started with `a`. The caller passes the whole line buffer and the length.
 * - A `+` that ends a pattern takes the pattern's NUL as `c`: it matches a run of NUL
 *   bytes (that stale 0 included) and then goes on matching with the bytes after that
 *   NUL, runit's next instruction, kind letter and all. The caller passes the whole
 *   instruction list (`LogDirConfig.program`) and where the pattern starts; bytes past
 *   the end of either read as 0, as the unwritten memory after them does in runit.
 */

/** Where the pattern and the line sit in what {@linkcode matchPattern} is given. */
export interface MatchOptions {
  /** Where the pattern starts in `pattern` (default 0); it ends at a NUL or the end. */
  at?: number;
  /** Bytes of `line` that are the text (default all); those after it are stale. */
  length?: number;
}

/**
 * Whether the line matches the pattern, as runit's pmatch() decides.
 *
 * @example
 * ```ts
 * import { matchPattern } from "./pattern.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * matchPattern(b("*ok*"), b("ok")); // true
 * matchPattern(b("*ok*"), b("error ok")); // false: the star stops at the first "o"
 * matchPattern(b("+a"), b("abc"), { length: 0 }); // true: the stale "a" of a longer line
 * ```
 */
export function matchPattern(
  pattern: Uint8Array,
  line: Uint8Array,
  options: MatchOptions = {},
): boolean {
  let p = options.at ?? 0;
  let s = 0;
  let len = options.length ?? line.length;
  for (;;) {
    const c = pattern[p++] ?? 0;
    if (c === 0) return len === 0;
    if (c === 0x2a) {
      // '*'
      const next = pattern[p] ?? 0;
      if (next === 0) return true;
      for (;;) {
        if (len === 0) return false;
        if (line[s] === next) break;
        s++;
        len--;
      }
      continue;
    }
    if (c === 0x2b) {
      // '+': runit reads the run's byte and the text's next byte before any length check.
      const run = pattern[p++] ?? 0;
      if (run !== (line[s] ?? 0)) return false;
      for (;;) {
        if (len === 0) return true;
        if (line[s] !== run) break;
        s++;
        len--;
      }
      continue;
    }
    if (len === 0 || line[s] !== c) return false;
    s++;
    len--;
  }
}
