/**
 * svlogd — the service logging daemon (spec svlogd.md; runit src/svlogd.c). A thin shell
 * around lib/svlogd/engine.ts: options, stdin, signals, exit codes.
 *
 * Input is read in large chunks and handed to the engine, which writes each log
 * directory once per chunk (DENO-NOTES.md §11). Signals act as runit's do: SIGHUP
 * re-reads config and reopens, SIGALRM rotates, SIGTERM stops reading, writes what was
 * read (a partial last line too) and exits 0, also while paused (DEVIATIONS.md 6, 7).
 */

import type { AppletContext } from "../lib/applet.ts";
import { ignoreInspectorSignal } from "../lib/daemon_signals.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { Reaper } from "../lib/reaper.ts";
import { errText, UsageError } from "../lib/sys_error.ts";
import { NoFunctionalDirs, SvlogdEngine, SvlogdStopped } from "../lib/svlogd/engine.ts";
// -V throws VersionRequest, a UsageError whose message is the version line.
import { parseSvlogdArgs, SVLOGD_USAGE, type SvlogdOptions } from "../lib/svlogd/options.ts";
import { setProcessName } from "../ffi/libc.ts";

export const meta = { name: "svlogd" } as const;

const EXIT_USAGE = 111; // svlogd: usage (runit src/svlogd.c)
const EXIT_FATAL = 111; // svlogd: fatal
const READ_SIZE = 1 << 16;

export async function main(args: readonly string[], ctx: AppletContext): Promise<number> {
  const usage = (): number => {
    writeStderr(usageText(ctx.argv0, SVLOGD_USAGE));
    return EXIT_USAGE;
  };
  let options: SvlogdOptions;
  try {
    options = parseSvlogdArgs(args, ctx.name);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message !== "") writeStderr(err.message + "\n");
      return usage();
    }
    throw err;
  }
  if (options.dirs.length === 0) return usage();
  ignoreInspectorSignal();
  try {
    setProcessName("svlogd");
  } catch {
    // only cosmetic
  }
  return await run(options);
}

/** Runs svlogd until end of input or SIGTERM; returns the exit code. */
async function run(options: SvlogdOptions): Promise<number> {
  const fatal = (text: string): number => {
    writeStderr(`svlogd: fatal: ${text}\n`);
    return EXIT_FATAL;
  };
  const reaper = new Reaper();
  reaper.start();
  let engine: SvlogdEngine;
  try {
    engine = await SvlogdEngine.start(options, {
      message: writeStderr,
      copyToStderr: writeStderr,
      reaper,
      resolve: (dir) => dir,
    });
  } catch (err) {
    if (err instanceof NoFunctionalDirs) return fatal(err.message);
    throw err;
  }

  let exitCode = 0;
  let finish!: () => void;
  const finished = new Promise<null>((resolve) => (finish = () => resolve(null)));
  let stopping = false;
  const onTerm = (): void => {
    engine.info("sigterm received.");
    stopping = true;
    engine.stop();
    finish();
  };
  const onHup = (): void => {
    engine.info("sighangup received.");
    engine.reload().catch((err) => {
      if (err instanceof NoFunctionalDirs) {
        writeStderr(`svlogd: fatal: ${err.message}\n`);
        exitCode = EXIT_FATAL;
        stopping = true;
        engine.stop();
        finish();
      }
    });
  };
  const onAlrm = (): void => {
    engine.info("sigalarm received.");
    engine.rotate().catch(() => {});
  };
  const onChld = (): void => engine.info("sigchild received.");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGHUP", onHup);
  Deno.addSignalListener("SIGALRM", onAlrm);
  Deno.addSignalListener("SIGCHLD", onChld);
  try {
    const buffer = new Uint8Array(Math.max(READ_SIZE, options.bufferSize));
    while (!stopping) {
      let count: number | null;
      try {
        count = await Promise.race([Deno.stdin.read(buffer), finished]);
      } catch (err) {
        writeStderr(`svlogd: warning: unable to read standard input: ${errText(err)}\n`);
        break;
      }
      if (count === null || stopping) break;
      try {
        await engine.write(buffer.subarray(0, count));
      } catch (err) {
        if (err instanceof SvlogdStopped || stopping) break;
        throw err;
      }
    }
    if (exitCode === 0) await engine.close();
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGHUP", onHup);
    Deno.removeSignalListener("SIGALRM", onAlrm);
    Deno.removeSignalListener("SIGCHLD", onChld);
  }
  return exitCode;
}
