/**
 * runsvdir — supervise every service directory of a scan directory, in this one process
 * (spec runsvdir.md; ARCHITECTURE.md §2; DEVIATIONS.md 11, 13, 14). One Supervisor per
 * service (lib/supervise/supervisor.ts) speaks runit's supervise/ protocol, so `sv` sees
 * no difference from a runsv per service.
 *
 * Signals: SIGTERM stops every service (each its main service, then its log) and exits 0;
 * SIGHUP the same, exit 111; SIGALRM forces a rescan (Debian); SIGINT stops every service
 * and then dies of SIGINT, as runit's runsvdir dies of it (nothing is left unsupervised).
 */

import type { AppletContext } from "../lib/applet.ts";
import { getpid, getppid, kill, setProcessName, setSignalDisposition } from "../ffi/libc.ts";
import { DirectoryPaths } from "../ffi/dir.ts";
import { ArgArea } from "../ffi/proctitle.ts";
import { ignoreInspectorSignal } from "../lib/daemon_signals.ts";
import { takeExactArguments } from "../lib/escaped_text.ts";
import { openStartDirectory } from "../lib/fs_probe.ts";
import { Messenger, usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { Reaper } from "../lib/reaper.ts";
import { scheduleStartupRelease } from "../lib/startup_pages.ts";
import { parseRunsvdirArgs } from "../lib/runsvdir/args.ts";
import type { RunsvdirHost } from "../lib/runsvdir/host.ts";
import { createTree } from "../lib/runsvdir/tree.ts";
import { currentProcess1View, stopTimeoutUnder } from "../lib/runsvdir/stop_deadline.ts";
import { type LogArea, openLogArea } from "../lib/runsvdir/log_area.ts";
import { LOG_ARG_MIN } from "../lib/runsvdir/log_window.ts";
import { SIGINT } from "../lib/signals.ts";
import { encodeText } from "../lib/text_encoding.ts";

export const meta = { name: "runsvdir" } as const;

const EXIT_TERM = 0; // runsvdir: SIGTERM
const EXIT_USAGE = 1; // runsvdir: usage (runit src/runsvdir.c)
const EXIT_NO_CWD = 100; // runsvdir: cannot open the current directory
const EXIT_HUP = 111; // runsvdir: SIGHUP

/** Shows `argv0 args…` in ps, with the log argument's current bytes. */
function makeTitle(
  ctx: AppletContext,
  args: readonly string[],
  logIndex: number,
  logBytes: Uint8Array | undefined,
): () => void {
  let area: ArgArea | undefined;
  try {
    area = ArgArea.open();
  } catch {
    area = undefined;
  }
  const parts: Uint8Array[] = [ctx.argv0, ...args].map(encodeText);
  return () => {
    if (area === undefined) return;
    if (logBytes !== undefined) parts[logIndex + 1] = logBytes;
    try {
      area.write(parts);
    } catch {
      area = undefined; // cosmetic only
    }
  };
}

export async function main(given: readonly string[], ctx: AppletContext): Promise<number> {
  // A directory name that is not UTF-8 is kept byte for byte (reached and printed so).
  const args = takeExactArguments(given);
  const parsed = parseRunsvdirArgs(args);
  if (parsed === undefined) {
    writeStderr(usageText(ctx.argv0, "[-P] dir"));
    return EXIT_USAGE;
  }
  const { dir, newSession, log, logIndex } = parsed;

  // Listeners before anything else: without one, Deno dies of these signals and would
  // leave every service running unsupervised.
  let requestStop!: (how: "term" | "hup" | "int") => void;
  const stopRequested = new Promise<"term" | "hup" | "int">((resolve) => (requestStop = resolve));
  const onTerm = (): void => requestStop("term");
  const onHup = (): void => requestStop("hup");
  const onInt = (): void => requestStop("int");
  const hosted: { host?: RunsvdirHost } = {};
  const onAlrm = (): void => hosted.host?.forceRescan();
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGHUP", onHup);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGALRM", onAlrm);
  ignoreInspectorSignal();
  try {
    setProcessName("runsvdir");
  } catch {
    // cosmetic only
  }

  const say = new Messenger(`runsvdir ${dir}`);
  // A bug in one supervisor's callback (a reaper handler, a pipe read) must not end
  // the process that supervises everything: report it and keep going.
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    say.warn(
      `internal error: ${event.error instanceof Error ? event.error.message : event.message}`,
    );
  });
  let logBytes: Uint8Array | undefined;
  let logArea: LogArea | undefined;
  let updateTitle = makeTitle(ctx, args, logIndex, undefined);
  if (log !== undefined) {
    const bytes = encodeText(log);
    if (bytes.length < LOG_ARG_MIN) {
      say.warn("log must have at least seven characters.");
      say.warn("log service disabled.");
    } else {
      logBytes = bytes;
      updateTitle = makeTitle(ctx, args, logIndex, logBytes);
      try {
        logArea = openLogArea(logBytes, () => updateTitle());
      } catch (err) {
        say.warn(err instanceof Error ? err.message : String(err));
        say.warn("log service disabled.");
        logBytes = undefined;
      }
    }
  }
  updateTitle();

  try {
    openStartDirectory();
  } catch (err) {
    say.fatal("unable to open current directory", err);
    return EXIT_NO_CWD;
  }

  const reaper = new Reaper();
  // Children of supervisors already forgotten are reaped silently, as runsvdir does.
  reaper.start(() => {});
  // A name that is not UTF-8 is opened by its bytes before each stat and scanned as
  // /proc/self/fd/N: renamed or replaced, it is found again by name, as runit's is.
  const paths = new DirectoryPaths();
  const host = createTree({ dir, reach: (name) => paths.resolve(name), newSession, reaper, say });
  hosted.host = host;
  host.start();
  scheduleStartupRelease();

  const how = await stopRequested;
  // As stage 2 of Debian's runit, SIGKILL comes 5 s after SIGTERM: stop within that.
  await host.stopAll(stopTimeoutUnder(currentProcess1View(getppid())));
  logArea?.close();
  if (how === "int") {
    // runit's runsvdir dies of SIGINT; do the same now that nothing runs any more.
    Deno.removeSignalListener("SIGINT", onInt);
    setSignalDisposition(SIGINT, "default");
    kill(getpid(), SIGINT);
  }
  return how === "hup" ? EXIT_HUP : EXIT_TERM;
}
