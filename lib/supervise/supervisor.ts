/**
 * The Supervisor: runsv for one service directory and its `log/` service, as an object,
 * so that `runsv DIR` hosts one and runsvdir hosts hundreds in one process
 * (ARCHITECTURE.md §2; spec runsv.md, supervise-protocol.md).
 *
 * The decisions are the pure state machine of step.ts; this file is the I/O shell. Its
 * main loop is runsv's: start what should run; wait; reap every exited child; execute one
 * byte from main's control FIFO and one from the log's; SIGTERM acts as `x`; exit check.
 * The blocking parts of runsv (the 1-second restart delay, control scripts) block this
 * supervisor's loop only, never the process.
 *
 * Rules for many-per-process: never chdir (children get `cwd`), never hold a thread per
 * FIFO or pipe (they are read on SIGIO, lib/pipe_input.ts), no process-wide state except
 * the shared Reaper and the SIGIO listener. A supervisor alone in its process (runsv)
 * may instead wait as runsv does, blocked in one poll (signal_wait.ts).
 */

import { dupCloexec } from "../../ffi/fd.ts";
import {
  close,
  CName,
  O_CLOEXEC,
  O_DIRECTORY,
  O_RDONLY,
  open,
  pathMissing,
  pipe,
  readAvailable,
  tryKill,
} from "../../ffi/libc.ts";
import { SIGCONT, SIGKILL, signalNumber, SIGTERM } from "../signals.ts";
import { readStatus, type StatusRecord } from "../status_record.ts";
import { isLeftover, readProcessStart } from "./leftover.ts";
import {
  execFailure,
  reusableStart,
  spawn,
  spawnNoWait,
  type SpawnOptions,
} from "../../ffi/spawn.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { LogSink, LogSinkFactory } from "../log_sink.ts";
import { writeStderr } from "../output.ts";
import { decodeEscaped, useEscapedText } from "../escaped_text.ts";
import { Messenger } from "../msg.ts";
import type { Reaper } from "../reaper.ts";
import { errnoOf, errText, SysError } from "../sys_error.ts";
import { type ControlByte, parseControlBytes } from "./control.ts";
import { SupervisorFatal } from "./fatal.ts";
import { InProcessLog } from "./inprocess_log.ts";
import { type PipeInput, watchPipe } from "../pipe_input.ts";
import type { Arrivals, SignalWait } from "./signal_wait.ts";
import {
  type Action,
  decisionScript,
  type Event,
  exitDecision,
  initialRecord,
  type ServiceRecord,
  step,
  wantsStart,
} from "./step.ts";
import {
  type ControlFds,
  makeSuperviseDir,
  openControl,
  openOk,
  type StatusPaths,
  takeLock,
  writeStatusFiles,
} from "./supervise_dir.ts";
import { EAGAIN, ENOENT, ENOMEM } from "../errstr.ts";
import { exists, isFile, underCurrentDirectory } from "../fs_probe.ts";

export { SupervisorFatal };

/** How a Supervisor is set up (the contract runsvdir and runsv code against). */
export interface SupervisorOptions {
  /** The service directory as given; messages say `runsv ${dir}: ...`. */
  dir: string;
  /** Shared by every supervisor in the process. */
  reaper: Reaper;
  /** Default: `new Messenger(\`runsv ${dir}\`)` on stderr. */
  messenger?: Messenger;
  /** runsvdir -P: every process of this service starts in a new session (setsid). */
  newSession?: boolean;
  /** Used when `log/` has no `run` but a `log/svlogd` file (in-process logging). */
  logSinkFactory?: LogSinkFactory;
  /** Time source; tests pass a manual clock. */
  clock?: Clock;
  /**
   * SIGCHLD and SIGTERM, blocked by the whole process, from a signalfd: given by runsv
   * when it supervises alone (signal_wait.ts). The supervisor then waits for its FIFOs
   * and those signals in one blocking poll, unless it logs in-process; and it takes
   * both signals from here either way (their listeners never run: they are blocked).
   */
  signalWait?: SignalWait | undefined;
}

/** posix_spawn errors that mean "no process could be made" (runsv: fork failed). */
const FORK_ERRNOS = new Set([EAGAIN, ENOMEM]);
/** runsv sleeps this long after a failed fork. */
const FORK_RETRY_MS = 5000;
/** The top of the loop's event. It carries no time: a start records its own once spawned. */
const TICK: Event = { kind: "tick" };
/** A service left running by a supervisor that ended gets KILL after this (sv's wait). */
const LEFTOVER_STOP_MS = 7000;
/** Control bytes buffered per service before the FIFO is left unread (backpressure). */
const CONTROL_QUEUE_MAX = 4096;

type Which = "main" | "log";

interface Slot {
  record: ServiceRecord;
  paths: StatusPaths;
  label: string;
  lockFd: number;
  control: ControlFds | undefined;
  input: PipeInput | undefined;
  okFd: number;
  bytes: ControlByte[];
  /** A state the status files do not show yet (see #flush). */
  unwritten: ServiceRecord | undefined;
}

/**
 * A slot with nothing open yet: its supervise directory is `label` (`supervise` or
 * `log/supervise`, as messages name it) under the service directory open as `dirFd`.
 */
function newSlot(record: ServiceRecord, dirFd: number, label: string): Slot {
  return {
    record,
    paths: { dirFd, label },
    label,
    lockFd: -1,
    control: undefined,
    input: undefined,
    okFd: -1,
    bytes: [],
    unwritten: undefined,
  };
}

/** Supervises one service directory (and its log service). */
export class Supervisor {
  readonly #dir: string;
  /** Where the service directory is reached: a path that follows it (see #setup). */
  #abs: string;
  #dirFd = -1;
  readonly #reaper: Reaper;
  readonly #say: Messenger;
  readonly #newSession: boolean;
  readonly #clock: Clock;
  readonly #logSinkFactory: LogSinkFactory | undefined;

  #main: Slot | undefined;
  #log: Slot | undefined;
  #logPipe: [number, number] | undefined;
  #pidChanged = true; // runit's single flag, shared by main and log (quirk Q4)
  /** Reaped children; `generation` marks an in-process log "exit" (see InProcessLog). */
  #exits: { pid: number; wstat: number; generation?: number }[] = [];
  #termRequested = false;
  /**
   * SIGTERM has been taken: the exit it asked for holds until runsv exits. runit's `x`
   * from SIGTERM is undone by a `u` still queued in the FIFO (written before the signal),
   * and that runsv then never exits: a lost TERM, which stage 3 and runsvdir wait on.
   */
  #exitOnTerm = false;
  /** SIGTERM arrived: it takes effect at the next wait (step 3), as runsv's. */
  #termPending = false;
  #wake: (() => void) | undefined;
  #ended = false;
  #started = false;
  #released = false;
  #resolveFinished!: () => void;
  /** Set when `log/` has no `run` but a `log/svlogd` file and a sink factory was given. */
  #inProcessLog = false;
  #logReader: InProcessLog | undefined;
  readonly #signalWait: SignalWait | undefined;
  /** Waits block the thread in #signalWait (runsv alone, no in-process log). */
  #waitsBlocking = false;
  #controlBuffer: Uint8Array<ArrayBuffer> | undefined;
  /** The options `./run` of each slot last started with (#startOptions). */
  readonly #runStarts = new Map<Which, Readonly<SpawnOptions>>();

  /** Resolves when this supervisor has ended (after `x`/exit rules, terminate() or kill()). */
  readonly finished: Promise<void>;

  constructor(options: SupervisorOptions) {
    this.#dir = options.dir;
    // Opened relative to the current directory where that has no path (#setup names it
    // /proc/self/fd/N from then on).
    this.#abs = underCurrentDirectory(options.dir);
    this.#reaper = options.reaper;
    this.#say = options.messenger ?? new Messenger(`runsv ${options.dir}`);
    this.#newSession = options.newSession ?? false;
    this.#clock = options.clock ?? systemClock;
    this.#logSinkFactory = options.logSinkFactory;
    this.#signalWait = options.signalWait;
    this.finished = new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  /** Current pids, 0 = none. */
  get pids(): { service: number; log: number } {
    // An in-process log service shows the supervising process's own pid.
    return { service: this.#main?.record.pid ?? 0, log: this.#log?.record.pid ?? 0 };
  }

  /**
   * Creates supervise/, takes the lock, opens the FIFOs, writes the first status and
   * starts `./run` unless `down` exists. Throws SupervisorFatal (nothing is left open).
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error("Supervisor already started");
    this.#started = true;
    try {
      await this.#setup();
    } catch (err) {
      this.#ended = true;
      await this.#release();
      this.#resolveFinished();
      throw err;
    }
    this.#loop();
  }

  /** What SIGTERM does to runsv: `x` for the service, then the log; resolves when done. */
  terminate(): Promise<void> {
    if (!this.#ended) {
      this.#termPending = true;
      this.#wakeUp();
    }
    return this.finished;
  }

  /** SIGKILL every process this supervisor started and release everything now. */
  kill(): void {
    for (const slot of [this.#main, this.#log]) {
      const pid = slot?.record.pid ?? 0;
      if (pid > 0 && pid !== Deno.pid) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
        this.#reaper.forget(pid);
      }
    }
    this.#end();
  }

  // ---- start-up (runsv main(), in runit's order) ----

  async #setup(): Promise<void> {
    // runsv chdirs into the directory, so renaming it (or repointing the symlink that led
    // to it) never disturbs the supervisor. A Supervisor must not chdir: it holds the
    // directory open and names it /proc/self/fd/N, which keeps naming the same directory
    // (children get it as their cwd before exec, while the fd is still theirs).
    try {
      this.#dirFd = open(this.#abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } catch (err) {
      throw new SupervisorFatal(`unable to change to directory: ${errText(err)}`);
    }
    if (procFdWorks(this.#dirFd)) this.#abs = `/proc/self/fd/${this.#dirFd}`;
    const abs = this.#abs;
    const { now, monoMs: mono } = this.#clock.reading();
    const main = newSlot(
      initialRecord(false, exists(`${abs}/down`), now, mono),
      this.#dirFd,
      "supervise",
    );
    this.#main = main;

    let hasLog = false;
    try {
      hasLog = Deno.statSync(`${abs}/log`).isDirectory;
      if (!hasLog) this.#say.warn("./log: not a directory.");
    } catch (err) {
      if (errnoOf(err) !== ENOENT) this.#say.warn("unable to stat() ./log: ", err);
    }
    if (hasLog) {
      this.#log = newSlot(
        initialRecord(true, exists(`${abs}/log/down`), now, mono),
        this.#dirFd,
        "log/supervise",
      );
      try {
        this.#logPipe = pipe();
      } catch (err) {
        throw new SupervisorFatal(`unable to create log pipe: ${errText(err)}`);
      }
      this.#inProcessLog = this.#logSinkFactory !== undefined && !exists(`${abs}/log/run`) &&
        isFile(`${abs}/log/svlogd`);
    }

    makeSuperviseDir(`${abs}/supervise`, abs, "./supervise");
    main.lockFd = await takeLock(`${abs}/supervise/lock`, "supervise/lock", { wait: false });
    const log = this.#log;
    if (log !== undefined) {
      makeSuperviseDir(`${abs}/log/supervise`, `${abs}/log`, "./log/supervise");
      log.lockFd = await takeLock(`${abs}/log/supervise/lock`, "log/supervise/lock", {
        wait: true,
        isEnded: () => this.#ended,
      });
    }

    // What a supervisor that died left running is stopped first: no service runs twice.
    await this.#stopLeftover(`${abs}/supervise/status`, "");
    if (log !== undefined) await this.#stopLeftover(`${abs}/log/supervise/status`, "log: ");

    main.control = openControl(`${abs}/supervise/control`, "supervise/control");
    this.#update(main);
    if (log !== undefined) {
      // runit stats supervise/control here (quirk Q5); we check the log's own FIFO.
      log.control = openControl(`${abs}/log/supervise/control`, "log/supervise/control");
      this.#update(log);
    }
    main.okFd = openOk(`${abs}/supervise/ok`, "supervise/ok");
    if (log !== undefined) log.okFd = openOk(`${abs}/log/supervise/ok`, "log/supervise/ok");

    if (this.#signalWait !== undefined && !this.#inProcessLog) {
      // The control FIFOs are read after the blocking poll: no SIGIO for them.
      this.#waitsBlocking = true;
      return;
    }
    this.#listen(main);
    if (log !== undefined) this.#listen(log);
    if (this.#signalWait !== undefined) {
      this.#relaySignals(this.#signalWait).catch((err) =>
        this.#say.warn(`unable to read signals: ${errText(err)}`)
      );
    }
  }

  /**
   * Stops the process the `status` at `statusPath` names, when a supervisor that ended
   * left it running (lib/supervise/leftover.ts): TERM and CONT, KILL after 7 s.
   */
  async #stopLeftover(statusPath: string, label: string): Promise<void> {
    let record: StatusRecord;
    try {
      record = readStatus(statusPath);
    } catch {
      return; // none, or not a record: nothing was running
    }
    const { pid } = record;
    const running = (): boolean => isLeftover(record, readProcessStart(pid), Deno.pid);
    if (!running()) return;
    this.#say.warn(`stopping ${label}pid ${pid}, left running by a supervisor that ended`);
    const endedWithin = async (ms: number): Promise<boolean> => {
      const deadline = performance.now() + ms;
      while (running()) {
        if (performance.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return true;
    };
    tryKill(pid, SIGTERM);
    tryKill(pid, SIGCONT);
    if (await endedWithin(LEFTOVER_STOP_MS)) return;
    tryKill(pid, SIGKILL);
    await endedWithin(1000);
  }

  /** The signals from the signalfd, to whatever waits on the event loop meanwhile. */
  async #relaySignals(signals: SignalWait): Promise<void> {
    while (!this.#ended) {
      this.#arrived(await signals.next());
    }
  }

  #arrived(arrivals: Arrivals): void {
    if (arrivals.child) this.#reaper.reapAll();
    if (arrivals.term && !this.#ended) {
      this.#termPending = true;
      this.#wakeUp();
    }
  }

  /**
   * Blocks until a control FIFO with nothing queued has bytes, or SIGCHLD or SIGTERM
   * came (runsv's iopause), and takes what came.
   */
  #waitBlocking(): void {
    const slots: Slot[] = [];
    const fds: number[] = [];
    for (const slot of [this.#main, this.#log]) {
      if (slot?.control === undefined || slot.bytes.length > 0) continue;
      slots.push(slot);
      fds.push(slot.control.read);
    }
    const found = this.#signalWait!.wait(fds);
    for (let i = 0; i < slots.length; i++) {
      if (found.readable[i]) this.#readControl(slots[i]!);
    }
    this.#arrived(found);
  }

  #readControl(slot: Slot): void {
    this.#controlBuffer ??= new Uint8Array(CONTROL_QUEUE_MAX);
    const count = readAvailable(slot.control!.read, this.#controlBuffer);
    if (count > 0) {
      for (const byte of parseControlBytes(this.#controlBuffer.subarray(0, count))) {
        slot.bytes.push(byte);
      }
    }
  }

  #listen(slot: Slot): void {
    const input = watchPipe(slot.control!.read, {
      onData: (chunk) => {
        for (const byte of parseControlBytes(chunk)) slot.bytes.push(byte);
        if (slot.bytes.length >= CONTROL_QUEUE_MAX) input.pause();
        this.#wakeUp();
      },
    });
    slot.input = input;
  }

  // ---- the main loop ----

  async #loop(): Promise<void> {
    while (!this.#ended) {
      try {
        await this.#iteration();
      } catch (err) {
        // A bug must not take the process (or other supervisors) down: report, back off.
        this.#say.warn(`internal error: ${err instanceof Error ? err.message : String(err)}`);
        await this.#clock.sleep(1000);
      }
    }
  }

  async #iteration(): Promise<void> {
    const main = this.#main!;
    const log = this.#log;
    if (log !== undefined && wantsStart(log.record)) await this.#apply("log", TICK);
    if (this.#ended) return;
    if (wantsStart(main.record)) await this.#apply("main", TICK);
    await this.#waitForWork();
    if (this.#ended) return;

    // Reap now, as runsv's wait_nohang does before each byte: SIGCHLD's listener runs only
    // when the event loop gets a turn, which a burst of control bytes does not give it, and
    // a byte must act on the state a child's death has left (`k` after a signal that
    // killed ./run then skips ./finish, as in runit: tests/runsv_random_test.ts).
    this.#reaper.reapAll();
    while (this.#exits.length > 0) {
      const exit = this.#exits.shift()!;
      // The end of an in-process sink that has been replaced since: nothing to reap.
      if (exit.generation !== undefined && exit.generation !== this.#logReader?.generation) {
        continue;
      }
      for (const which of ["main", "log"] as const) {
        const slot = this.#slot(which);
        if (slot === undefined || slot.record.pid !== exit.pid) continue;
        await this.#apply(which, {
          kind: "exited",
          pid: exit.pid,
          wstat: exit.wstat,
          finishExists: which === "main" && this.#finishExists(),
          ...this.#clock.reading(),
        });
      }
      if (this.#ended) return;
      // runsv's reap loop goes on after its 1-second sleep: a child that ended during the
      // sleep is handled now, before the byte and before the top of the loop starts more.
      if (this.#exits.length === 0) this.#reaper.reapAll();
    }
    const mainByte = this.#takeByte(main);
    if (mainByte !== undefined) await this.#control("main", mainByte);
    if (log !== undefined) {
      const logByte = this.#takeByte(log);
      if (logByte !== undefined) await this.#control("log", logByte);
    }
    if (this.#termRequested || (this.#exitOnTerm && main.record.want !== "exit")) {
      await this.#takeTerm();
    }

    const decision = exitDecision(main.record, log?.record);
    if (decision === "exit") {
      this.#end();
    } else if (decision === "closeLog" && log !== undefined) {
      log.record = { ...log.record, want: "exit" };
      this.#update(log);
      this.#closeLogPipe();
    }
  }

  /** Whether the service has a log whose pipe the exit rule has closed. */
  #logClosedForExit(): boolean {
    return this.#log !== undefined && this.#logPipe === undefined;
  }

  /** SIGTERM as runsv takes it: an `x` for the service; from then on the exit holds. */
  async #takeTerm(): Promise<void> {
    this.#termRequested = false;
    this.#exitOnTerm = true;
    await this.#control("main", "x");
  }

  #slot(which: Which): Slot | undefined {
    return which === "main" ? this.#main : this.#log;
  }

  #takeByte(slot: Slot): ControlByte | undefined {
    // Read now, as runsv reads its byte after reaping: one that came during the restart
    // delay or a control script acts on the state that left, not on the next.
    if (this.#waitsBlocking && slot.bytes.length === 0) this.#readControl(slot);
    const byte = slot.bytes.shift();
    if (slot.bytes.length < CONTROL_QUEUE_MAX / 2 && slot.input?.isPaused()) {
      slot.input.resume();
    }
    return byte;
  }

  #hasWork(): boolean {
    // A start that failed at exec leaves no child to wait for: go round again at once
    // (the 1-second delay has been served), as runsv does when reaping that child.
    const restart = wantsStart(this.#main!.record) ||
      (this.#log !== undefined && wantsStart(this.#log.record));
    return restart || this.#exits.length > 0 || this.#termPending ||
      (this.#main?.bytes.length ?? 0) > 0 || (this.#log?.bytes.length ?? 0) > 0;
  }

  async #waitForWork(): Promise<void> {
    // runsv's poll takes CHLD and TERM in every iteration, also in a burst of bytes; with
    // nothing queued the wait below polls the signalfd itself (no read that finds none).
    if (this.#waitsBlocking && this.#hasWork()) this.#arrived(this.#signalWait!.take());
    while (!this.#hasWork() && !this.#ended) {
      if (this.#waitsBlocking) {
        this.#waitBlocking();
      } else {
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    }
    // runsv blocks SIGTERM but in its poll: one that comes during the 1-second delay or a
    // control script is handled in the next iteration, after the top of the loop has
    // started ./run again if it wants up (which the `x` then stops, ./finish and all).
    if (this.#termPending) {
      this.#termPending = false;
      this.#termRequested = true;
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #control(which: Which, byte: ControlByte): Promise<void> {
    // Once `x` has closed the log pipe (the service down, its log finishing), the exit is
    // under way: a start now would give ./run no log (runit 2.1.2 then fails to start it
    // every second, "unable to setup filedescriptor"; ours wrote to the supervising
    // process's own stdout). The exit holds; runsvdir starts the supervisor again.
    if (which === "main" && (byte === "u" || byte === "o") && this.#logClosedForExit()) return;
    const slot = this.#slot(which)!;
    const script = decisionScript(slot.record, byte);
    const wantWritten = script !== undefined && (byte === "d" || byte === "x");
    if (wantWritten) {
      // runit writes the new want before it consults control/t: written before the
      // script runs (#custom), else with the state that follows (#flush).
      slot.record = { ...slot.record, want: byte === "d" ? "down" : "exit" };
      slot.unwritten = slot.record;
    }
    const handled = script === undefined ? false : await this.#custom(script);
    await this.#apply(which, {
      kind: "control",
      byte,
      handled,
      wantWritten,
    });
  }

  /** Steps a record and carries out the actions, feeding spawn results back in. */
  async #apply(which: Which, event: Event): Promise<void> {
    const slot = this.#slot(which)!;
    const result = step(slot.record, event);
    slot.record = result.record;
    await this.#perform(which, result.actions);
  }

  async #perform(which: Which, actions: readonly Action[]): Promise<void> {
    const slot = this.#slot(which)!;
    try {
      await this.#performEach(which, slot, actions);
    } finally {
      this.#flush(slot);
    }
  }

  async #performEach(which: Which, slot: Slot, actions: readonly Action[]): Promise<void> {
    for (const action of actions) {
      if (this.#ended) return;
      switch (action.kind) {
        case "pidChanged":
          this.#pidChanged = true;
          break;
        case "update":
          slot.unwritten = action.record;
          break;
        case "signal":
          if (which === "log" && this.#logReader !== undefined && action.pid === Deno.pid) {
            await this.#logReader.signal(action.signal);
            break;
          }
          sendSignal(action.pid, action.signal); // runit ignores kill's result
          break;
        case "script":
          await this.#custom(action.letter);
          break;
        case "consult": {
          const handled = await this.#custom(action.letter);
          await this.#apply(which, { kind: "stopBeforeStart", handled });
          break;
        }
        case "delay":
          this.#flush(slot);
          // A SIGTERM taken in this wait acts before the sleep: else a log service that
          // exits at once is started once more after it (and slept for again) before
          // runsv may exit. C runsv sees SIGTERM only in its poll, just after a start,
          // when the child it started cannot have exited yet.
          if (this.#termRequested) await this.#takeTerm();
          await this.#clock.sleep(action.ms);
          break;
        case "spawn":
          await this.#spawn(which, action.argv);
          break;
      }
    }
  }

  /**
   * Starts a child without waiting for its exec (as C runsv's fork: the status says run
   * while it execs), retried every 5 s while the system cannot make a process.
   */
  async #spawnRetrying(
    argv: readonly string[],
    isLog: boolean,
    fds: [number, number][],
  ): Promise<number> {
    let pid: number;
    for (;;) {
      try {
        pid = spawnNoWait(this.#startOptions(argv, isLog, fds));
        return pid;
      } catch (err) {
        // No process could be made (runsv's fork failure): warn, sleep 5 s, try again.
        if (!FORK_ERRNOS.has(errnoOf(err)) || this.#ended) throw err;
        this.#flushAll();
        this.#say.warn("unable to fork, sleeping", err);
        await this.#clock.sleep(FORK_RETRY_MS);
      }
    }
  }

  /**
   * How `argv` starts: for `./run`, the same options each time while the fds stay, whose C
   * forms ffi/spawn.ts then builds once (`./finish` gets new arguments with each exit).
   */
  #startOptions(argv: readonly string[], isLog: boolean, fds: [number, number][]): SpawnOptions {
    const cwd = isLog ? `${this.#abs}/log` : this.#abs;
    const which = isLog ? "log" : "main";
    const kept = argv.length === 1 ? this.#runStarts.get(which) : undefined;
    if (
      kept !== undefined && kept.argv[0] === argv[0] && kept.cwd === cwd &&
      sameFds(kept.fds!, fds)
    ) {
      return kept;
    }
    const options: SpawnOptions = {
      argv,
      cwd,
      fds,
      ...(this.#newSession ? { setsid: true } : {}),
    };
    if (argv.length !== 1) return options;
    const made = reusableStart(options);
    this.#runStarts.set(which, made);
    return made;
  }

  async #spawn(which: Which, argv: readonly string[]): Promise<void> {
    const isLog = which === "log";
    if (isLog && this.#inProcessLog) {
      await this.#startInProcessLog();
      return;
    }
    const fds: [number, number][] = [];
    if (this.#logPipe !== undefined) {
      fds.push(isLog ? [this.#logPipe[0], 0] : [this.#logPipe[1], 1]);
    }
    let pid: number;
    try {
      pid = await this.#spawnRetrying(argv, isLog, fds);
    } catch (err) {
      // The C child prints this and exits 111 (runsv.md, "Messages").
      this.#say.fatal(`unable to start ${isLog ? "log/" : ""}${argv[0]}`, err);
      await this.#apply(which, {
        kind: "spawnFailed",
        finishExists: !isLog && this.#finishExists(),
        ...this.#clock.reading(),
      });
      return;
    }
    this.#reaper.watch(pid, (exitedPid, status) => {
      // A child that could not exec has exited 111; the C child prints this before it does.
      const failure = execFailure(exitedPid);
      if (failure !== 0) {
        this.#say.fatal(
          `unable to start ${isLog ? "log/" : ""}${argv[0]}`,
          new SysError("execve", failure, argv[0]),
        );
      }
      this.#exits.push({ pid: exitedPid, wstat: status.raw });
      this.#wakeUp();
    });
    await this.#apply(which, {
      kind: "spawned",
      pid,
      ...this.#clock.reading(),
    });
  }

  /** Starts (or restarts) the in-process svlogd: the log "process" is this process. */
  async #startInProcessLog(): Promise<void> {
    const logDir = `${this.#abs}/log`;
    let sink: LogSink | undefined;
    try {
      // Its words keep their bytes: a log directory named in bytes that are not UTF-8 is
      // reached as svlogd's own argument would be (lib/escaped_text.ts).
      const text = decodeEscaped(Deno.readFileSync(`${logDir}/svlogd`));
      if (!text.isWellFormed()) useEscapedText();
      const args = text.split(/[ \t\n]+/).filter((w) => w !== "");
      sink = await this.#logSinkFactory!({
        reaper: this.#reaper,
        logDir,
        args,
        warn: (line) => writeStderr(line.endsWith("\n") ? line : line + "\n"),
      });
    } catch (err) {
      // As a C svlogd would print its fatal line and exit 111.
      writeStderr(`${err instanceof Error ? err.message : String(err)}\n`);
    }
    if (sink === undefined || this.#logPipe === undefined) {
      await sink?.close();
      await this.#apply("log", {
        kind: "spawnFailed",
        finishExists: false,
        ...this.#clock.reading(),
      });
      return;
    }
    this.#logReader ??= new InProcessLog(dupCloexec(this.#logPipe[0]), (wstat, generation) => {
      this.#exits.push({ pid: Deno.pid, wstat, generation });
      this.#wakeUp();
    });
    this.#logReader.attach(sink);
    await this.#apply("log", {
      kind: "spawned",
      pid: Deno.pid,
      ...this.#clock.reading(),
    });
  }

  /**
   * runit custom(): runs `control/<letter>` synchronously when it exists and is
   * executable by its owner; true when it exited 0 (a signal death counts as 0, Q7).
   */
  async #custom(letter: string): Promise<boolean> {
    // Most services have no control/: asked without the exception a failing stat costs.
    if (pathMissing(controlScriptName(letter), this.#dirFd)) return false;
    const name = `control/${letter}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(`${this.#abs}/${name}`);
    } catch (err) {
      if (errnoOf(err) !== ENOENT) this.#say.warn(`unable to stat ${name}`, err);
      return false;
    }
    if (((info.mode ?? 0) & 0o100) === 0) return false;
    this.#flushAll(); // the script sees the state runit would have written before it
    let pid: number;
    try {
      pid = spawn({
        argv: [name],
        cwd: this.#abs,
        fds: this.#logPipe === undefined ? [] : [[this.#logPipe[1], 1]],
        ...(this.#newSession ? { setsid: true } : {}),
      });
    } catch (err) {
      this.#say.fatal("unable to run control/?", err);
      return false;
    }
    let wstat: number | undefined;
    const exited = new Promise<void>((resolve) => {
      this.#reaper.watch(pid, (_pid, status) => {
        wstat = status.raw;
        resolve();
      });
    });
    if (this.#waitsBlocking) {
      // runsv waits for the script alone: SIGTERM meanwhile is kept for the next wait.
      await null; // an exit reaped already is handed over from a microtask
      while (wstat === undefined) this.#arrived(this.#signalWait!.wait([]));
    } else {
      await exited;
    }
    return ((wstat! >> 8) & 0xff) === 0;
  }

  #finishExists(): boolean {
    if (pathMissing(FINISH, this.#dirFd)) return false; // no exception for the usual case
    try {
      Deno.openSync(`${this.#abs}/finish`, { read: true }).close();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Status files are written once per batch of actions, with the last state: runit also
   * writes the states in between (e.g. "down, want up" just before a start, "run, want
   * down" just before "run, got TERM, want down"), which last microseconds. Each write
   * is two files written and renamed, ~0.2 ms on an ext4 disk: `sv up` -> run and a
   * shutdown pay it per service. A state is written before anything that waits (the
   * 1-second restart delay, a control script, a fork retry) and after a batch.
   */
  #flush(slot: Slot): void {
    const record = slot.unwritten;
    if (record !== undefined) this.#update(slot, record);
  }

  #flushAll(): void {
    if (this.#main !== undefined) this.#flush(this.#main);
    if (this.#log !== undefined) this.#flush(this.#log);
  }

  #update(slot: Slot, record: ServiceRecord = slot.record): void {
    slot.unwritten = undefined;
    if (this.#released) return; // kill(): another supervisor may own the directory now
    const written = writeStatusFiles(
      slot.paths,
      record,
      this.#pidChanged,
      (text, err) => this.#say.warn(text, err),
    );
    if (written) this.#pidChanged = false;
  }

  // ---- the end ----

  #closeLogPipe(): void {
    const fds = this.#logPipe;
    if (fds === undefined) return;
    this.#logPipe = undefined;
    // The in-process log reads its own duplicate of the read end until end of file; it
    // must not wait for a full disk to drain that (C runsv would hang here for good).
    this.#logReader?.endOfInput();
    try {
      close(fds[1]);
    } catch (err) {
      this.#say.warn("unable to close logpipe[1]", err);
    }
    try {
      close(fds[0]);
    } catch (err) {
      this.#say.warn("unable to close logpipe[0]", err);
    }
  }

  #end(): void {
    if (this.#ended && this.#released) return;
    this.#ended = true;
    const closed = this.#release();
    this.#wakeUp();
    // `finished` means every descriptor is really closed (the log sink closes later).
    void closed.then(() => this.#resolveFinished());
  }

  /** Closes everything; resolves when the log sink has closed too. */
  #release(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#released = true;
    const closing: Promise<void>[] = [];
    for (const slot of [this.#main, this.#log]) {
      if (slot === undefined) continue;
      if (slot.input !== undefined) slot.input.close(); // closes the read end
      else if (slot.control !== undefined) closeQuietly(slot.control.read);
      if (slot.control !== undefined) closeQuietly(slot.control.write);
      closeQuietly(slot.okFd);
      closeQuietly(slot.lockFd);
      slot.input = undefined;
      slot.control = undefined;
      slot.okFd = -1;
      slot.lockFd = -1;
    }
    if (this.#logPipe !== undefined) {
      closeQuietly(this.#logPipe[0]);
      closeQuietly(this.#logPipe[1]);
      this.#logPipe = undefined;
    }
    if (this.#logReader !== undefined) closing.push(this.#logReader.destroy());
    this.#logReader = undefined;
    return Promise.all(closing).then(() => {
      closeQuietly(this.#dirFd); // after the sink, which may still write under log/
      this.#dirFd = -1;
    });
  }
}

/**
 * kill(2), failures ignored. libc's through a fast call where the number is known:
 * `Deno.kill` ran in V8's interpreter, ~2.5% of runsv's CPU per `p`/`c` command (perf).
 */
function sendSignal(pid: number, signal: Deno.Signal): void {
  const number = signalNumber(signal);
  if (number !== undefined) {
    tryKill(pid, number);
    return;
  }
  try {
    Deno.kill(pid, signal);
  } catch {
    // gone already
  }
}

const FINISH = new CName("finish");
/** `control/<letter>`, encoded once per letter: asked before every start and stop. */
const controlScriptNames = new Map<string, CName>();

function controlScriptName(letter: string): CName {
  let name = controlScriptNames.get(letter);
  if (name === undefined) {
    name = new CName(`control/${letter}`);
    controlScriptNames.set(letter, name);
  }
  return name;
}

function sameFds(
  a: ReadonlyArray<readonly [number, number]>,
  b: ReadonlyArray<readonly [number, number]>,
): boolean {
  return a.length === b.length &&
    a.every((pair, i) => pair[0] === b[i]![0] && pair[1] === b[i]![1]);
}

function closeQuietly(fd: number): void {
  if (fd < 0) return;
  try {
    close(fd);
  } catch {
    // nothing left to do
  }
}

/** Whether /proc/self/fd/N reaches the directory (no /proc in early boot). */
function procFdWorks(fd: number): boolean {
  try {
    return Deno.statSync(`/proc/self/fd/${fd}`).isDirectory;
  } catch {
    return false;
  }
}
