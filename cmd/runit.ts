/** runit — process 1: stages 1, 2, 3 (spec runit.md §2). */

import type { AppletContext } from "../lib/applet.ts";
import { setProcessName } from "../ffi/libc.ts";
import { ArgArea } from "../ffi/proctitle.ts";
import { writeStderr } from "../lib/output.ts";
import { startRunit } from "../lib/runit/pid1.ts";
import { VERSION_ID } from "../lib/runit/version.ts";

export const meta = { name: "runit" } as const;

const EXIT_FATAL = 111; // runit: not process 1

/**
 * Runs runit as process 1; never resolves there. Also the entry for runit-init when it
 * is process 1 (DEVIATIONS.md 12: no exec of /sbin/runit).
 */
export function becomeRunit(): Promise<never> {
  // Listeners first: HUP, INT or TERM without one crashes Deno as pid 1.
  const runit = startRunit(VERSION_ID);
  try {
    // `ps` shows "runit", not the launcher's `deno run …` (ARCHITECTURE.md §1).
    setProcessName("runit");
    ArgArea.open()?.write([new TextEncoder().encode("runit")]);
  } catch {
    // cosmetic only
  }
  return runit.run();
}

export function main(_args: readonly string[], _ctx: AppletContext): number | Promise<number> {
  // runit takes no arguments and ignores any it is given.
  if (Deno.pid !== 1) {
    writeStderr("- runit: fatal: must be run as process no 1.\n");
    return EXIT_FATAL;
  }
  return becomeRunit();
}
