/**
 * sv's `check` script runner (runit src/sv.c checkscript(); spec supervise-protocol.md
 * §9). Loaded only when sv waits.
 */

import { waitpid } from "../../ffi/libc.ts";
import { spawn } from "../../ffi/spawn.ts";
import { writeStderr } from "../output.ts";
import { errText } from "../sys_error.ts";

/** runit's child: `./check`, cwd the service dir, stdout closed; sv waits for it. */
export function runCheck(name: string): boolean {
  let pid: number;
  try {
    pid = spawn({ argv: ["./check"], path: "check", closes: [1] });
  } catch (err) {
    // The C child prints this and exits 0: a check that cannot run counts as passed.
    writeStderr(`warning: unable to run ${name}/check: ${errText(err)}\n`);
    return true;
  }
  let result: ReturnType<typeof waitpid>;
  try {
    result = waitpid(pid, 0);
  } catch (err) {
    writeStderr(`warning: unable to wait for child ${name}/check: ${errText(err)}\n`);
    return false;
  }
  if (result === null) return false;
  // runit: !wait_exitcode(w), so a check killed by a signal counts as passed.
  return ((result.status.raw >> 8) & 0xff) === 0;
}
