/**
 * The seam between a supervisor and an in-process logger (ARCHITECTURE.md §3).
 *
 * A service whose `log/` has no `run` but a `log/svlogd` file (svlogd's arguments, words
 * split on blanks, paths relative to `log/`) is logged by the supervising process: the
 * supervisor keeps reading the service's log pipe and hands the bytes to a `LogSink`,
 * made by a {@linkcode LogSinkFactory} that the applet injects (cmd/runsv.ts and
 * cmd/runsvdir.ts pass svlogd's, from lib/svlogd/sink.ts). The control letters of the log
 * service act as svlogd's signals would.
 */

import type { Reaper } from "./reaper.ts";

/** Where and how to log. */
export interface LogSinkOptions {
  /** The host process's reaper: a processor (`!cmd` in config) is spawned and reaped through it. */
  reaper: Reaper;
  /** The service's `log/` directory (absolute); relative log dirs resolve against it. */
  logDir: string;
  /** svlogd's arguments as read from `log/svlogd`, e.g. ["-tt", "./main"]. */
  args: readonly string[];
  /** Prints one warning line the way svlogd would on its stderr (newline included). */
  warn(line: string): void;
}

/** An svlogd engine running inside the supervising process. */
export interface LogSink {
  /**
   * Takes bytes read from the log pipe. While the returned promise is pending the
   * supervisor reads no more (backpressure: a full disk pauses the service, nothing is
   * dropped).
   */
  write(chunk: Uint8Array): void | Promise<void>;
  /** `a`: rotate now, as SIGALRM does to svlogd. */
  rotate(): void | Promise<void>;
  /** `h`: re-read `config` and reopen, as SIGHUP does. */
  reload(): void | Promise<void>;
  /** `t`, `d`, `x`, end of input: write what is buffered (a partial last line too) and close. */
  close(): Promise<void>;
  /**
   * The service side of the pipe is closed for good (the supervisor is exiting): keep
   * taking what is still in the pipe, but give up instead of pausing, so a full disk
   * cannot hang the exit as it hangs runit 2.1.2's runsv behind its svlogd.
   */
  endOfInput?(): void;
}

/** Makes a sink; rejects (with runit's message in `Error.message`) when it cannot start. */
export type LogSinkFactory = (options: LogSinkOptions) => Promise<LogSink>;
