/**
 * runsvdir's readproctitle log as I/O (spec runsvdir.md "The readproctitle log"): a pipe
 * becomes fd 2, so runsvdir's messages, every supervisor's and everything the services
 * write to stderr land in it; what is read back scrolls through the log argument, which
 * `ps` shows because the argument area is rewritten (ffi/proctitle.ts). The pipe is read
 * on SIGIO (lib/pipe_input.ts): no blocking-pool thread is held.
 */

import { close, dup2, O_CLOEXEC, O_NONBLOCK, pipe } from "../../ffi/libc.ts";
import { LOG_DOT_INTERVAL_MS, scrollLogWindow } from "./log_window.ts";
import { watchPipe } from "../pipe_input.ts";

/** The active log area. */
export interface LogArea {
  /** Stops reading and the periodic dot. */
  close(): void;
}

/**
 * Makes fd 2 a non-blocking pipe (both ends, as runit does) and feeds what comes out of
 * it into `logArg`, calling `onChange` after each update. Throws with runit's warning
 * text when the pipe cannot be made or moved to fd 2.
 */
export function openLogArea(logArg: Uint8Array, onChange: () => void): LogArea {
  let fds: [number, number];
  try {
    fds = pipe(O_CLOEXEC | O_NONBLOCK);
  } catch {
    throw new Error("unable to create pipe for log.");
  }
  const [readFd, writeFd] = fds;
  try {
    dup2(writeFd, 2); // fd 2 is not close-on-exec: every child inherits it as stderr
  } catch {
    close(readFd);
    close(writeFd);
    throw new Error("unable to set filedescriptor for log.");
  }
  close(writeFd);
  const input = watchPipe(readFd, {
    chunkSize: 65536,
    onData: (chunk) => {
      scrollLogWindow(logArg, chunk);
      onChange();
    },
  });
  const dot = (): void => {
    try {
      Deno.stderr.writeSync(new Uint8Array([0x2e])); // "."
    } catch {
      // full pipe: the dot only scrolls old text away
    }
  };
  dot();
  const timer = setInterval(dot, LOG_DOT_INTERVAL_MS);
  Deno.unrefTimer(timer);
  return {
    close(): void {
      clearInterval(timer);
      input.close();
    },
  };
}
