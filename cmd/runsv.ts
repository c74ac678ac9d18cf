/** runsv — supervise one service and its optional log service (spec runsv.md). */

import type { AppletContext } from "../lib/applet.ts";
import { setProcessName } from "../ffi/libc.ts";
import { ArgArea } from "../ffi/proctitle.ts";
import { ignoreInspectorSignal, keepInheritedIgnores } from "../lib/daemon_signals.ts";
import { takeExactArguments } from "../lib/escaped_text.ts";
import { Messenger, usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { Reaper } from "../lib/reaper.ts";
import { scheduleStartupRelease } from "../lib/startup_pages.ts";
import { SignalWait } from "../lib/supervise/signal_wait.ts";
import { Supervisor, SupervisorFatal } from "../lib/supervise/supervisor.ts";
import { createSvlogdSink } from "../lib/svlogd/sink.ts";

export const meta = { name: "runsv" } as const;

const EXIT_OK = 0; // runsv: told to exit and everything stopped
const EXIT_USAGE = 1; // runsv: usage (runit src/runsv.c)
const EXIT_FATAL = 111; // runsv: fatal error during start-up

export async function main(given: readonly string[], ctx: AppletContext): Promise<number> {
  // A directory name that is not UTF-8 is kept byte for byte (opened and printed so).
  const args = takeExactArguments(given);
  if (args.length !== 1) {
    // runsv prints argv[0] as given, not its basename.
    writeStderr(usageText(ctx.argv0, "dir"));
    return EXIT_USAGE;
  }
  ignoreInspectorSignal();
  // HUP and INT keep their default and kill runsv, as runit's; unless they came ignored.
  keepInheritedIgnores(["SIGTERM"]);
  const dir = args[0]!;
  try {
    // ps shows `runsv DIR` as for the C runsv, also when started through the launcher.
    setProcessName("runsv");
    const encoder = new TextEncoder();
    ArgArea.open()?.write([encoder.encode(ctx.argv0), encoder.encode(dir)]);
  } catch {
    // cosmetic only
  }
  const reaper = new Reaper();
  reaper.start();
  const say = new Messenger(`runsv ${dir}`);
  // Started by the launcher, CHLD and TERM come blocked: taken from a signalfd.
  const signalWait = SignalWait.open();
  // A log/ with no run but a log/svlogd file is logged in this process (DEVIATIONS 13).
  const supervisor = new Supervisor({
    dir,
    reaper,
    messenger: say,
    logSinkFactory: createSvlogdSink,
    signalWait,
  });
  // Deno's binary: ~29 MB resident after start-up, which runsv pays for at each wake-up.
  scheduleStartupRelease(signalWait);
  // runsv handles TERM (as `x`) and CHLD only; HUP, INT… keep their default and kill it.
  const onTerm = (): void => void supervisor.terminate();
  const listening = signalWait === undefined;
  if (listening) Deno.addSignalListener("SIGTERM", onTerm);
  try {
    await supervisor.start();
  } catch (err) {
    if (listening) Deno.removeSignalListener("SIGTERM", onTerm);
    if (err instanceof SupervisorFatal) {
      say.fatal(err.message);
      return EXIT_FATAL;
    }
    throw err;
  }
  await supervisor.finished;
  if (listening) Deno.removeSignalListener("SIGTERM", onTerm);
  return EXIT_OK;
}
