/** sv — control and query supervised services (spec sv.md). */

import type { AppletContext } from "../lib/applet.ts";
import { envValue } from "../lib/env.ts";
import { takeExactArguments, takeExactEnv } from "../lib/escaped_text.ts";
import { getoptEach, scanUlongWrapping } from "../lib/getopt.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { UsageError } from "../lib/sys_error.ts";
import { parseCommand } from "../lib/sv/commands.ts";
import { runSession, SvFatal } from "../lib/sv/session.ts";

// Only `check` scripts are children of sv, and ffi/spawn.ts settles the environment first.
export const meta = { name: "sv", settleEnvironmentLate: true, brokenPipeKills: true } as const;

const EXIT_USAGE = 100; // sv: usage or fatal error
const EXIT_USAGE_LSB = 2; // sv in LSB init-script mode: usage
const EXIT_FATAL_LSB = 151; // sv in LSB init-script mode: fatal error
/** Debian's sv -V line. */
const VERSION = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $";
/** Debian's default service directory (upstream: /service/). */
const DEFAULT_SVDIR = "/etc/service/";
const DEFAULT_WAIT = 7;

/**
 * sv's main. Synchronous unless the command waits (`sv status` is start-up bound: see
 * lib/sv/session.ts runSession).
 */
export function main(given: readonly string[], ctx: AppletContext): number | Promise<number> {
  // Service names that are not UTF-8 are kept byte for byte (printed and reached so).
  const args = takeExactArguments(given);
  // Normal mode only under the exact name sv; any other name is an LSB init script.
  const lsb = ctx.name !== "sv";
  const usage = (): number => {
    writeStderr(
      usageText(ctx.name, lsb ? "[-w sec] command" : "[-v] [-w sec] command service ..."),
    );
    return lsb ? EXIT_USAGE_LSB : EXIT_USAGE;
  };
  const svdir = takeExactEnv("SVDIR") ?? DEFAULT_SVDIR; // bytes that are not UTF-8 kept
  const svwait = envValue("SVWAIT");
  // runit's unsigned long: 2^64 + 1 seconds is 1.
  const seconds = (text: string) => Number(scanUlongWrapping(text).value);
  let wait = svwait === undefined ? DEFAULT_WAIT : seconds(svwait);
  let verbose = false;
  let operands: string[];
  const first = args[0];
  if (first === undefined || first[0] !== "-" || first === "-") {
    // No option: runit's getopt would stop at once (lib/getopt.ts), and parsing costs
    // `sv status` start-up time (its first call compiles it).
    operands = [...args];
  } else {
    try {
      // Each option as it comes, as runit's loop: `-V -x` prints the version, then usage.
      operands = getoptEach(args, "w:vV", ctx.name, (option) => {
        if (option.letter === "w") wait = seconds(option.value ?? "");
        if (option.letter === "w" || option.letter === "v") verbose = true;
        if (option.letter === "V") throw new UsageError(VERSION); // its line, then usage
      });
    } catch (err) {
      if (err instanceof UsageError) {
        writeStderr(err.message + "\n");
        return usage();
      }
      throw err;
    }
  }
  const action = operands[0];
  if (action === undefined) return usage();
  const services = lsb ? [ctx.name] : operands.slice(1);
  if (services.length === 0) return usage();
  const command = parseCommand(action, verbose, lsb);
  if (command === undefined) return usage();
  const fatal = (err: unknown): number => {
    if (!(err instanceof SvFatal)) throw err;
    writeStderr(`fatal: ${err.message}\n`);
    return lsb ? EXIT_FATAL_LSB : EXIT_USAGE;
  };
  let result: number | Promise<number>;
  try {
    result = runSession({ command, services, lsb, svdir, wait });
  } catch (err) {
    return fatal(err);
  }
  return typeof result === "number" ? result : result.catch(fatal);
}
