/** sv — control and query supervised services (spec sv.md). */

import type { AppletContext } from "../lib/applet.ts";
import { getopt } from "../lib/getopt.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { UsageError } from "../lib/sys_error.ts";

export const meta = { name: "sv" } as const;

const EXIT_USAGE = 100; // sv: usage or fatal error
const EXIT_USAGE_LSB = 2; // sv in LSB init-script mode: usage

export function main(args: readonly string[], ctx: AppletContext): number {
  const lsb = ctx.name !== "sv";
  const usage = (): number => {
    writeStderr(
      usageText(ctx.name, lsb ? "[-w sec] command" : "[-v] [-w sec] command service ..."),
    );
    return lsb ? EXIT_USAGE_LSB : EXIT_USAGE;
  };
  let operands: string[];
  try {
    operands = getopt(args, "w:vV", ctx.name).operands;
  } catch (err) {
    if (err instanceof UsageError) {
      writeStderr(err.message + "\n");
      return usage();
    }
    throw err;
  }
  if (operands.length < (lsb ? 1 : 2)) return usage();
  writeStderr("sv: fatal: not implemented yet\n");
  return lsb ? 151 : 100;
}
