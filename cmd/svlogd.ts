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
import {
  ignoreInspectorSignal,
  keepInheritedIgnores,
  releaseHeldSignals,
} from "../lib/daemon_signals.ts";
import { SIGALRM, SIGHUP, SIGTERM } from "../lib/signals.ts";
import { scheduleStartupRelease } from "../lib/startup_pages.ts";
import { takeExactArguments, useEscapedText } from "../lib/escaped_text.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { openStartDirectory } from "../lib/fs_probe.ts";
import { Reaper } from "../lib/reaper.ts";
import { errText, UsageError } from "../lib/sys_error.ts";
import { NoFunctionalDirs, SvlogdEngine, SvlogdStopped } from "../lib/svlogd/engine.ts";
// -V throws VersionRequest, a UsageError whose message is the version line.
import { parseSvlogdArgs, SVLOGD_USAGE, type SvlogdOptions } from "../lib/svlogd/options.ts";
import { DirectoryPaths } from "../ffi/dir.ts";
import { readableNow, readAvailable, setProcessName } from "../ffi/libc.ts";
import { readableOffThread } from "../ffi/wait.ts";
import { ArgArea } from "../ffi/proctitle.ts";

export const meta = { name: "svlogd" } as const;

const EXIT_USAGE = 111; // svlogd: usage (runit src/svlogd.c)
const EXIT_FATAL = 111; // svlogd: fatal
const READ_SIZE = 1 << 16;
/** Reads take at most this much, whatever `-b` says (its size only bounds `-l`). */
const READ_SIZE_MAX = 1 << 20;
/**
 * How long a small file's fsync or unlink may hold svlogd, as runit's holds it, before
 * it goes to Deno's blocking pool (lib/svlogd/logdir.ts, SMALL_FILE_BYTES): a healthy
 * disk takes 0.5-1 ms here, a busy or failing one far longer.
 */
const SMALL_FILE_BLOCK_MS = 2;
/** Reads made at once while data waits, before one through the event loop (signals). */
const TURN_EVERY_READS = 8;

export async function main(given: readonly string[], ctx: AppletContext): Promise<number> {
  // Log directory names, `-r`/`-R` bytes and config texts that are not UTF-8 are kept
  // byte for byte (reached and printed so).
  useEscapedText();
  const args = takeExactArguments(given);
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
  // Log directories are named relative to the starting directory.
  try {
    openStartDirectory();
  } catch (err) {
    writeStderr(`svlogd: fatal: unable to open current working directory: ${errText(err)}\n`);
    return EXIT_FATAL;
  }
  ignoreInspectorSignal();
  keepInheritedIgnores(["SIGTERM", "SIGHUP"]); // INT: default, unless it came ignored
  try {
    // `ps` shows svlogd and its arguments, not Deno's command line (ARCHITECTURE.md §1).
    setProcessName("svlogd");
    const encoder = new TextEncoder();
    ArgArea.open()?.write([ctx.argv0, ...args].map((word) => encoder.encode(word)));
  } catch {
    // only cosmetic
  }
  scheduleStartupRelease();
  return await run(options);
}

/** svlogd reads its input from fd 0. */
const STDIN = 0;
/** Grace after SIGTERM for data already on its way (the read in flight). */
const TERM_GRACE_MS = 100;
/** Longest wait after SIGTERM for the rest of a line already begun. */
const TERM_LINE_GRACE_MS = 1000;

/**
 * One read of standard input: null at its end. The wait for data is a poll on Deno's
 * blocking pool, and the read itself is made here, on this thread, only when the caller
 * still wants it: a read left waiting in the pool (Deno.stdin.read) when SIGTERM ends
 * svlogd went on to take the next lines out of the pipe after svlogd had stopped looking,
 * and they were lost (a soak: the first lines of a service's next run, 1 in 4 seeds).
 *
 * When `mayReadNow` and data is already waiting (a zero-timeout poll), it is read at once:
 * the hand-off to the pool and back was a third of svlogd's time on 1 M lines. Signals
 * are taken only in turns of the event loop, which that path does not give: the caller
 * lets every TURN_EVERY_READS-th read wait on the pool, so a flood of input cannot keep
 * SIGTERM out (tests/svlogd_busy_input_test.ts).
 */
async function readInput(
  buffer: Uint8Array<ArrayBuffer>,
  wanted: () => boolean,
  mayReadNow: boolean,
  lineRestOnly: () => boolean,
): Promise<number | null | undefined> {
  for (;;) {
    if (!mayReadNow || !readableNow([STDIN])[0]) {
      await readableOffThread(STDIN);
      if (!wanted()) return undefined; // given up on: the data stays in the pipe
    }
    mayReadNow = false;
    // Asked after the wait: SIGTERM may have come meanwhile (the read in flight).
    const count = lineRestOnly() ? readToNewline(buffer) : readAvailable(STDIN, buffer);
    if (count > 0) return count;
    if (count === 0) return null;
    // EAGAIN: another reader took it first (stdin shared and non-blocking); wait again.
  }
}

/**
 * After SIGTERM, the rest of the line begun: a byte at a time while bytes are there, up
 * to its newline, so that nothing after it leaves the pipe. A chunk read whole took the
 * next lines too, and a flood of input kept svlogd reading for its whole second of
 * grace, megabytes written after the signal (found by a soak). Returns as readAvailable.
 */
function readToNewline(buffer: Uint8Array<ArrayBuffer>): number {
  let count = 0;
  while (count < buffer.length) {
    const got = readAvailable(STDIN, buffer.subarray(count, count + 1));
    if (got <= 0) return count > 0 ? count : got;
    count++;
    if (buffer[count - 1] === 0x0a || !readableNow([STDIN])[0]) break;
  }
  return count;
}

/**
 * Resolves with the promise's value, or undefined after `ms`; `onTimeout` runs first,
 * in the timer's own turn (so a read given up on cannot start after it).
 */
function within<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => void,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) =>
    timer = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, ms)
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs svlogd until end of input or SIGTERM; returns the exit code. */
async function run(options: SvlogdOptions): Promise<number> {
  const reaper = new Reaper();
  reaper.start();
  let engine: SvlogdEngine | undefined;
  let exitCode = 0;
  let stopping = false;
  let termAt = 0;
  let finish!: () => void;
  const finished = new Promise<"term">((resolve) => (finish = () => resolve("term")));
  const stop = (): void => {
    if (!stopping) termAt = Date.now();
    stopping = true;
    engine?.stop();
    finish();
  };
  // Installed before the directories are opened, as runit does: a signal never kills us.
  const onTerm = (): void => {
    engine?.info("sigterm received.");
    stop();
  };
  const onHup = (): Promise<void> => {
    if (engine === undefined) return Promise.resolve();
    engine.info("sighangup received.");
    return engine.reload().catch((err) => {
      if (err instanceof NoFunctionalDirs) {
        writeStderr(`svlogd: fatal: ${err.message}\n`);
        exitCode = EXIT_FATAL;
        stop();
      }
    });
  };
  const onAlrm = (): Promise<void> => {
    if (engine === undefined) return Promise.resolve();
    engine.info("sigalarm received.");
    return engine.rotate().catch(() => {});
  };
  // runit reaps a processor that a rotation (or the exit) waits for in wait_pid(), with
  // SIGCHLD blocked: its signal stays pending, and the handler's `sigchild received.`
  // comes once (pending signals merge) when svlogd next waits for input, never after the
  // last read. Other exits are reported at once, as runit's handler does while it waits.
  let chldPending = false;
  let lastRead = false;
  const reportChld = (): void => {
    if (!chldPending || lastRead) return;
    chldPending = false;
    engine?.info("sigchild received.");
  };
  const onChld = (): void => {
    if (engine === undefined) return;
    if (engine.waitingForProcessor) {
      if (!chldPending) void engine.settle().then(reportChld);
      chldPending = true;
      return;
    }
    chldPending = true;
    reportChld();
  };
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGHUP", onHup);
  Deno.addSignalListener("SIGALRM", onAlrm);
  Deno.addSignalListener("SIGCHLD", onChld);
  // Held by the launcher until now, so that an early one does not kill svlogd; TERM now,
  // so that it ends an open that pauses, HUP and ALRM once the directories are open.
  if (releaseHeldSignals([SIGTERM]).length > 0) onTerm();
  // Log directories are used through an fd, as runit's (ffi/dir.ts): one renamed while in
  // use is still written to, and a name that is not UTF-8 is reached by its bytes.
  const directories = new DirectoryPaths({ always: true });
  try {
    engine = SvlogdEngine.create(options, {
      smallFileBlockMs: SMALL_FILE_BLOCK_MS,
      message: writeStderr,
      copyToStderr: writeStderr,
      reaper,
      resolve: (dir) => directories.resolve(dir),
    });
    if (stopping) engine.stop();
    try {
      // SIGTERM while opening pauses (an unwritable current) ends the wait: exit 0.
      await engine.open();
    } catch (err) {
      if (err instanceof NoFunctionalDirs) {
        writeStderr(`svlogd: fatal: ${err.message}\n`);
        return EXIT_FATAL;
      }
      if (err instanceof SvlogdStopped) return exitCode;
      throw err;
    }
    // Those that came before are acted on before the first read, in runit's order.
    const came = releaseHeldSignals([SIGHUP, SIGALRM]);
    if (came.includes(SIGALRM)) await onAlrm();
    if (came.includes(SIGHUP)) await onHup();
    const buffer = new Uint8Array(Math.min(READ_SIZE_MAX, Math.max(READ_SIZE, options.bufferSize)));
    let readsInARow = 0;
    for (;;) {
      let count: number | null | undefined;
      try {
        let wanted = true;
        const giveUp = (): void => void (wanted = false);
        const into = buffer.subarray(0, Math.min(buffer.length, engine.readLimit));
        const reading = readInput(
          into,
          () => wanted,
          (++readsInARow % TURN_EVERY_READS) !== 0,
          () => stopping && engine!.midLine,
        );
        // After SIGTERM: only data already on its way, or the rest of a begun line (also
        // for the read that was waiting when the signal came).
        // Between lines, only what is already in the pipe: nothing to wait for otherwise.
        const graceMs = (): number =>
          engine!.midLine
            ? Math.max(0, termAt + TERM_LINE_GRACE_MS - Date.now())
            : readableNow([STDIN])[0]
            ? TERM_GRACE_MS
            : 0;
        if (!stopping) {
          const first = await Promise.race([reading, finished]);
          count = first === "term" ? await within(reading, graceMs(), giveUp) : first;
        } else {
          count = await within(reading, graceMs(), giveUp);
        }
      } catch (err) {
        writeStderr(`svlogd: warning: unable to read standard input: ${errText(err)}\n`);
        break;
      }
      if (count === null || count === undefined) {
        // runit's last wait for input (the read that finds the end) comes after the lines
        // before it are written: a signal pending from their rotations is reported.
        if (count === null) {
          await engine.settle();
          reportChld();
        }
        break;
      }
      try {
        await engine.write(buffer.subarray(0, count));
      } catch (err) {
        if (err instanceof SvlogdStopped) break;
        throw err;
      }
      if (stopping && !engine.midLine) break;
    }
    lastRead = true;
    if (exitCode === 0) await engine.close();
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGHUP", onHup);
    Deno.removeSignalListener("SIGALRM", onAlrm);
    Deno.removeSignalListener("SIGCHLD", onChld);
  }
  return exitCode;
}
