/**
 * svlogd's command line (spec svlogd.md §2; runit src/svlogd.c main). Pure: argv words in,
 * settings out; every rejection is a {@linkcode UsageError} (svlogd prints its usage and
 * exits 111). Shared by the CLI and the in-process sink (`log/svlogd` holds these words).
 */

import { getoptEach, scanUlongWrapping } from "../getopt.ts";
import { encodeEscaped } from "../escaped_text.ts";
import { UsageError } from "../sys_error.ts";

/** The usage line's arguments, after `usage: ARGV0 `. */
export const SVLOGD_USAGE = "[-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...";
/** What `-V` prints before the usage (Debian's runit 2.1.2 build). */
export const SVLOGD_VERSION = "$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $";

/** Timestamp style: none, `-t` TAI64N, `-tt` `_`-separated UTC, `-ttt` ISO 8601 `T`. */
export type StampStyle = 0 | 1 | 2 | 3;

/** Parsed svlogd settings. */
export interface SvlogdOptions {
  stamp: StampStyle;
  verbose: boolean;
  /** Replacement byte when `-r`/`-R` turned replacement on, otherwise undefined. */
  replaceWith: number | undefined;
  /** Extra bytes to replace (`-R`). */
  replaceBytes: Uint8Array;
  /** `-l`: line length kept for matching, stderr and UDP copies. */
  lineMax: number;
  /**
   * `-b`: buffer size; only checked against `-l` (reads are sized on their own: a size
   * runit's 32-bit allocation takes, e.g. 10^12, does not have to be allocated here).
   */
  bufferSize: number;
  /** Log directory operands, exactly as given. */
  dirs: string[];
}

/** Thrown for `-V`: the caller prints {@linkcode SVLOGD_VERSION} and then the usage. */
export class VersionRequest extends UsageError {
  override name = "VersionRequest";
}

/**
 * Parses svlogd's argv (without argv[0]). `name` is the program name used in getopt's
 * messages. Throws UsageError (message empty when only the usage line is due).
 *
 * @example
 * ```ts
 * import { parseSvlogdArgs } from "./options.ts";
 * parseSvlogdArgs(["-tt", "-l", "80", "d"], "svlogd").lineMax; // 80
 * ```
 */
export function parseSvlogdArgs(args: readonly string[], name: string): SvlogdOptions {
  const result: SvlogdOptions = {
    stamp: 0,
    verbose: false,
    replaceWith: undefined,
    replaceBytes: new Uint8Array(0),
    lineMax: 1000,
    bufferSize: 1024,
    dirs: [],
  };
  // Each option takes effect where it stands, as in runit's getopt loop: `-V` and a bad
  // `-r` end the parse before a later illegal option is seen.
  // Compared as runit's unsigned longs: 2^64 + 1 is 1.
  let lineMax = 1000n;
  let bufferSize = 1024n;
  const operands = getoptEach(args, "R:r:l:b:tvV", name, ({ letter, value }) => {
    switch (letter) {
      case "R":
        result.replaceBytes = encodeEscaped(value!);
        result.replaceWith ??= 0x5f; // '_'
        break;
      case "r": {
        // A byte that is not UTF-8 is one byte, as runit's `*optarg` (lib/escaped_text.ts).
        const bytes = encodeEscaped(value!);
        if (bytes.length !== 1) throw new UsageError("");
        result.replaceWith = bytes[0]!;
        break;
      }
      case "l":
        lineMax = scanUlongWrapping(value!).value || 1000n;
        break;
      case "b":
        bufferSize = scanUlongWrapping(value!).value || 1024n;
        break;
      case "t":
        if (result.stamp < 3) result.stamp = (result.stamp + 1) as StampStyle;
        break;
      case "v":
        result.verbose = true;
        break;
      case "V":
        throw new VersionRequest(SVLOGD_VERSION);
    }
  });
  result.dirs = operands;
  if (operands.length === 0) throw new UsageError("");
  if (bufferSize <= lineMax) throw new UsageError("");
  result.lineMax = Number(lineMax);
  result.bufferSize = Number(bufferSize);
  return result;
}
