/**
 * A signalfd(2) for signals the whole process blocks (lib/supervise/signal_wait.ts), for
 * a process that waits as a C daemon does (its blocking poll is libc.ts waitReadable), and
 * poll(2) on Deno's blocking pool, for the times the event loop must keep running.
 */

import { bindLibc, errno, pollTable, readAvailable, readyIn } from "./libc.ts";
import { SysError } from "../lib/sys_error.ts";

const sym = /* @__PURE__ */ bindLibc({
  // int signalfd(int fd, const sigset_t *mask, int flags)
  signalfd: { parameters: ["i32", "buffer", "i32"], result: "i32" },
});
const offThread = /* @__PURE__ */ bindLibc({
  // poll(2) on Deno's blocking pool: the promise settles when it returns.
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32", nonblocking: true },
});

const SFD_NONBLOCK = 0o4000;
const SFD_CLOEXEC = 0o2000000;
const SIGINFO_SIZE = 128; // struct signalfd_siginfo

/** A non-blocking, close-on-exec signalfd for `signals` (numbers). Throws SysError. */
export function openSignalFd(signals: readonly number[]): number {
  const mask = new Uint8Array(128); // sigset_t: bit n-1 for signal n
  for (const signal of signals) mask[(signal - 1) >> 3]! |= 1 << ((signal - 1) & 7);
  const fd = sym.signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw new SysError("signalfd", errno());
  return fd;
}

// Reused: runsv reads the signalfd in every loop iteration (a typed array made per call
// showed in its profile).
let records: Uint8Array<ArrayBuffer> | undefined;
let recordsView: DataView | undefined;

/** Every signal queued on a signalfd now, by number, in order (none: empty). */
export function readSignals(fd: number): number[] {
  records ??= new Uint8Array(SIGINFO_SIZE * 8);
  recordsView ??= new DataView(records.buffer);
  const signals: number[] = [];
  for (;;) {
    const count = readAvailable(fd, records); // -1: nothing more now
    for (let at = 0; at + SIGINFO_SIZE <= count; at += SIGINFO_SIZE) {
      signals.push(recordsView.getUint32(at, true)); // ssi_signo
    }
    if (count < records.length) return signals;
  }
}

/** Resolves once `fd` is readable, waiting on a thread of Deno's blocking pool. */
export async function readableOffThread(fd: number): Promise<void> {
  const [table, view] = pollTable([fd]);
  for (;;) {
    // errno is the pool thread's, not readable here: a failure is retried after a pause.
    const result = await offThread.poll(table, 1n, -1);
    if (result > 0 && readyIn(view, 1)[0]) return;
    if (result < 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
