/**
 * The svlogd engine: splits input into lines, stamps, filters and copies them, and hands
 * each log directory its output in one batch per input chunk (spec svlogd.md §6–§11;
 * runit src/svlogd.c). Used by the `svlogd` CLI (stdin, signals) and by the in-process
 * sink (a supervisor's log pipe, control letters), which therefore behave alike.
 *
 * Speed comes from working on bytes and writing once per chunk and directory instead of
 * once per line (DENO-NOTES.md §11): the files' contents are the same as runit's, since
 * rotation points are found inside the batch (lib/svlogd/logdir.ts).
 *
 * Every operation (input, rotate, reload, close, the `t` timer) runs through one queue,
 * so they never interleave; `stop()` alone acts at once, ending any pause.
 */

import { realTime } from "../../ffi/libc.ts";
import { LineCopier, lineCopier, LinesCopied, type LinesState } from "../../ffi/line_copy.ts";
import type { ByteBuffer } from "./byte_buffer.ts";
import type { Reaper } from "../reaper.ts";
import { matchPattern } from "./pattern.ts";
import { LogDir, type LogDirContext, LogDirSkipped } from "./logdir.ts";
import type { SvlogdOptions } from "./options.ts";
import { StampCache } from "./stamp.ts";

/** Where the engine's output goes and what it may use. */
export interface SvlogdHost {
  /** Writes one svlogd message line (`svlogd: …\n`) to svlogd's stderr. */
  message(line: string): void;
  /** Writes a line copied by an `e` pattern (raw bytes, newline included) to stderr. */
  copyToStderr(bytes: Uint8Array): void;
  /** Reaps processors. */
  reaper: Reaper;
  /** Maps an operand to the path used for file work (the sink resolves against log/). */
  resolve(dir: string): string;
  /** Wall clock in unix microseconds (default: the system clock). */
  now?: () => number;
  /** Wait between retries when pausing, ms (runit: 3000). */
  pauseMs?: number;
  /**
   * svlogd has its process to itself (the applet, not the in-process form): a small
   * file's fsync and unlink may then block it for up to this many ms (LogDirContext).
   */
  smallFileBlockMs?: number;
}

/** No log directory could be opened: `svlogd: fatal: no functional log directories.` */
export class NoFunctionalDirs extends Error {
  override name = "NoFunctionalDirs";
  constructor() {
    super("no functional log directories.");
  }
}

/** Thrown out of a pause once `stop()` was called. */
export class SvlogdStopped extends Error {
  override name = "SvlogdStopped";
}

/**
 * The real clock in unix microseconds, as runit's taia_now reads it. Not Date.now()'s
 * milliseconds with performance.now()'s fraction below them: two clocks whose
 * millisecond boundaries differ, whose sum went back by up to 1 ms between two readings.
 */
export function systemMicros(): number {
  const time = realTime();
  return time.seconds * 1_000_000 + time.micros;
}

const DOTS = new TextEncoder().encode("...");

/** A running svlogd. */
/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The held line's first buffer; it grows up to `-l` for longer lines. */
const HEAD_START_BYTES = 1 << 16;

export class SvlogdEngine {
  readonly #options: SvlogdOptions;
  readonly #host: SvlogdHost;
  readonly #now: () => number;
  readonly #ctx: LogDirContext;
  #dirs: LogDir[] = [];
  /** Positions in the dir list that have opened once (runit keeps their name: `close:`). */
  readonly #everOpened = new Set<number>();
  readonly #stamp: StampCache | undefined;
  readonly #replace: Uint8Array | undefined;
  /**
   * runit's line buffer (`-l` bytes at most, grown as lines need it): the held line so
   * far, and past a line's end what earlier, longer lines left there, which patterns
   * may read (lib/svlogd/pattern.ts).
   */
  #head: Uint8Array;
  /** Where each line of a {@linkcode #takeWholeLines} run starts. */
  #lineStarts = new Int32Array(1024);
  readonly #copyState: LinesState = { outEnd: 0, inEnd: 0, startsEnd: 0 };
  #cachedHead: { stamp: Uint8Array | undefined; prefix: Uint8Array; head: Uint8Array } | undefined;
  #headLength = 0;
  #inLine = false;
  #decided = false;
  #lineStamp: Uint8Array | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #stopping = false;
  /** The slot (position among the arguments) of each of `#dirs`. */
  #dirSlots: number[] = [];
  #stopOnPause = false;
  readonly #wakers = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #queued = 0;
  /** The last rotated file's time (LogDirContext.rotationMicros). */
  #lastRotationMicros = 0;

  private constructor(options: SvlogdOptions, host: SvlogdHost) {
    this.#options = options;
    this.#host = host;
    this.#now = host.now ?? systemMicros;
    this.#stamp = options.stamp === 0 ? undefined : new StampCache(options.stamp);
    // -l may be far more than any line (runit allocates it up front, 32-bit truncated).
    this.#head = new Uint8Array(Math.min(options.lineMax, HEAD_START_BYTES));
    if (options.replaceWith !== undefined) {
      const table = new Uint8Array(256);
      for (let b = 0; b < 256; b++) table[b] = b < 32 || b > 126 ? 1 : 0;
      for (const b of options.replaceBytes) table[b] = 1;
      this.#replace = table;
    }
    const verbose = options.verbose;
    this.#ctx = {
      warn: (text) => host.message(`svlogd: warning: ${text}\n`),
      info: (text) => {
        if (verbose) host.message(`svlogd: info: ${text}\n`);
      },
      pause: (text) => this.#pause(text),
      now: this.#now,
      rotationMicros: () => (this.#lastRotationMicros = Math.max(
        this.#now(),
        this.#lastRotationMicros + 1,
      )),
      lineMax: options.lineMax,
      reaper: host.reaper,
      smallFileBlockMs: host.smallFileBlockMs,
    };
  }

  /** Opens every log directory; throws {@linkcode NoFunctionalDirs} if none opens. */
  static async start(options: SvlogdOptions, host: SvlogdHost): Promise<SvlogdEngine> {
    const engine = SvlogdEngine.create(options, host);
    await engine.open();
    return engine;
  }

  /** An engine not yet opened: `stop()` already works, so opening can be interrupted. */
  static create(options: SvlogdOptions, host: SvlogdHost): SvlogdEngine {
    return new SvlogdEngine(options, host);
  }

  /**
   * Opens every log directory (spec §3); throws {@linkcode NoFunctionalDirs} if none
   * opens, {@linkcode SvlogdStopped} if stop() ends a pause meanwhile.
   */
  async open(): Promise<void> {
    await this.#openAll();
    this.#armTimer();
  }

  /** The log directories now open. */
  get dirs(): readonly LogDir[] {
    return this.#dirs;
  }

  /** Prints `svlogd: info: TEXT` when -v was given. */
  info(text: string): void {
    this.#ctx.info(text);
  }

  /**
   * Opens every directory. `closing`: the directories open until now, by slot, each closed
   * just before its slot opens again (runit's SIGHUP: close and open, one after another).
   */
  async #openAll(closing = new Map<number, LogDir>()): Promise<void> {
    const dirs: LogDir[] = [];
    const slots: number[] = [];
    for (const [slot, name] of this.#options.dirs.entries()) {
      await closing.get(slot)?.close();
      try {
        dirs.push(await LogDir.open(this.#ctx, name, this.#host.resolve(name)));
        slots.push(slot);
        this.#everOpened.add(slot);
      } catch (err) {
        if (!(err instanceof LogDirSkipped)) throw err;
        if (err.afterOpen) this.#ctx.info(`close: ${this.#everOpened.has(slot) ? name : ""}`);
        this.#ctx.warn(err.message);
      }
    }
    this.#dirs = dirs;
    this.#dirSlots = slots;
    if (dirs.length === 0) throw new NoFunctionalDirs();
  }

  async #pause(text: string): Promise<void> {
    // Once stopping, a failure ends the operation at once (what it held is given up).
    if (this.#stopOnPause) this.#stopping = true;
    if (this.#stopping) throw new SvlogdStopped(`stopped while pausing: ${text}`);
    this.#host.message(`svlogd: pausing: ${text}\n`);
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.#host.pauseMs ?? 3000);
      this.#wakers.add(wake);
    });
    if (this.#stopping) throw new SvlogdStopped("stopped while pausing");
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    this.#queued++;
    const next = this.#chain.then(op);
    const settle = (): void => {
      this.#queued--;
      this.#armTimer();
    };
    this.#chain = next.then(settle, settle);
    return next;
  }

  /**
   * The most input worth reading at once: the smallest backlog limit of the open
   * directories (LogDir.backlogLimit), so that what SIGTERM must still write stays a few
   * rotations' worth however small `s` is.
   */
  get readLimit(): number {
    let limit = Infinity;
    for (const dir of this.#dirs) limit = Math.min(limit, dir.backlogLimit);
    return limit;
  }

  /** Whether the input read so far ends inside a line. */
  get midLine(): boolean {
    return this.#inLine;
  }

  /** Whether a rotation or the close waits for a directory's processor now. */
  get waitingForProcessor(): boolean {
    return this.#dirs.some((dir) => dir.waitingForProcessor);
  }

  /**
   * Resolves once everything taken so far is written (rotations and the processor waits
   * they make included), as runit has done when it next waits for input.
   */
  settle(): Promise<void> {
    return this.#enqueue(async () => {
      for (const dir of this.#dirs) await dir.drained();
    });
  }

  /** Whether an operation is now waiting in a pause (full disk, unwritable directory). */
  get paused(): boolean {
    return this.#wakers.size > 0;
  }

  #armTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    let earliest = Infinity;
    for (const dir of this.#dirs) {
      if (dir.deadline !== 0) earliest = Math.min(earliest, dir.deadline);
    }
    if (earliest === Infinity) return;
    // setTimeout takes 2^31-1 ms at most (longer fires at once, in a loop): a `t` of
    // months wakes once in ~24 days, finds nothing due and arms again.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, earliest - Date.now()) + 5);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#enqueue(async () => {
        const now = Date.now();
        for (const dir of this.#dirs) {
          await dir.flush();
          await dir.rotateIfDue(now);
        }
      }).catch(() => {});
    }, delay);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /**
   * Takes input bytes. The returned promise settles once they are taken: written, or
   * waiting in memory (at most about 1 MiB per directory, beyond which it waits for the
   * writes). The caller may reuse `chunk` as soon as this returns.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new SvlogdStopped("svlogd is closed"));
    // The caller may reuse its buffer once this returns: parse now when nothing is
    // queued before us, else keep a copy (new Uint8Array copies; a node Buffer's slice()
    // would only be a view).
    let bytes: Uint8Array | undefined;
    if (this.#queued === 0) this.#take(chunk);
    else bytes = new Uint8Array(chunk);
    return this.#enqueue(async () => {
      if (bytes !== undefined) this.#take(bytes);
      for (const dir of this.#dirs) dir.kick();
      // Backpressure: hold the writer only once a directory is far behind.
      for (const dir of this.#dirs) if (dir.backlog > dir.backlogLimit) await dir.flush();
    });
  }

  /** SIGALRM / `a`: rotate every directory with a non-empty `current`. */
  rotate(): Promise<void> {
    return this.#enqueue(async () => {
      for (const dir of this.#dirs) {
        await dir.flush();
        await dir.rotate();
      }
    });
  }

  /**
   * SIGHUP / `h`: close every directory (forgetting running processors) and open them
   * again, re-reading `config`. Rejects with {@linkcode NoFunctionalDirs} if none opens.
   */
  reload(): Promise<void> {
    return this.#enqueue(async () => {
      const open = new Map(this.#dirs.map((dir, i) => [this.#dirSlots[i]!, dir]));
      this.#dirs = [];
      await this.#openAll(open);
    });
  }

  /** SIGTERM: stop pausing at once; the pending operation gives up, then close() runs. */
  stop(): void {
    this.#stopping = true;
    for (const wake of [...this.#wakers]) wake();
  }

  /**
   * A stop that spares work still succeeding: from now on any pause ends as `stop()`
   * would, and one in progress ends at once. Checking `paused` once is not enough: between
   * two attempts of a failing write the engine is not paused, and would pause again.
   */
  stopIfPaused(): void {
    this.#stopOnPause = true;
    if (this.paused) this.stop();
  }

  /**
   * End of input or SIGTERM: writes a partial last line (a newline added), waits for
   * running processors, and closes every directory.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const done = this.#enqueue(async () => {
      if (this.#closed) return;
      this.#endPartialLine();
      try {
        await this.#flushAll();
      } catch (err) {
        if (!(err instanceof SvlogdStopped)) throw err;
      }
      for (const dir of this.#dirs) {
        // SIGTERM too: runit's svlogd waits for a running processor before it closes, so
        // its `.s` is made; left alone it would write on after svlogd has gone.
        await dir.waitProcessor().catch(() => {});
        await dir.close().catch(() => {});
      }
      this.#closed = true;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
    });
    // A stopping close must not wait behind an operation stuck in a pause.
    return done;
  }

  async #flushAll(): Promise<void> {
    for (const dir of this.#dirs) await dir.flush();
  }

  /** Whether every directory takes every line unchanged (no patterns, UDP, prefix). */
  #passthrough(): boolean {
    if (this.#stamp !== undefined || this.#replace !== undefined) return false;
    for (const dir of this.#dirs) {
      const c = dir.config;
      if (c.patterns.length > 0 || c.udp !== undefined || c.udpOnly || c.prefix.length > 0) {
        return false;
      }
    }
    return true;
  }

  #take(input: Uint8Array): void {
    let chunk = input;
    if (chunk.length === 0) return;
    const passthrough = this.#passthrough();
    if (passthrough && (!this.#inLine || this.#decided)) {
      // Output equals input: copy the whole lines to every directory. A long line's rest
      // goes as it comes, as runit writes it; an unfinished line is held below, as runit
      // holds it (up to `-l` bytes) until its newline: a rotation meanwhile (SIGALRM, `t`)
      // must not split it across two files.
      const streaming = this.#decided;
      const end = streaming
        ? chunk.indexOf(0x0a) + 1 || chunk.length // the long line's rest, up to its end
        : chunk.lastIndexOf(0x0a) + 1;
      if (end > 0) {
        const whole = chunk.subarray(0, end);
        for (const dir of this.#dirs) {
          if (!this.#inLine) dir.selected = true;
          if (dir.selected) dir.pending.push(whole);
        }
        this.#inLine = whole[whole.length - 1] !== 0x0a;
        this.#decided = this.#inLine;
      }
      if (end === chunk.length) return;
      // After a long line's end, the lines that follow go whole again.
      if (streaming) return this.#take(chunk.subarray(end));
      chunk = chunk.subarray(end);
    }
    const stamp = this.#stamp;
    if (stamp !== undefined) stamp.set(this.#now());
    const lineMax = this.#options.lineMax;
    const n = chunk.length;
    let i = 0;
    const prefix = this.#sharedPrefix();
    while (i < n) {
      if (!this.#inLine) {
        if (prefix !== undefined) {
          i = this.#takeWholeLines(chunk, i, prefix);
          if (i >= n) break;
        }
        const newline = chunk.indexOf(0x0a, i);
        if (newline !== -1 && newline - i < lineMax) {
          // Into the line buffer, as runit reads each line: a later, shorter line's
          // patterns may look at the byte after its end (lib/svlogd/pattern.ts).
          const line = chunk.subarray(i, newline);
          if (this.#replace !== undefined) this.#replaceInto(line, 0);
          else this.#headRoom(line.length).set(line);
          this.#emit(line.length, false, stamp?.bytes, true);
          i = newline + 1;
          continue;
        }
        this.#inLine = true;
        this.#decided = false;
        this.#headLength = 0;
        this.#lineStamp = stamp?.bytes;
      }
      if (!this.#decided) {
        const newline = chunk.indexOf(0x0a, i);
        const end = newline === -1 ? n : newline;
        const take = Math.min(lineMax - this.#headLength, end - i);
        const part = chunk.subarray(i, i + take);
        if (this.#replace !== undefined) this.#replaceInto(part, this.#headLength);
        else this.#headRoom(this.#headLength + take).set(part, this.#headLength);
        this.#headLength += take;
        i += take;
        if (this.#headLength === lineMax) {
          // No newline within len characters: a "long" line; the rest is streamed.
          this.#emit(lineMax, true, this.#lineStamp, false);
          this.#decided = true;
          continue;
        }
        if (newline !== -1 && i === newline) {
          this.#emit(this.#headLength, false, this.#lineStamp, true);
          this.#inLine = false;
          i = newline + 1;
          // The held line is done: the rest goes whole again.
          if (passthrough) return this.#take(chunk.subarray(i));
          continue;
        }
        break; // the chunk ended inside the head
      }
      const newline = chunk.indexOf(0x0a, i);
      const end = newline === -1 ? n : newline;
      if (end > i) {
        const rest = chunk.subarray(i, end);
        for (const dir of this.#dirs) {
          if (dir.selected && !dir.config.udpOnly) dir.pending.push(rest);
        }
      }
      if (newline === -1) break;
      for (const dir of this.#dirs) {
        if (dir.selected && !dir.config.udpOnly) dir.pending.pushByte(0x0a);
      }
      this.#inLine = false;
      this.#decided = false;
      i = newline + 1;
    }
  }

  /**
   * The prefix every directory shares when no directory filters or copies lines (no
   * patterns, no UDP) and nothing is replaced: then a line's head plays no part, long
   * lines included, and every directory gets the same bytes. Otherwise undefined.
   */
  #sharedPrefix(): Uint8Array | undefined {
    if (this.#replace !== undefined || this.#dirs.length === 0) return undefined;
    const prefix = this.#dirs[0]!.config.prefix;
    for (const dir of this.#dirs) {
      const c = dir.config;
      if (c.patterns.length > 0 || c.udp !== undefined || c.udpOnly) return undefined;
      if (c.prefix.length !== prefix.length || !c.prefix.every((b, k) => b === prefix[k])) {
        return undefined;
      }
    }
    return prefix;
  }

  /**
   * The fast path for {@linkcode #sharedPrefix} configurations: formats every complete
   * line of `chunk` into the first directory's buffer (stamp, prefix, line with its
   * newline: two or three copies a line), copies that run to the other directories, and
   * returns where the unfinished last line starts (the chunk's end if there is none).
   */
  #takeWholeLines(chunk: Uint8Array, from: number, prefix: Uint8Array): number {
    const stamp = this.#stamp?.bytes;
    const extra = (stamp?.length ?? 0) + prefix.length;
    const first = this.#dirs[0]!.pending;
    const start = first.length;
    let i: number;
    let lines: number;
    const copier = extra > 0 ? lineCopier() : undefined;
    if (copier !== undefined) {
      ({ end: i, lines } = this.#copyLinesNative(copier, chunk, from, first, stamp, prefix));
    } else {
      ({ end: i, lines } = this.#copyLinesHere(chunk, from, first, stamp, prefix));
    }
    this.#fillLineBuffer(chunk, lines, i);
    if (this.#dirs.length > 1 && first.length > start) {
      const run = first.bytes.subarray(start, first.length);
      for (let d = 1; d < this.#dirs.length; d++) this.#dirs[d]!.pending.push(run);
    }
    for (const dir of this.#dirs) dir.selected = true;
    return i;
  }

  /**
   * {@linkcode #takeWholeLines}'s copy in JavaScript: every whole line of `chunk` from
   * `from`, behind `stamp` and `prefix`, appended to `out`; their starts go to
   * `#lineStarts`. Returns the offset after the last whole line and the line count.
   */
  #copyLinesHere(
    chunk: Uint8Array,
    from: number,
    out: ByteBuffer,
    stamp: Uint8Array | undefined,
    prefix: Uint8Array,
  ): { end: number; lines: number } {
    const extra = (stamp?.length ?? 0) + prefix.length;
    let i = from;
    let lines = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, i);
      if (newline === -1) break;
      if (lines === this.#lineStarts.length) this.#growLineStarts();
      this.#lineStarts[lines++] = i;
      i = newline + 1;
    }
    const start = out.length;
    const body = i - from;
    out.reserve(body + lines * extra);
    const bytes = out.bytes;
    if (extra === 0) {
      bytes.set(chunk.subarray(from, i), start);
    } else {
      // The lines go to the end of their room in one copy, then each moves down behind
      // its stamp and prefix within the buffer: a view per line made a million objects
      // for 1 M lines, a tenth of svlogd's time in the garbage collector.
      const starts = this.#lineStarts;
      let source = start + lines * extra;
      bytes.set(chunk.subarray(from, i), source);
      let o = start;
      for (let k = 0; k < lines; k++) {
        const length = (k + 1 < lines ? starts[k + 1]! : i) - starts[k]!;
        o = putLineHead(bytes, o, stamp, prefix);
        bytes.copyWithin(o, source, source + length);
        o += length;
        source += length;
      }
    }
    out.length = start + body + lines * extra;
    return { end: i, lines };
  }

  /** The same copy through libdenit.so (ffi/line_copy.ts): the same bytes, one call. */
  #copyLinesNative(
    copier: LineCopier,
    chunk: Uint8Array,
    from: number,
    out: ByteBuffer,
    stamp: Uint8Array | undefined,
    prefix: Uint8Array,
  ): { end: number; lines: number } {
    const head = this.#lineHead(stamp, prefix);
    const state = this.#copyState;
    state.inEnd = from;
    state.startsEnd = 0;
    // Room for the chunk's lines if they average 64 bytes; more is made as needed.
    out.reserve(chunk.length - from + ((chunk.length - from) >> 6) * head.length + head.length);
    for (;;) {
      const reason = copier.copy(
        chunk,
        state.inEnd,
        out.bytes,
        out.length,
        head,
        this.#lineStarts,
        state.startsEnd,
        state,
      );
      out.length = state.outEnd;
      if (reason === LinesCopied.all) break;
      if (reason === LinesCopied.needStarts) this.#growLineStarts();
      else out.reserve(out.bytes.length);
    }
    return { end: state.inEnd, lines: state.startsEnd };
  }

  /** `stamp` then `prefix`, as one array (the same array while neither changes). */
  #lineHead(stamp: Uint8Array | undefined, prefix: Uint8Array): Uint8Array {
    if (prefix.length === 0) return stamp ?? prefix;
    const cached = this.#cachedHead;
    if (cached !== undefined && cached.stamp === stamp && cached.prefix === prefix) {
      return cached.head;
    }
    const head = new Uint8Array((stamp?.length ?? 0) + prefix.length);
    putLineHead(head, 0, stamp, prefix);
    this.#cachedHead = { stamp, prefix, head };
    return head;
  }

  #growLineStarts(): void {
    const grown = new Int32Array(this.#lineStarts.length * 2);
    grown.set(this.#lineStarts);
    this.#lineStarts = grown;
  }

  /**
   * Leaves in the line buffer what runit's would hold after reading the `count` lines
   * whose starts are in `#lineStarts` (the last ending just before `end`): each byte
   * from the last line long enough to reach it. Walking back from the last line, only
   * the bytes no later line covered are copied.
   */
  #fillLineBuffer(chunk: Uint8Array, count: number, end: number): void {
    const lineMax = this.#options.lineMax;
    const starts = this.#lineStarts;
    let covered = 0;
    let next = end;
    for (let k = count - 1; k >= 0 && covered < lineMax; k--) {
      const start = starts[k]!;
      const length = Math.min(next - 1 - start, lineMax);
      next = start;
      if (length <= covered) continue;
      this.#headRoom(length).set(chunk.subarray(start + covered, start + length), covered);
      covered = length;
    }
  }

  /** The held line's buffer, grown to hold `length` bytes (never past `-l`). */
  #headRoom(length: number): Uint8Array {
    if (length > this.#head.length) {
      const grown = new Uint8Array(
        Math.min(this.#options.lineMax, Math.max(length, this.#head.length * 2)),
      );
      grown.set(this.#head);
      this.#head = grown;
    }
    return this.#head;
  }

  /** Copies `bytes` into the head at `at`, replacing unwanted bytes; returns the copy. */
  #replaceInto(bytes: Uint8Array, at: number): Uint8Array {
    const table = this.#replace!;
    const by = this.#options.replaceWith!;
    const head = this.#headRoom(at + bytes.length);
    for (let k = 0; k < bytes.length; k++) {
      const b = bytes[k]!;
      head[at + k] = table[b] === 1 ? by : b;
    }
    return head.subarray(at, at + bytes.length);
  }

  /** Ends a partial line at end of input: runit drops it; we log it (DEVIATIONS.md 6). */
  #endPartialLine(): void {
    if (!this.#inLine) return;
    if (!this.#decided) {
      this.#emit(this.#headLength, false, this.#lineStamp, true);
    } else {
      for (const dir of this.#dirs) {
        if (dir.selected && !dir.config.udpOnly) dir.pending.pushByte(0x0a);
      }
    }
    this.#inLine = false;
    this.#decided = false;
  }

  /**
   * Handles one line's head (the first `length` bytes of the line buffer, after
   * replacement) for every directory (spec §8): patterns, the stderr copy, UDP, and the
   * log. `complete` adds the newline; a long line's rest is streamed afterwards.
   */
  #emit(
    length: number,
    long: boolean,
    stamp: Uint8Array | undefined,
    complete: boolean,
  ): void {
    const line = this.#head;
    const head = line.subarray(0, length);
    for (const dir of this.#dirs) {
      const config = dir.config;
      let selected = true;
      if (config.patterns.length > 0) {
        let sel = 0x2b; // '+'
        let err = 0x45; // 'E'
        for (const p of config.patterns) {
          if (matchPattern(config.program, line, { at: p.at, length })) {
            const kind = p.kind.charCodeAt(0);
            if (kind === 0x2b || kind === 0x2d) sel = kind;
            else err = kind;
          }
        }
        selected = sel === 0x2b;
        if (err === 0x65) this.#host.copyToStderr(this.#copyLine(config.prefix, head, long, stamp));
      }
      dir.selected = selected;
      if (!selected) continue;
      if (config.udp !== undefined) dir.queueUdp(this.#copyLine(config.prefix, head, long, stamp));
      if (config.udpOnly) continue;
      const out = dir.pending;
      const prefix = config.prefix;
      out.reserve((stamp?.length ?? 0) + prefix.length + head.length + 1);
      const bytes = out.bytes;
      let o = putLineHead(bytes, out.length, stamp, prefix);
      bytes.set(head, o);
      o += head.length;
      if (complete) bytes[o++] = 0x0a;
      out.length = o;
    }
  }

  /** `[stamp ]prefix head[...]\n`: the stderr and UDP form of a line. */
  #copyLine(
    prefix: Uint8Array,
    head: Uint8Array,
    long: boolean,
    stamp: Uint8Array | undefined,
  ): Uint8Array {
    const length = (stamp?.length ?? 0) + prefix.length + head.length + (long ? 3 : 0) + 1;
    const bytes = new Uint8Array(length);
    let o = putLineHead(bytes, 0, stamp, prefix);
    bytes.set(head, o);
    o += head.length;
    if (long) {
      bytes.set(DOTS, o);
      o += 3;
    }
    bytes[o] = 0x0a;
    return bytes;
  }
}

/** Writes `stamp` (when on) and then `prefix` into `bytes` at `o`; returns the offset after them. */
function putLineHead(
  bytes: Uint8Array,
  o: number,
  stamp: Uint8Array | undefined,
  prefix: Uint8Array,
): number {
  if (stamp !== undefined) {
    bytes.set(stamp, o);
    o += stamp.length;
  }
  if (prefix.length > 0) {
    bytes.set(prefix, o);
    o += prefix.length;
  }
  return o;
}
