/**
 * svlogd in-process: the {@linkcode LogSinkFactory} that runsv/runsvdir use for a `log/`
 * directory with no `run` but a `log/svlogd` file (ARCHITECTURE.md §3, lib/log_sink.ts).
 * The same engine as the CLI, so the files and their semantics are identical.
 *
 * - Relative log directories resolve against `log/`; nothing here calls chdir (the cwd
 *   is shared by every supervisor in the process).
 * - `write()` resolves when the bytes are in the log files: a full disk pauses the
 *   service through the pipe instead of dropping lines.
 * - `rotate()` is SIGALRM, `reload()` SIGHUP (rejects when no directory opens again),
 *   `close()` is end of input or SIGTERM: it writes a partial last line, waits for
 *   running processors and closes every directory. When the engine is paused on a
 *   failing write, `close()` ends the pause as SIGTERM does (DEVIATIONS.md 7).
 * - Messages (warnings, pausing, `-v` info, `e` copies) go to `warn`, one line each.
 */

import { DirectoryPaths } from "../../ffi/dir.ts";
import type { LogSink, LogSinkFactory, LogSinkOptions } from "../log_sink.ts";
import { UsageError } from "../sys_error.ts";
import { NoFunctionalDirs, SvlogdEngine } from "./engine.ts";
import { parseSvlogdArgs, SVLOGD_USAGE, type SvlogdOptions } from "./options.ts";

const decoder = new TextDecoder();

/** Makes an in-process svlogd; rejects with runit's message when it cannot start. */
export const createSvlogdSink: LogSinkFactory = async (
  options: LogSinkOptions,
): Promise<LogSink> => {
  let parsed: SvlogdOptions;
  try {
    parsed = parseSvlogdArgs(options.args, "svlogd");
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const lead = err.message === "" ? "" : `${err.message}\n`;
    throw new Error(`${lead}usage: svlogd ${SVLOGD_USAGE}`);
  }
  const logDir = options.logDir.replace(/\/+$/, "") || "/";
  const directories = new DirectoryPaths({ always: true });
  let engine: SvlogdEngine;
  try {
    engine = await SvlogdEngine.start(parsed, {
      message: (line) => options.warn(line),
      copyToStderr: (bytes) => options.warn(decoder.decode(bytes)),
      reaper: options.reaper,
      // A name that is not UTF-8 is used through an fd, as the svlogd applet does.
      resolve: (dir) => directories.resolve(dir.startsWith("/") ? dir : `${logDir}/${dir}`),
    });
  } catch (err) {
    directories.closeAll();
    if (err instanceof NoFunctionalDirs) throw new Error(`svlogd: fatal: ${err.message}`);
    throw err;
  }
  return {
    write: (chunk) => engine.write(chunk),
    rotate: () => engine.rotate(),
    reload: async () => {
      try {
        await engine.reload();
      } catch (err) {
        if (err instanceof NoFunctionalDirs) {
          options.warn(`svlogd: fatal: ${err.message}\n`);
          throw new Error(`svlogd: fatal: ${err.message}`);
        }
        throw err;
      }
    },
    endOfInput: () => engine.stopIfPaused(),
    close: async () => {
      engine.stopIfPaused();
      try {
        await engine.close();
      } finally {
        directories.closeAll();
      }
    },
  };
};
