/**
 * sv's `check` script runner (runit src/sv.c checkscript(); spec supervise-protocol.md
 * §9). Loaded only when sv waits.
 */

import { setSignalDisposition, waitpid } from "../../ffi/libc.ts";
import { spawn } from "../../ffi/spawn.ts";
import { launcherSignals } from "../launch.ts";
import { SIGKILL, SIGSTOP } from "../signals.ts";
import { writeStderr } from "../output.ts";
import { errText } from "../sys_error.ts";

/**
 * The signals sv's caller left ignored (the C launcher's record of them): runit's sv
 * forks and execs `check`, which inherits them. Deno ignores SIGPIPE itself and arms
 * handlers of its own, so sv's own dispositions do not say.
 */
function callerIgnored(): number[] {
  const ignored = launcherSignals()?.ignored ?? 0n;
  const signals: number[] = [];
  for (let signal = 1; signal <= 64; signal++) {
    if (signal === SIGKILL || signal === SIGSTOP) continue;
    if ((ignored >> BigInt(signal - 1)) & 1n) signals.push(signal);
  }
  return signals;
}

/** runit's child: `./check`, cwd the service dir, stdout closed; sv waits for it. */
export function runCheck(name: string): boolean {
  const ignored = callerIgnored();
  // As runit's sv: ignored here too, which posix_spawn passes on (ffi/spawn.ts).
  for (const signal of ignored) setSignalDisposition(signal, "ignore");
  let pid: number;
  try {
    pid = spawn({ argv: ["./check"], path: "check", closes: [1], ignored });
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
