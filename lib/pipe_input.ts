/**
 * Reading pipes and FIFOs on SIGIO: the supervisors' control FIFOs, the in-process log
 * pipes, runsvdir's log area. No thread is held per pipe (Deno's blocking pool is capped
 * at 32; a supervision tree has hundreds of pipes).
 *
 * Each pipe gets O_ASYNC (ffi/libc.ts): the kernel sends this process SIGIO when data
 * arrives or the last writer goes, and one process-wide listener polls the pipes being
 * watched and reads the ready ones with plain non-blocking reads. This replaced node:net
 * sockets on the raw fds, which cost every supervising process ~17 ms of start-up (the
 * node:net import) and each control byte ~0.09 ms more between the write and the
 * handler (0.21 against 0.13 ms, medians of 30, one byte every 0.3 s).
 *
 * The kernel signals on every write, so O_ASYNC is cleared while a pipe is paused (a log
 * pipe is, while each chunk is written to disk) and set again when the pipe is found
 * empty; then it is read once more (a write in between raised no signal). Left set, a
 * busy service writing 4 KiB at a time cost a signal per write (1 M lines through an
 * in-process log: 0.48 → 0.70 s; 0.56 s this way, against 0.46-0.56 s with node:net).
 * A reader that stops short of emptying a pipe must come back by itself: a paused pipe
 * is read again on `resume()`, and one still full after several reads on the next turn
 * of the event loop.
 *
 * Deno's signal listeners do not keep a process alive (a node:net socket did): while any
 * pipe is watched, a timer that never fires in practice does.
 */

import {
  close,
  prepareSignalDrivenInput,
  readableNow,
  readAvailable,
  setSignalDrivenInput,
} from "../ffi/libc.ts";

/** One watched pipe. */
export interface PipeInput {
  /** Stops reading: the bytes stay in the pipe (writers see it fill). */
  pause(): void;
  /** Reads again, at once, including what arrived while paused. */
  resume(): void;
  isPaused(): boolean;
  /** Stops watching and closes the descriptor. */
  close(): void;
}

/** What {@linkcode watchPipe} reports to, and how it reads. */
export interface PipeInputOptions {
  /** Every chunk read, in order (a copy: it may be kept). */
  onData(bytes: Uint8Array): void;
  /** End of file (no writer left) or a read error: nothing more is read. */
  onEnd?(): void;
  /** The most read at once (default 4096, enough for control bytes). */
  chunkSize?: number;
  /** Start paused: nothing is read before `resume()`. */
  paused?: boolean;
}

interface Watch {
  fd: number;
  /** File status flags without O_ASYNC. */
  flags: number;
  /** O_ASYNC is set (not while paused). */
  armed: boolean;
  options: PipeInputOptions;
  chunkSize: number;
  paused: boolean;
  closed: boolean;
  draining: boolean;
}

const MAX_CHUNK = 65536; // a pipe's default capacity
// Reads of one pipe in one go before the event loop gets a turn.
const READS_PER_TURN = 16;
// Up to this many armed pipes are read without asking poll(2) first (see readReady).
const FEW_PIPES = 4;

const watches = new Map<number, Watch>();
const buffer = new Uint8Array(MAX_CHUNK);
let listening = false;
let keepAlive: ReturnType<typeof setInterval> | undefined;
let again: ReturnType<typeof setTimeout> | undefined;

/**
 * Watches the read end `fd` of a pipe or FIFO (the caller keeps nothing else reading it).
 * Sets O_NONBLOCK and O_ASYNC on its open file description.
 */
export function watchPipe(fd: number, options: PipeInputOptions): PipeInput {
  if (!listening) {
    // Never removed: SIGIO with no listener would end the process (its default action).
    Deno.addSignalListener("SIGIO", readReady);
    listening = true;
  }
  const watch: Watch = {
    fd,
    flags: prepareSignalDrivenInput(fd),
    armed: false,
    options,
    chunkSize: Math.min(options.chunkSize ?? 4096, MAX_CHUNK),
    paused: options.paused ?? false,
    closed: false,
    draining: false,
  };
  watches.set(fd, watch);
  keepAlive ??= setInterval(() => {}, 2 ** 31 - 1);
  if (!watch.paused) readSoon(); // arms it once it has read what is there

  return {
    pause() {
      watch.paused = true;
      arm(watch, false);
    },
    resume() {
      if (!watch.paused || watch.closed) return;
      watch.paused = false;
      drain(watch);
    },
    isPaused() {
      return watch.paused;
    },
    close() {
      if (watch.closed) return;
      watch.closed = true;
      forget(watch);
      close(fd);
    },
  };
}

function forget(watch: Watch): void {
  if (watches.get(watch.fd) === watch) watches.delete(watch.fd);
  if (watches.size > 0) return;
  if (keepAlive !== undefined) clearInterval(keepAlive);
  if (again !== undefined) clearTimeout(again);
  keepAlive = undefined;
  again = undefined;
}

function readSoon(): void {
  if (watches.size > 0) again ??= setTimeout(readReady, 0);
}

/**
 * On SIGIO (or a turn later): reads every watched pipe that has something, and those not
 * armed yet (new, or left full a turn ago).
 */
function readReady(): void {
  if (again !== undefined) clearTimeout(again);
  again = undefined;
  const active = [...watches.values()].filter((watch) => !watch.paused);
  const armed = active.filter((watch) => watch.armed);
  let ready: boolean[];
  try {
    // A few pipes (runsv's one or two control FIFOs) are read at once, a read per pipe
    // as poll(2) would be a call: the poll table costs more JavaScript than it saves.
    ready = armed.length <= FEW_PIPES
      ? armed.map(() => true)
      : readableNow(armed.map((watch) => watch.fd));
  } catch {
    ready = armed.map(() => true); // poll(2) failed (ENOMEM): try each, reads do not block
  }
  const due = new Set(armed.filter((_, i) => ready[i]));
  for (const watch of active) {
    if (!watch.armed || due.has(watch)) drain(watch);
  }
}

/**
 * Reads `watch` until it is empty (then O_ASYNC is set) or paused (then cleared), or comes
 * back a turn later.
 */
function drain(watch: Watch): void {
  if (watch.draining) return; // resume() from inside onData: the loop below goes on
  watch.draining = true;
  try {
    for (let reads = 0; reads < READS_PER_TURN; reads++) {
      if (watch.paused || watch.closed || watches.get(watch.fd) !== watch) {
        arm(watch, false);
        return;
      }
      let count: number;
      try {
        count = readAvailable(watch.fd, buffer.subarray(0, watch.chunkSize));
      } catch {
        count = 0; // a read error ends the input as end of file does
      }
      if (count < 0) {
        if (watch.armed) return; // empty, and the next write signals
        arm(watch, true);
        continue; // once more: a write before O_ASYNC was set raised no signal
      }
      if (count === 0) {
        forget(watch);
        watch.options.onEnd?.();
        return;
      }
      watch.options.onData(buffer.slice(0, count));
    }
    readSoon();
  } finally {
    watch.draining = false;
  }
}

function arm(watch: Watch, on: boolean): void {
  if (watch.armed === on || watch.closed) return;
  try {
    setSignalDrivenInput(watch.fd, watch.flags, on);
    watch.armed = on;
  } catch {
    // EBADF: the descriptor is gone, and with it anything to read
  }
}
