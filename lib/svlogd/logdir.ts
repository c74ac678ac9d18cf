/**
 * One svlogd log directory: opening it (lock, config, `current`), appending with size
 * rotation, rotation itself, pruning old files, starting the processor
 * (lib/svlogd/processor.ts), UDP copies and closing (spec svlogd.md §3, §5, §9, §11;
 * runit src/svlogd.c logdir_open, buffer_pwrite, rotate, rmoldest, logdir_close).
 *
 * Output is written in the background (`kick()`): while one batch waits (a rotation's
 * fsync, a processor, a pause) the engine fills the other buffer.
 *
 * Paths: `name` is the operand as the user wrote it (used in every message); `path` is
 * where the file work happens. Nothing here calls chdir: the in-process form shares one
 * cwd among hundreds of supervisors, so every path is `path + "/" + file`.
 *
 * Failures that runit "pauses" on are retried every few seconds through the context's
 * `pause()`, which the engine makes abortable, so SIGTERM is obeyed while paused (spec
 * DEVIATIONS.md item 7).
 */

import type dgram from "node:dgram";
import type { Reaper } from "../reaper.ts";
import { EAGAIN, ENOENT, ENOSPC, errstr } from "../errstr.ts";
import { errnoOf, errText } from "../sys_error.ts";
import { retryPausing } from "./retry.ts";
import { ByteBuffer } from "./byte_buffer.ts";
import { type LogDirConfig, parseConfig } from "./config.ts";
import { ProcessorRun } from "./processor.ts";
import { rotatedName } from "./stamp.ts";
import { SyncWhileQuick } from "./sync_while_quick.ts";
import { pathMissing, unlinkAt } from "../../ffi/libc.ts";

/** unlinkat(2)'s "relative to the working directory" (<fcntl.h>, Linux). */
const AT_FDCWD = -100;

/** What a log directory needs from the engine that drives it. */
export interface LogDirContext {
  /** Prints `svlogd: warning: TEXT`. */
  warn(text: string): void;
  /** Prints `svlogd: info: TEXT` when -v was given. */
  info(text: string): void;
  /** Prints `svlogd: pausing: TEXT`, waits, and throws when svlogd is being stopped. */
  pause(text: string): Promise<void>;
  /** The wall clock in unix microseconds. */
  now(): number;
  /**
   * The time for a rotated file's name, in unix microseconds: later than every one given
   * before in this process, across directories and a SIGHUP's reopening, so that names
   * sort in rotation order even when the clock reads the same or an earlier time (a step
   * backwards), and pruning never takes the newest file for the oldest.
   */
  rotationMicros(): number;
  /** `-l`: the after-write rotation threshold is `s - lineMax`. */
  lineMax: number;
  /** Reaps processors. */
  reaper: Reaper;
  /**
   * When set, a rotation of a small file (at most SMALL_FILE_BYTES) runs its fsync and
   * the unlink of the oldest file on svlogd's own thread while they take at most this many
   * ms, as runit does. Unset (the in-process form, which shares the supervisor's thread):
   * only operations of 0.1 ms or less block (sync_while_quick.ts).
   */
  smallFileBlockMs?: number | undefined;
}

/**
 * Bytes a directory may have waiting in memory (while a rotation's fsync runs, say)
 * before the engine stops taking input: what SIGTERM must still write before svlogd
 * exits. With a small `s` that is also bounded in rotations, each an fsync of 0.5-10 ms
 * on a disk: with 1 MiB at `s1000` svlogd took 13-19 s to exit after SIGTERM (runit's
 * leaves the input in the pipe and exits at once), past the 7 s a supervisor gives its
 * log before SIGKILL (a soak found it). The svlogd applet also reads no more than this at
 * a time (SvlogdEngine.readLimit): a chunk is taken whole.
 */
const BACKLOG_MAX_BYTES = 1 << 20;
const BACKLOG_MIN_BYTES = 1 << 10;
const BACKLOG_ROTATIONS = 16;
const SHORT_LINE_BYTES = 64;

/**
 * A rotated file this small has little to fsync, and with rotations this frequent there
 * are few lines to format while it runs: the hand-off to Deno's blocking pool and back
 * (~0.1-0.3 ms here) cost more than it saved. 9,000 rotations of `s100` on the test VM's
 * disk: 10.6-11.5 s with every fsync and unlink on the pool, 8.4 s blocking (C svlogd
 * 5.9-7.4 s, same runs). With 1 MB files the pool is faster (0.63 against 0.77 s for
 * 1 M lines): the next megabyte is formatted meanwhile.
 */
const SMALL_FILE_BYTES = 1 << 16;

/** A failure of one open step: the directory is skipped with this warning. */
export class LogDirSkipped extends Error {
  override name = "LogDirSkipped";
  /**
   * The directory itself had been opened when the step failed (it is not a directory, or
   * its lock cannot be taken): runit closes it first, which with -v prints `close: NAME`
   * before the warning, NAME being what the same slot last opened ("" if never).
   */
  readonly afterOpen: boolean;

  constructor(message: string, afterOpen = true) {
    super(message);
    this.afterOpen = afterOpen;
  }
}

/** A UDP copy due at a given offset of the pending output. */
interface UdpOp {
  at: number;
  datagram: Uint8Array;
}

const encoder = new TextEncoder();

/** One open log directory. */
export class LogDir {
  readonly name: string;
  readonly path: string;
  config: LogDirConfig;
  /** Bytes waiting to be appended to `current`; the engine appends lines here. */
  pending: ByteBuffer = new ByteBuffer();
  #writing: ByteBuffer = new ByteBuffer();
  #draining: Promise<void> | undefined;
  #drainError: unknown;
  /** UDP sends interleaved with `pending`. */
  udpOps: UdpOp[] = [];
  /** Filled by the engine: whether the line now being streamed goes here. */
  // True to start with: a directory reopened by SIGHUP in the middle of a long line gets
  // the rest of that line rather than losing it.
  selected = true;
  /** Sticky `e`/`E` state; reset to `E` when patterns are evaluated. */
  err = 0x45;
  #ctx: LogDirContext;
  #lock: Deno.FsFile;
  #current: Deno.FsFile | undefined;
  #size = 0;
  #deadline = 0;
  #processor: ProcessorRun | undefined;
  #socket: dgram.Socket | undefined;
  /** The UDP socket being made (node:dgram is loaded on first use, see #udpSocket). */
  #opening: Promise<dgram.Socket> | undefined;
  #open = true;
  #waitingForProcessor = false;
  /** How a rotation fsyncs `current`, and how pruning unlinks: see sync_while_quick.ts. */
  readonly #fsync = new SyncWhileQuick();
  readonly #unlink = new SyncWhileQuick();
  /** The same for small files, when svlogd may block longer for them (smallFileBlockMs). */
  readonly #fsyncSmall: SyncWhileQuick | undefined;
  readonly #unlinkSmall: SyncWhileQuick | undefined;
  /** The last rotation's removal of the oldest file, which may still be running. */
  #pruning: Promise<void> = Promise.resolve();
  #pruneRunning = false;
  /** A pruning found no `.t` to remove, or removed them (see #prune). */
  #leftoversGone = false;

  private constructor(
    ctx: LogDirContext,
    name: string,
    path: string,
    lock: Deno.FsFile,
    config: LogDirConfig,
  ) {
    this.#ctx = ctx;
    this.name = name;
    this.path = path;
    this.#lock = lock;
    this.config = config;
    const quickMs = ctx.smallFileBlockMs;
    if (quickMs !== undefined) {
      this.#fsyncSmall = new SyncWhileQuick({ quickMs });
      this.#unlinkSmall = new SyncWhileQuick({ quickMs });
    }
  }

  /**
   * Opens a log directory (spec §3). Throws {@linkcode LogDirSkipped} with the warning
   * text when the directory must be left out; pauses (retrying) on `current` failures.
   */
  static async open(ctx: LogDirContext, name: string, path: string): Promise<LogDir> {
    try {
      Deno.openSync(path, { read: true }).close();
    } catch (err) {
      throw new LogDirSkipped(`unable to open log directory: ${name}: ${errText(err)}`, false);
    }
    try {
      // runit's fchdir(2) into it, whose checks `DIR/.` makes without moving the process
      // (runsvdir's in-process logs share one cwd): a directory (ENOTDIR), searchable
      // (EACCES for a directory without x, as nobody).
      Deno.statSync(`${path}/.`);
    } catch (err) {
      throw new LogDirSkipped(`unable to change directory: ${name}: ${errText(err)}`);
    }
    let lock: Deno.FsFile;
    try {
      lock = Deno.openSync(`${path}/lock`, { append: true, create: true, mode: 0o600 });
    } catch (err) {
      throw new LogDirSkipped(`unable to lock directory: ${name}: ${errText(err)}`);
    }
    let locked = false;
    try {
      locked = lock.tryLockSync(true);
    } catch (err) {
      lock.close();
      throw new LogDirSkipped(`unable to lock directory: ${name}: ${errText(err)}`);
    }
    if (!locked) {
      lock.close();
      throw new LogDirSkipped(
        `unable to lock directory: ${name}: ${errstr(EAGAIN)}`,
      );
    }
    let config = parseConfig(new Uint8Array(0)).config;
    try {
      const bytes = Deno.readFileSync(`${path}/config`);
      ctx.info(`read: ${name}/config`);
      const parsed = parseConfig(bytes);
      for (const warning of parsed.warnings) ctx.warn(warning);
      config = parsed.config;
    } catch (err) {
      if (errnoOf(err) !== ENOENT) {
        ctx.warn(`unable to read config: ${name}: ${errText(err)}`);
        // runit goes on as if the read had worked (spec §3 step 5 quirk), with the
        // defaults here, not what its buffer held from another directory.
        ctx.info(`read: ${name}/config`);
      }
    }
    const dir = new LogDir(ctx, name, path, lock, config);
    try {
      await dir.#openCurrent();
    } catch (err) {
      dir.#releaseLock();
      throw err;
    }
    if (config.timeoutSeconds > 0) dir.#deadline = Date.now() + config.timeoutSeconds * 1000;
    return dir;
  }

  /** Whether the directory is still open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Size of `current` as svlogd counts it. */
  get size(): number {
    return this.#size;
  }

  /** Wall-clock ms of the `t` deadline, 0 when off. */
  get deadline(): number {
    return this.#deadline;
  }

  async #openCurrent(): Promise<void> {
    const currentPath = `${this.path}/current`;
    let kept = false;
    try {
      const stat = Deno.statSync(currentPath);
      if (stat.size > 0 && ((stat.mode ?? 0) & 0o100) === 0) {
        // Not closed cleanly: keep it as an unprocessed old file (spec §3 step 6).
        const name = this.#freshName("u");
        try {
          Deno.renameSync(currentPath, `${this.path}/${name}`);
        } catch (err) {
          this.#ctx.warn(`unable to rename current: ${this.name}: ${errText(err)}`);
        }
        await this.#prune([name]);
      } else {
        kept = true;
      }
    } catch (err) {
      if (errnoOf(err) !== ENOENT) {
        throw new LogDirSkipped(`unable to stat current: ${this.name}: ${errText(err)}`);
      }
    }
    await this.#createCurrent();
    this.#ctx.info(`${kept ? "append" : "new"}: ${this.name}/current`);
  }

  /**
   * Opens or creates `current` for appending (0600, then 0644), pausing on failure.
   * `measure`: take the size from the file (at open; a rotation counts from 0, as runit).
   */
  async #createCurrent(what = "unable to open current", measure = true): Promise<void> {
    const currentPath = `${this.path}/current`;
    for (;;) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(currentPath, { append: true, create: true, mode: 0o600 });
      } catch (err) {
        await this.#ctx.pause(`${what}: ${this.name}: ${errText(err)}`);
        continue;
      }
      try {
        Deno.chmodSync(currentPath, 0o644);
        if (measure) this.#size = file.statSync().size;
      } catch (err) {
        file.close();
        await this.#ctx.pause(`unable to set mode of current: ${this.name}: ${errText(err)}`);
        continue;
      }
      this.#current = file;
      return;
    }
  }

  /** A `@TAI64N.x` name not present in the directory (a new timestamp if it is). */
  #freshName(suffix: "s" | "u"): string {
    for (;;) {
      const name = rotatedName(this.#ctx.rotationMicros(), suffix);
      const path = `${this.path}/${name}`;
      // The usual answer without an exception (~20 µs a rotation); a stat that fails for
      // another reason than ENOENT also ends the search, as before.
      if (pathMissing(path)) return name;
      try {
        Deno.lstatSync(path);
      } catch {
        return name;
      }
    }
  }

  /** Queues a UDP copy at the current end of the pending output. */
  queueUdp(datagram: Uint8Array): void {
    this.udpOps.push({ at: this.pending.length, datagram });
  }

  /**
   * How many bytes may wait in memory before the engine stops taking input until they
   * are written (BACKLOG_MAX_BYTES, BACKLOG_ROTATIONS).
   */
  get backlogLimit(): number {
    const sizeMax = this.config.sizeMax;
    if (sizeMax <= 0) return BACKLOG_MAX_BYTES;
    // The fewest bytes between two rotations under runit's rules: `s`, or past `s − len`
    // the next line end (a line of a few dozen bytes, say, when `s − len` is less).
    const lineMax = this.#ctx.lineMax;
    const apart = sizeMax >= lineMax ? Math.max(sizeMax - lineMax, SHORT_LINE_BYTES) : sizeMax;
    return Math.min(BACKLOG_MAX_BYTES, Math.max(BACKLOG_MIN_BYTES, BACKLOG_ROTATIONS * apart));
  }

  /** Bytes taken but not yet written (the backlog that backpressure watches). */
  get backlog(): number {
    return this.pending.length + this.#writing.length;
  }

  /**
   * Starts writing what is pending, in the background when it must wait (a rotation's
   * fsync, a processor, a pause); meanwhile new lines gather in a fresh buffer. Write
   * errors surface through {@linkcode flush}.
   */
  kick(): void {
    if (this.#draining !== undefined || !this.#hasPending()) return;
    const draining = this.#drain().finally(() => {
      if (this.#draining === draining) this.#draining = undefined;
    });
    this.#draining = draining;
    draining.catch((err) => (this.#drainError ??= err));
  }

  /** Writes everything pending to `current` (rotations, UDP copies, pauses included). */
  async flush(): Promise<void> {
    await this.drained();
    const err = this.#drainError;
    this.#drainError = undefined;
    if (err !== undefined) throw err;
  }

  /** Like {@linkcode flush}, but a write error stays for the next flush() to report. */
  async drained(): Promise<void> {
    for (;;) {
      this.kick();
      const draining = this.#draining;
      if (draining === undefined) return;
      await draining.catch(() => {});
    }
  }

  #hasPending(): boolean {
    return this.pending.length > 0 || this.udpOps.length > 0;
  }

  async #drain(): Promise<void> {
    while (this.#hasPending()) {
      if (!this.#open) {
        this.pending.clear();
        this.udpOps = [];
        return;
      }
      // Swap buffers: lines taken while this batch is written go to the other one.
      const batch = this.pending;
      this.pending = this.#writing;
      this.#writing = batch;
      const ops = this.udpOps;
      this.udpOps = [];
      const data = batch.view();
      try {
        let offset = 0;
        for (const op of ops) {
          if (op.at > offset) await this.#append(data.subarray(offset, op.at));
          offset = op.at;
          await this.#sendUdp(op.datagram);
        }
        if (offset < data.length) await this.#append(data.subarray(offset));
      } finally {
        batch.clear();
      }
    }
  }

  /**
   * Appends bytes to `current` the way runit's buffer_pwrite does, but a whole chunk at
   * a time: rotate before a write when `size >= s`; never let `current` pass `s` bytes;
   * rotate after a line end once `size >= s - len` (only when `s >= len`: runit's
   * unsigned subtraction wraps otherwise).
   */
  async #append(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const sizeMax = this.config.sizeMax;
      let count = bytes.length - offset;
      let rotateAfter = false;
      if (sizeMax > 0) {
        if (this.#size >= sizeMax) await this.rotate();
        count = Math.min(count, sizeMax - this.#size);
        if (sizeMax >= this.#ctx.lineMax) {
          const threshold = sizeMax - this.#ctx.lineMax;
          const need = Math.max(1, threshold - this.#size);
          if (need <= count) {
            const newline = bytes.indexOf(0x0a, offset + need - 1);
            if (newline !== -1 && newline < offset + count) {
              count = newline - offset + 1;
              rotateAfter = true;
            }
          }
        }
      }
      await this.#writeAll(bytes.subarray(offset, offset + count));
      offset += count;
      if (rotateAfter) await this.rotate();
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      try {
        const n = this.#current!.writeSync(bytes.subarray(offset));
        offset += n;
        this.#size += n;
      } catch (err) {
        if (errnoOf(err) === ENOSPC && this.config.nMin < this.config.nMax) {
          // The last rotation's unlink may still be freeing space: the write is tried
          // again once it is done, before another file is deleted for space (runit's
          // order: the unlink comes before the next write).
          if (this.#pruneRunning) {
            await this.#pruning;
            continue;
          }
          if (this.#deleteForSpace()) continue;
        }
        await this.#ctx.pause(`unable to write to current: ${this.name}: ${errText(err)}`);
      }
    }
  }

  /** Disk full: deletes the oldest `@` file while more than `N` are kept (spec §5.4). */
  #deleteForSpace(): boolean {
    const names = this.#oldNames(true);
    if (names.length <= this.config.nMin) return false;
    const victim = names.find((n) => !this.#isProtected(n));
    if (victim === undefined) return false;
    this.#ctx.warn(`out of disk space, delete: ${this.name}/${victim}`);
    try {
      Deno.removeSync(`${this.path}/${victim}`);
      return true;
    } catch (err) {
      this.#ctx.warn(`unable to unlink oldest logfile: ${this.name}: ${errText(err)}`);
      return false;
    }
  }

  /** The 27-character `@` names, oldest first (with `.t` leftovers when asked). */
  #oldNames(withLeftovers: boolean): string[] {
    const names: string[] = [];
    for (const entry of Deno.readDirSync(this.path)) {
      const name = entry.name;
      if (name.length !== 27 || name[0] !== "@") continue;
      if (!withLeftovers && name[26] === "t") continue;
      names.push(name);
    }
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The file a processor is working on is never deleted (2.3.0's fix, DEVIATIONS 5). */
  #isProtected(name: string, extra: readonly string[] = []): boolean {
    return extra.includes(name) || this.#processor?.uses(name) === true;
  }

  /** Removes `.t` leftovers and, if more than `n` old files (`.u` aside) remain, the oldest. */
  async #prune(keep: readonly string[] = []): Promise<void> {
    // With `n0` nothing is deleted by count, and without a processor no `.t` appears once
    // a first pruning has removed those left from before: the directory is not read
    // again. Reading it each time made every rotation cost O(old files): 5,000 rotations
    // with `n0` took 17.3 s against runit's 2.1 s (found by a soak).
    const nothingToFind = this.config.nMax === 0 && this.config.processor === undefined;
    if (nothingToFind && this.#leftoversGone) return;
    let names: string[];
    try {
      names = this.#oldNames(true);
    } catch (err) {
      this.#ctx.warn(`unable to read directory: ${this.name}: ${errText(err)}`);
      return;
    }
    const old: string[] = [];
    let leftoverStays = false;
    for (const name of names) {
      if (name[26] === "t") {
        if (this.#isProtected(name, keep)) continue;
        try {
          await Deno.remove(`${this.path}/${name}`);
        } catch (err) {
          this.#ctx.warn(`unable to unlink processor leftover: ${name}: ${errText(err)}`);
          leftoverStays = true;
        }
        continue;
      }
      // A `.u` (rotated, not yet processed) is neither counted nor deleted here, as in
      // Debian's svlogd (spec §5.3 says counted; the binary keeps `n` `.s` files besides
      // the `.u` being processed, and never deletes a leftover `.u`).
      if (name[26] === "u") continue;
      old.push(name);
    }
    if (nothingToFind && !leftoverStays) this.#leftoversGone = true;
    if (this.config.nMax === 0 || old.length <= this.config.nMax) return;
    const victim = old.find((name) => !this.#isProtected(name, keep));
    if (victim === undefined) return;
    this.#ctx.info(`delete: ${this.name}/${victim}`);
    const path = `${this.path}/${victim}`;
    try {
      // Off the main thread once unlinking is slow (a large file takes the kernel a while).
      // unlink(2) alone: Deno.removeSync stats first, to choose between unlink and rmdir.
      // Old files are about `s` bytes long.
      const small = this.config.sizeMax > 0 && this.config.sizeMax <= SMALL_FILE_BYTES;
      const unlink = (small ? this.#unlinkSmall : undefined) ?? this.#unlink;
      await unlink.run(() => unlinkAt(AT_FDCWD, path), () => Deno.remove(path));
    } catch (err) {
      this.#ctx.warn(`unable to unlink oldest logfile: ${this.name}: ${errText(err)}`);
    }
  }

  /** Runs `step` until it succeeds, pausing with `what: DIR: ERR` after each failure. */
  #retry(what: string, step: () => void): Promise<void> {
    return retryPausing(this.#ctx, what, this.name, step);
  }

  /** Rotates `current` (spec §5.2); an empty `current` is left alone. */
  async rotate(): Promise<void> {
    if (!this.#open) return;
    await this.waitProcessor();
    this.#processor = undefined;
    const withProcessor = this.config.processor !== undefined;
    const name = this.#freshName(withProcessor ? "u" : "s");
    if (this.config.timeoutSeconds > 0 && Date.now() >= this.#deadline) {
      this.#deadline = Date.now() + this.config.timeoutSeconds * 1000;
    }
    if (this.#size === 0) return;
    const current = this.#current!;
    const currentPath = `${this.path}/current`;
    // Blocking while fsync is quick; else asynchronous, the lines read meanwhile
    // gathering in memory instead of waiting (lib/svlogd/sync_while_quick.ts).
    const fsync = (this.#size <= SMALL_FILE_BYTES ? this.#fsyncSmall : undefined) ?? this.#fsync;
    for (;;) {
      try {
        await fsync.run(() => current.syncSync(), () => current.sync());
        break;
      } catch (err) {
        await this.#ctx.pause(`unable to fsync current logfile: ${this.name}: ${errText(err)}`);
      }
    }
    await this.#retry("unable to set mode of current", () => Deno.chmodSync(currentPath, 0o744));
    current.close();
    this.#current = undefined;
    await this.#retry(
      "unable to rename current",
      () => Deno.renameSync(currentPath, `${this.path}/${name}`),
    );
    this.#ctx.info(`rename: ${this.name}/current ${name} ${this.#size}`);
    await this.#createCurrent("unable to create new current", false);
    this.#size = 0;
    // The oldest file's unlink (~1 ms on a disk: the kernel frees its blocks) goes on
    // while the next lines are written to the new current, where runit waits for it; the
    // lines written meanwhile would otherwise gather in memory (or wait, past 1 MiB).
    await this.#pruning;
    // #prune reports its own failures; this only keeps an unforeseen one from going unseen.
    this.#pruneRunning = true;
    this.#pruning = this.#prune([name]).catch((err) =>
      this.#ctx.warn(`unable to remove old logfiles: ${this.name}: ${errText(err)}`)
    ).finally(() => (this.#pruneRunning = false));
    if (withProcessor) {
      this.#processor = await ProcessorRun.start(
        this.#ctx,
        this,
        this.config.processor!,
        name,
      );
    }
  }

  /** Rotates when the `t` deadline has passed. */
  async rotateIfDue(nowMs: number): Promise<void> {
    if (this.#deadline !== 0 && nowMs >= this.#deadline) await this.rotate();
  }

  /**
   * Waits until a running processor has finished successfully (spec §11 exit step 1; a
   * rotation waits so too, runit's processorstop).
   */
  async waitProcessor(): Promise<void> {
    const running = this.#processor;
    if (running === undefined) return;
    this.#waitingForProcessor = true;
    try {
      await running.done;
    } finally {
      this.#waitingForProcessor = false;
    }
  }

  /**
   * Whether a rotation or the close is waiting for the processor now: runit waits in
   * wait_pid() with SIGCHLD blocked then, so its `sigchild received.` comes later.
   */
  get waitingForProcessor(): boolean {
    return this.#waitingForProcessor;
  }

  async #sendUdp(datagram: Uint8Array): Promise<void> {
    const target = this.config.udp!;
    let socket = this.#socket;
    if (socket === undefined) {
      try {
        socket = await this.#udpSocket();
      } catch {
        const text = new Uint8Array(datagram.length + 35);
        text.set(encoder.encode("warning: no udp socket available: "));
        text.set(datagram, 34);
        await this.#append(text.subarray(0, 34 + datagram.length));
        return;
      }
    }
    const failed = await new Promise<boolean>((resolve) => {
      try {
        socket.send(
          datagram,
          target.port,
          target.address,
          (err) => resolve(err !== null && err !== undefined),
        );
      } catch {
        resolve(true);
      }
    });
    if (failed) {
      const head = encoder.encode("warning: failure sending through udp: ");
      const text = new Uint8Array(head.length + datagram.length);
      text.set(head);
      text.set(datagram, head.length);
      await this.#append(text);
    }
  }

  /**
   * The UDP socket, made on first use. node:dgram is imported only then: the first node:
   * module a Deno process loads initialises Deno's Node compatibility layer, ~25 ms here
   * (and most of a second under QEMU's TCG) that every svlogd without a `u` line paid at
   * start. Sends waiting meanwhile share the one socket, in order.
   */
  #udpSocket(): Promise<dgram.Socket> {
    this.#opening ??= import("node:dgram").then((module) => {
      const socket = module.default.createSocket("udp4");
      socket.on("error", () => {});
      socket.unref();
      if (this.#open) this.#socket = socket;
      else socket.close(); // closed meanwhile
      return socket;
    }).finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  /**
   * Closes the directory (spec §11): flush, fsync, chmod 0744 `current`, release the
   * lock. A running processor is forgotten unless `waitProcessor()` was awaited first.
   */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#ctx.info(`close: ${this.name}`);
    try {
      await this.flush();
    } finally {
      await this.#pruning;
      this.#open = false;
      this.#processor?.forget();
      this.#processor = undefined;
      const current = this.#current;
      this.#current = undefined;
      if (current !== undefined) {
        try {
          current.syncSync();
        } catch {
          // runit goes on too
        }
        try {
          Deno.chmodSync(`${this.path}/current`, 0o744);
        } catch {
          // ditto
        }
        current.close();
      }
      this.#socket?.close();
      this.#socket = undefined;
      this.#releaseLock();
    }
  }

  #releaseLock(): void {
    try {
      // Unlock explicitly: a child being spawned by another thread of this process may
      // still share the open file description until its exec, and would hold the lock.
      this.#lock.unlockSync();
    } catch {
      // not locked
    }
    try {
      this.#lock.close();
    } catch {
      // already closed
    }
  }
}
