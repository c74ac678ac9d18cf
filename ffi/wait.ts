/**
 * Waiting as a C daemon does, for a process with one job: poll(2) that blocks the
 * JavaScript thread, and a signalfd(2) for signals the whole process blocks
 * (lib/supervise/signal_wait.ts). Also poll(2) on Deno's blocking pool, for the times the
 * event loop must keep running meanwhile.
 */

import { bindLibc, errno } from "./libc.ts";
import { SysError } from "../lib/sys_error.ts";
import { EAGAIN, EINTR } from "../lib/errstr.ts";

const sym = /* @__PURE__ */ bindLibc({
  // int signalfd(int fd, const sigset_t *mask, int flags)
  signalfd: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // int poll(struct pollfd *, nfds_t, int): blocks this thread, the point here
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
});
const offThread = /* @__PURE__ */ bindLibc({
  // The same poll on Deno's blocking pool: the promise settles when it returns.
  poll: { parameters: ["buffer", "usize", "i32"], result: "i32", nonblocking: true },
});

const SFD_NONBLOCK = 0o4000;
const SFD_CLOEXEC = 0o2000000;
const SIGINFO_SIZE = 128; // struct signalfd_siginfo
const POLLIN = 1;
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }

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
    const count = Number(sym.read(fd, records, BigInt(records.length)));
    if (count < 0) {
      const code = errno();
      if (code === EINTR) continue;
      if (code === EAGAIN) return signals;
      throw new SysError("read", code);
    }
    for (let at = 0; at + SIGINFO_SIZE <= count; at += SIGINFO_SIZE) {
      signals.push(recordsView.getUint32(at, true)); // ssi_signo
    }
    if (count < records.length) return signals;
  }
}

function pollTable(
  fds: readonly number[],
  table = new Uint8Array(fds.length * POLLFD_SIZE),
): [Uint8Array<ArrayBuffer>, DataView] {
  const view = new DataView(table.buffer, 0, fds.length * POLLFD_SIZE);
  fds.forEach((fd, i) => {
    view.setInt32(i * POLLFD_SIZE, fd, true);
    view.setInt16(i * POLLFD_SIZE + 4, POLLIN, true);
  });
  return [table, view];
}

function readyOf(fds: readonly number[], view: DataView): boolean[] {
  return fds.map((_, i) => view.getInt16(i * POLLFD_SIZE + 6, true) !== 0);
}

let waitTable = new Uint8Array(4 * POLLFD_SIZE);

/**
 * poll(2) for reading on `fds`, blocking the JavaScript thread (no timer, no promise,
 * no signal listener runs meanwhile) until one is ready or `timeoutMs` passes (-1:
 * none). For each fd whether a read would not block; all false on a timeout or when a
 * signal handler interrupted the wait. Throws SysError.
 */
export function waitReadable(fds: readonly number[], timeoutMs: number): boolean[] {
  if (fds.length * POLLFD_SIZE > waitTable.length) waitTable = new Uint8Array(fds.length * 16);
  const [table, view] = pollTable(fds, waitTable);
  if (sym.poll(table, BigInt(fds.length), timeoutMs) < 0) {
    const code = errno();
    if (code !== EINTR) throw new SysError("poll", code);
  }
  return readyOf(fds, view);
}

/** Resolves once `fd` is readable, waiting on a thread of Deno's blocking pool. */
export async function readableOffThread(fd: number): Promise<void> {
  const [table, view] = pollTable([fd]);
  for (;;) {
    // errno is the pool thread's, not readable here: a failure is retried after a pause.
    const result = await offThread.poll(table, 1n, -1);
    if (result > 0 && readyOf([fd], view)[0]) return;
    if (result < 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
