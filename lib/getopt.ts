/**
 * runit's getopt (spec chpst.md Appendix B), not POSIX getopt and not node:util parseArgs:
 * stops at the first word not starting with `-`, at a lone `-` (kept as an operand) and
 * at any word starting with `--` (consumed: runit's sgetopt looks at the second byte only,
 * so `--foo` ends the options as `--` does; Appendix B says exactly `--`, Debian's binaries
 * disagree); clusters `-abc`; an argument is the rest of the word or the next word
 * whatever it looks like; no reordering. Letters are bytes, as in C: an illegal `-é` is
 * reported by its first byte.
 */

import { encodeEscaped, useEscapedText } from "./escaped_text.ts";
import { UsageError } from "./sys_error.ts";

/** One parsed option: its letter and, for options that take one, the argument. */
export interface ParsedOption {
  letter: string;
  value: string | undefined;
}

/** Options in order, and the operands after them. */
export interface GetoptResult {
  options: ParsedOption[];
  operands: string[];
}

/**
 * Parses `args` (argv without argv[0]) against a spec such as `"vw:"`: a letter followed
 * by `:` takes an argument. Errors throw {@linkcode UsageError} with runit's exact text
 * (`NAME: illegal option -- X`) and no newline; NAME is the caller's.
 *
 * @example
 * ```ts
 * import { getopt } from "./getopt.ts";
 * getopt(["-vw3", "up", "x"], "vw:", "sv"); // options v, w=3; operands up, x
 * ```
 */
export function getopt(args: readonly string[], spec: string, name: string): GetoptResult {
  const options: ParsedOption[] = [];
  const operands = getoptEach(args, spec, name, (option) => options.push(option));
  return { options, operands };
}

/**
 * {@linkcode getopt} one option at a time, as runit's programs loop over getopt(): each
 * option is handed to `onOption` before the next word is looked at, so an error that
 * `onOption` throws (a bad number) wins over a later illegal option. Returns the operands.
 *
 * @example
 * ```ts
 * import { getoptEach } from "./getopt.ts";
 * const seen: string[] = [];
 * getoptEach(["-v", "x"], "v", "chpst", (o) => seen.push(o.letter)); // ["x"]; seen = ["v"]
 * ```
 */
export function getoptEach(
  args: readonly string[],
  spec: string,
  name: string,
  onOption: (option: ParsedOption) => void,
): string[] {
  const takesArg = new Map<string, boolean>();
  for (let i = 0; i < spec.length; i++) {
    const letter = spec[i]!;
    if (letter === ":") continue;
    takesArg.set(letter, spec[i + 1] === ":");
  }
  let index = 0;
  while (index < args.length) {
    const word = args[index]!;
    if (word.startsWith("--")) {
      index++;
      break;
    }
    if (!word.startsWith("-") || word === "-") break;
    index++;
    for (let pos = 1; pos < word.length; pos++) {
      const letter = word[pos]!;
      const wants = takesArg.get(letter);
      if (wants === undefined) {
        throw new UsageError(`${name}: illegal option -- ${firstByte(word.slice(pos))}`);
      }
      if (!wants) {
        onOption({ letter, value: undefined });
        continue;
      }
      const rest = word.slice(pos + 1);
      if (rest !== "") {
        onOption({ letter, value: rest });
      } else if (index < args.length) {
        onOption({ letter, value: args[index++]! });
      } else {
        throw new UsageError(`${name}: option requires an argument -- ${letter}`);
      }
      break;
    }
  }
  return args.slice(index);
}

/** runit's scan_ulong: the longest prefix of decimal digits; none gives 0. */
export function scanUlong(text: string): number {
  const match = /^[0-9]*/.exec(text)![0];
  return match === "" ? 0 : Number(match);
}

/**
 * runit's scan_ulong into a 64-bit `unsigned long`, as C computes it: the longest prefix
 * of decimal digits modulo 2^64 (none gives 0), and how many digits it read.
 *
 * @example
 * ```ts
 * import { scanUlongWrapping } from "./getopt.ts";
 * scanUlongWrapping("18446744073709551617x"); // { value: 1n, digits: 20 }
 * ```
 */
export function scanUlongWrapping(text: string): { value: bigint; digits: number } {
  const match = /^[0-9]*/.exec(text)![0];
  return { value: match === "" ? 0n : BigInt.asUintN(64, BigInt(match)), digits: match.length };
}

/** The first byte of `text` as one character: itself when ASCII, else its escaped form. */
function firstByte(text: string): string {
  const byte = encodeEscaped(text)[0]!;
  if (byte < 0x80) return String.fromCharCode(byte);
  useEscapedText(); // printed as the byte itself (lib/escaped_text.ts)
  return String.fromCharCode(0xdc00 + byte);
}
