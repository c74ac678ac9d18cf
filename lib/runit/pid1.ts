/**
 * runit as process 1: the I/O shell around the pure stage logic in `stages.ts`
 * (spec runit.md §2). It installs the signal listeners, owns the console, starts the
 * stages with posix_spawn, reaps every child (orphans included) from one SIGCHLD
 * listener, and at the end kills everything and calls reboot(2).
 *
 * Where C runit blocks signals and waits on a self-pipe, this waits on a {@linkcode Waker}
 * that the signal listeners and the reaper poke; the counters and the order of decisions
 * are runit's. Stage scripts are started with an empty signal mask and every signal at its
 * default (ffi/spawn.ts), so nothing Deno or runit ignores leaks into them (DEVIATIONS.md 4).
 */

import {
  close,
  dup2,
  getpid,
  hasChildren,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDWR,
  O_WRONLY,
  open,
  setsid,
  sync,
  tryKill,
  unblockSignals,
  type WaitStatus,
} from "../../ffi/libc.ts";
import {
  RB_AUTOBOOT,
  RB_DISABLE_CAD,
  RB_HALT_SYSTEM,
  RB_POWER_OFF,
  reboot,
} from "../../ffi/reboot.ts";
import { currentEnv, spawn } from "../../ffi/spawn.ts";
import { ignoreInspectorSignal } from "../daemon_signals.ts";
import { Messenger } from "../msg.ts";
import { Reaper } from "../reaper.ts";
import { writeConsole } from "./console.ts";
import { errnoOf } from "../sys_error.ts";
import { exists } from "../fs_probe.ts";
import {
  CONSOLE,
  CTRLALTDEL,
  flagIsSet,
  NOSYNC,
  REBOOT,
  STAGE2_RUNSVDIR,
  STAGE_PATHS,
  STOPIT,
} from "./files.ts";
import type { RunsvdirHost } from "../runsvdir/host.ts";
import { type InProcessStage2, parseStage2File } from "./stage2_inprocess.ts";
import {
  afterStage,
  decideRequest,
  decideShutdown,
  FINAL_TERM_GRACE_MS,
  finalMode,
  looksLikeRunsvdir,
  NO_PENDING,
  type Pending,
  POWEROFF_TO_HALT_MS,
  RETRY_PAUSE_MS,
  type Stage,
  STAGE2_RUNSVDIR_TERM_GRACE_MS,
  STAGE2_TERM_GRACE_MS,
  type StageEnd,
  WAKE_INTERVAL_MS,
} from "./stages.ts";
import { EAGAIN } from "../errstr.ts";
import { SIGALRM, SIGCONT, SIGINT, SIGKILL, SIGTERM } from "../signals.ts";

/** A one-slot wake-up: like runit's self-pipe, a wake with nobody waiting is kept. */
class Waker {
  #pending = false;
  #resolve: (() => void) | undefined;

  wake(): void {
    const resolve = this.#resolve;
    if (resolve === undefined) {
      this.#pending = true;
      return;
    }
    this.#resolve = undefined;
    resolve();
  }

  /** Resolves at the next wake (or at once if one is pending), or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = undefined;
        resolve();
      }, ms);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type TreeModule = typeof import("../runsvdir/tree.ts");

/**
 * Loads lib/runsvdir/tree.ts at stage 2, never with process 1's own code: process 1
 * starts without compiling the tree (it may never run stage 2 itself), and the tree's
 * in-process svlogd imports node:dgram for a UDP log target, which Deno panics on without
 * /proc. A literal `import()` would be inlined by `deno bundle` into process 1's bundle,
 * so the specifier is computed: the tree's own bundle beside an installed entry (`make
 * install` writes src/entry/runsvdir_tree.js), else the sources, from an entry or from
 * lib/runit/.
 */
function loadTreeModule(): Promise<TreeModule> {
  const candidates = ["./runsvdir_tree.js", "../lib/runsvdir/tree.ts", "../runsvdir/tree.ts"]
    .map((relative) => new URL(relative, import.meta.url));
  const found = candidates.find((url) =>
    url.protocol !== "file:" || exists(decodeURIComponent(url.pathname))
  );
  return import((found ?? candidates[candidates.length - 1]!).href);
}

/**
 * This process's environment as "NAME=value" strings, each with its exact bytes (values
 * that are not UTF-8 included: ffi/spawn.ts); empty if it cannot be read.
 */
function environment(): string[] {
  try {
    return currentEnv();
  } catch {
    return [];
  }
}

/** Makes this process's environment exactly `env` ("NAME=value" strings). */
function setEnvironment(env: readonly string[]): void {
  let names: string[] = [];
  try {
    names = Object.keys(Deno.env.toObject());
  } catch {
    // a value that is not UTF-8: Deno cannot list the names; set what is asked for
  }
  for (const name of names) Deno.env.delete(name);
  for (const assignment of env) {
    const at = assignment.indexOf("=");
    if (at > 0) Deno.env.set(assignment.slice(0, at), assignment.slice(at + 1));
  }
}

/** Whether process `pid` is runsvdir (/proc/PID/comm and cmdline; false when unreadable). */
function isRunsvdir(pid: number): boolean {
  try {
    const comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trimEnd();
    const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    return looksLikeRunsvdir(comm, argv);
  } catch {
    return false;
  }
}

function toStageEnd(status: WaitStatus): StageEnd {
  return status.kind === "signaled"
    ? { kind: "signaled", signal: status.signal }
    : { kind: "exited", code: status.kind === "exited" ? status.code : 0 };
}

/** Puts a fresh console descriptor on `targets`; false when /dev/console cannot be opened. */
function consoleOnto(targets: readonly number[]): boolean {
  let fd: number;
  try {
    fd = open(CONSOLE, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  } catch {
    return false;
  }
  try {
    for (const target of targets) if (target !== fd) dup2(fd, target);
  } catch {
    // keep whatever is there
  } finally {
    if (!targets.includes(fd)) close(fd);
  }
  return true;
}

/**
 * Installs the listeners that must exist before anything can signal process 1: HUP, INT
 * and TERM without a JS listener crash Deno as pid 1 (DENO-NOTES.md §8), and SIGUSR1 would
 * open V8's inspector (§11). Returns the runit object those listeners feed.
 */
export function startRunit(version: string): Runit {
  const runit = new Runit(version);
  runit.installSignals();
  return runit;
}

/** runit, process 1. */
export class Runit {
  readonly #say = new Messenger("- runit", writeConsole);
  readonly #version: string;
  readonly #waker = new Waker();
  readonly #reaper = new Reaper();
  #pending: Pending = { ...NO_PENDING };
  #stage: Stage = 1;
  #stagePid = 0;
  #stageEnd: WaitStatus | undefined;
  #stageRunning = false;
  /** The environment process 1 was given: stages 1 and 3 and ctrlaltdel get it. */
  #bootEnv: string[] = [];
  /** Stage 2 run in this process (/etc/runit/2.runsvdir), while it runs. */
  #tree: RunsvdirHost | undefined;

  constructor(version: string) {
    this.#version = version;
  }

  /** Signal listeners, first thing at start-up (spec §2.3 step 3). */
  installSignals(): void {
    // runit blocks HUP and TERM for good: the C launcher has blocked them (with INT and
    // CONT) before Deno started; they must do nothing, and need a listener where they
    // came unblocked (the sh launcher), else Deno's own handler crashes process 1.
    Deno.addSignalListener("SIGHUP", () => {});
    Deno.addSignalListener("SIGTERM", () => {});
    Deno.addSignalListener("SIGINT", () => this.#count("int"));
    Deno.addSignalListener("SIGCONT", () => this.#count("cont"));
    Deno.addSignalListener("SIGPWR", () => this.#count("pwr"));
    Deno.addSignalListener("SIGALRM", () => this.#count("alrm"));
    ignoreInspectorSignal();
    // An exception thrown by a callback (a supervisor's pipe read or timer when stage 2 runs
    // in this process) would end process 1, and with it the system: report it instead.
    globalThis.addEventListener("error", (event) => {
      event.preventDefault();
      this.#internalError(event.error ?? event.message);
    });
    // Every child is reaped here; the stage's own exit is routed by watch(), an orphan's
    // wakes the loop (the final TERM grace waits for the last one).
    this.#reaper.start(() => this.#waker.wake());
    // Now INT and CONT can be acted on: one that came while they were blocked is taken now,
    // as C runit takes them once its loop runs (scripts/launcher.c, block_runit_signals).
    unblockSignals([SIGINT, SIGCONT]);
  }

  #count(signal: keyof Pending): void {
    this.#pending[signal] += 1;
    this.#waker.wake();
  }

  /** Boots and never returns: process 1 must not exit (spec §2.9 b step 4). */
  async run(): Promise<never> {
    // Signal listeners do not keep Deno's event loop alive; while runit waits for a child
    // with no timer pending, Deno would otherwise exit (DENO-NOTES.md §11).
    setInterval(() => {}, 1 << 30);
    try {
      setsid();
    } catch {
      // ignored, as runit does (we may already lead a session)
    }
    consoleOnto([0, 1, 2]);
    try {
      reboot(RB_DISABLE_CAD);
    } catch {
      // refused inside a pid namespace; runit ignores the result too
    }
    this.#say.info(`${this.#version}: booting.`);
    this.#bootEnv = environment();
    this.#reaper.reapAll();
    let stage: Stage | "final" = 1;
    for (;;) {
      try {
        if (stage === "final") await this.#final();
        else stage = await this.#stageCycle(stage);
      } catch (err) {
        // Process 1 must not die of a bug: report it, pause as runit does, go on.
        this.#internalError(err);
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }

  #internalError(err: unknown): void {
    this.#say.warn(`internal error: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Runs one stage to its end and carries out runit's reaction; returns what comes next. */
  async #stageCycle(stage: Stage): Promise<Stage | "final"> {
    this.#stage = stage;
    const end = await this.#runStage(stage);
    let next: Stage | "final" = stage;
    for (const action of afterStage(stage, end)) {
      switch (action.do) {
        case "say":
          if (action.level === "info") this.#say.info(action.text);
          else this.#say.warn(action.text);
          break;
        case "killStageGroup":
          if (this.#stagePid > 1) tryKill(-this.#stagePid, SIGKILL);
          break;
        case "pause":
          await sleep(action.ms);
          break;
        case "start":
          next = action.stage;
          break;
        case "final":
          next = "final";
          break;
      }
    }
    return next;
  }

  /**
   * Starts a stage and waits for its end, handling signal requests meanwhile (§2.5). After
   * an internal error the main loop calls it again: a stage still running is then waited
   * for, not started a second time.
   */
  async #runStage(stage: Stage): Promise<StageEnd> {
    if (!this.#stageRunning) {
      const pid = await this.#startStage(stage);
      if (pid === undefined) return { kind: "unstartable" };
    }
    for (;;) {
      await this.#waker.wait(WAKE_INTERVAL_MS);
      consoleOnto([2]); // regain stderr, every pass
      const ended = this.#takeStageEnd();
      if (ended !== undefined) return toStageEnd(ended);
      try {
        if (await this.#handleRequests(stage)) return { kind: "stopped" };
      } catch (err) {
        this.#internalError(err);
      }
    }
  }

  #takeStageEnd(): WaitStatus | undefined {
    const ended = this.#stageEnd;
    this.#stageEnd = undefined;
    if (ended !== undefined) this.#stageRunning = false;
    return ended;
  }

  /** Starts a stage script; undefined when it cannot be executed (runit's child exits 0). */
  async #startStage(stage: Stage): Promise<number | undefined> {
    const path = STAGE_PATHS[stage];
    if (stage === 2) {
      const inProcess = this.#inProcessStage2();
      if (inProcess !== undefined) {
        this.#say.info(`enter stage: ${path}`);
        if (await this.#startTree(inProcess)) return 0;
      }
    }
    for (;;) {
      let consoleFd = -1;
      if (stage === 1) {
        // Stage 1 gets the console read-write on fd 0; fds 1 and 2 stay runit's.
        try {
          consoleFd = open(CONSOLE, O_RDWR | O_NOCTTY | O_CLOEXEC);
        } catch (err) {
          this.#say.warn(`unable to open ${CONSOLE}`, err);
        }
      }
      this.#say.info(`enter stage: ${path}`);
      try {
        const pid = spawn({
          argv: [path],
          env: this.#bootEnv,
          setsid: stage !== 1, // stages 2 and 3 lead their own session and group
          ...(consoleFd >= 0 ? { fds: [[consoleFd, 0]] as const } : {}),
        });
        this.#stagePid = pid;
        this.#stageEnd = undefined;
        this.#stageRunning = true;
        this.#reaper.watch(pid, (_pid, status) => {
          this.#stageEnd = status;
          this.#waker.wake();
        });
        return pid;
      } catch (err) {
        if (errnoOf(err) === EAGAIN) {
          this.#say.fatal(`unable to fork for "${path}" pausing`, err);
          await sleep(RETRY_PAUSE_MS);
          continue;
        }
        this.#say.fatal(`unable to start child: ${path}`, err);
        return undefined;
      } finally {
        if (consoleFd >= 0) close(consoleFd);
      }
    }
  }

  /** Acts on pending signals (§2.7); true when stage 2 was stopped for a shutdown. */
  async #handleRequests(stage: Stage): Promise<boolean> {
    let decision = decideRequest(stage, this.#pending, {
      ctrlaltdel: flagIsSet(CTRLALTDEL),
      stopit: flagIsSet(STOPIT),
    });
    this.#pending = decision.pending;
    if (decision.request === "ctrlaltdel") {
      await this.#ctrlaltdel();
      decision = decideShutdown(this.#pending, flagIsSet(STOPIT));
      this.#pending = decision.pending;
    }
    switch (decision.request) {
      case "notStage2":
        this.#say.warn("signals only work in stage 2.");
        return false;
      case "shutdown":
      case "forcedShutdown":
        await this.#stopStage2();
        return true;
      case "forwardAlarm":
        // runsvdir takes SIGALRM as "rescan now" (Debian).
        if (this.#tree !== undefined) this.#tree.forceRescan();
        else if (this.#stageEnd === undefined) tryKill(this.#stagePid, SIGALRM);
        return false;
      default:
        return false;
    }
  }

  /** Runs /etc/runit/ctrlaltdel and waits for it (§2.8). */
  async #ctrlaltdel(): Promise<void> {
    this.#say.info("ctrl-alt-del request...");
    this.#say.info(`enter stage: ${CTRLALTDEL}`);
    let status: WaitStatus | undefined;
    try {
      const pid = spawn({ argv: [CTRLALTDEL], env: this.#bootEnv });
      status = await new Promise<WaitStatus>((resolve) => {
        this.#reaper.watch(pid, (_pid, st) => resolve(st));
      });
    } catch (err) {
      this.#say.fatal(`unable to start child: ${CTRLALTDEL}`, err);
    }
    if (status?.kind === "signaled") this.#say.warn(`child crashed: ${CTRLALTDEL}`);
    this.#say.info(`leave stage: ${CTRLALTDEL}`);
  }

  /** The shutdown request (§2.9 a): TERM to stage 2, KILL after the grace. */
  async #stopStage2(): Promise<void> {
    try {
      Deno.chmodSync(STOPIT, 0); // uses the request up
    } catch {
      // runit ignores this too
    }
    if (this.#tree !== undefined) {
      await this.#stopTree();
    } else {
      const grace = isRunsvdir(this.#stagePid)
        ? STAGE2_RUNSVDIR_TERM_GRACE_MS
        : STAGE2_TERM_GRACE_MS;
      if (this.#stageEnd === undefined) tryKill(this.#stagePid, SIGTERM);
      if (!(await this.#awaitStageEnd(grace))) {
        this.#say.warn("stage 2 not terminated, sending sigkill...");
        tryKill(this.#stagePid, SIGKILL);
        await this.#awaitStageEnd(Infinity);
      }
      this.#takeStageEnd();
    }
    this.#pending.cont = 0;
  }

  /**
   * `/etc/runit/2.runsvdir`, parsed, when it exists; a file that names no directory is
   * reported and stage 2 runs `/etc/runit/2` as usual.
   */
  #inProcessStage2(): InProcessStage2 | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(STAGE2_RUNSVDIR);
    } catch {
      return undefined;
    }
    const parsed = parseStage2File(text);
    if (parsed === undefined) {
      this.#say.warn(`${STAGE2_RUNSVDIR}: usage: runsvdir [-P] dir`);
    }
    return parsed;
  }

  /**
   * Stage 2 in this process: what `exec env - NAME=value… runsvdir -P DIR` would do,
   * without starting another Deno. Every service leads its own session, with or without
   * `-P`, so that nothing it signals as a group reaches process 1 (which counts a SIGINT
   * as Ctrl-Alt-Del). The readproctitle log argument is accepted; services' stderr goes to
   * the console.
   */
  async #startTree(stage2: InProcessStage2): Promise<boolean> {
    const { dir } = stage2.args;
    // Deno panics loading a node: module when /proc is not mounted (it looks up
    // /proc/self/exe), and the tree's svlogd loads node:dgram for a UDP target: that would
    // end process 1. Stage 1 mounts /proc; if it did not, /etc/runit/2 runs as a script.
    if (!exists("/proc/self/exe")) {
      this.#say.warn(`${STAGE2_RUNSVDIR}: /proc is not mounted; running ${STAGE_PATHS[2]}`);
      return false;
    }
    let createTree: TreeModule["createTree"];
    try {
      ({ createTree } = await loadTreeModule());
    } catch (err) {
      // A broken install must not leave the machine without stage 2.
      this.#say.warn(`${STAGE2_RUNSVDIR}: unable to load runsvdir; running ${STAGE_PATHS[2]}`, err);
      return false;
    }
    this.#say.info(`stage 2: runsvdir ${dir} in process 1 (${STAGE2_RUNSVDIR})`);
    // Supervisors start services with this process's environment: make it stage 2's.
    setEnvironment(stage2.env);
    const tree = createTree({
      dir,
      newSession: true,
      reaper: this.#reaper,
      say: new Messenger(`runsvdir ${dir}`),
    });
    this.#tree = tree;
    this.#stagePid = 0;
    this.#stageEnd = undefined;
    this.#stageRunning = true;
    tree.start();
    return true;
  }

  /** Stops every service of the in-process stage 2 (as runsvdir does on SIGTERM). */
  async #stopTree(): Promise<void> {
    const tree = this.#tree!;
    await tree.stopAll();
    this.#tree = undefined;
    this.#stageRunning = false;
    setEnvironment(this.#bootEnv);
  }

  /** Waits until the stage has been reaped or `ms` passed; true when it has. */
  async #awaitStageEnd(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.#stageEnd === undefined) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await this.#waker.wait(Math.min(left, WAKE_INTERVAL_MS));
    }
    // Other wakes (signals) that came meanwhile are looked at on the next pass.
    this.#waker.wake();
    return true;
  }

  /** Stage 3 is over (§2.9 b): TERM, then KILL to all, sync, reboot; never returns. */
  async #final(): Promise<never> {
    consoleOnto([2]);
    await this.#termAll();
    this.#say.info("sending KILL signal to all processes...");
    if (getpid() === 1) tryKill(-1, SIGKILL); // never from anything but process 1
    if (finalMode(flagIsSet(REBOOT), this.#pending) === "reboot") {
      this.#say.info("system reboot.");
      this.#sync();
      this.#reboot(RB_AUTOBOOT);
    } else {
      this.#say.info("power off...");
      this.#sync();
      this.#reboot(RB_POWER_OFF);
      await sleep(POWEROFF_TO_HALT_MS);
      this.#say.info("system halt.");
      this.#sync();
      this.#reboot(RB_HALT_SYSTEM);
    }
    for (;;) await sleep(WAKE_INTERVAL_MS);
  }

  /**
   * SIGTERM (and SIGCONT, for stopped ones) to every process, then a grace until none is
   * left, so leftovers can flush before the KILL (issue #7; 2.1.2 sends only KILL). As
   * process 1 every process descends from us, so "no child left" means "all gone".
   */
  async #termAll(): Promise<void> {
    if (getpid() !== 1) return; // kill(-1) only ever from process 1
    if (tryKill(-1, SIGTERM) !== 0) return; // ESRCH: nobody else is left
    tryKill(-1, SIGCONT);
    const deadline = performance.now() + FINAL_TERM_GRACE_MS;
    for (;;) {
      this.#reaper.reapAll();
      if (!hasChildren()) return;
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.#waker.wait(left);
    }
  }

  #sync(): void {
    if (!exists(NOSYNC)) sync();
  }

  #reboot(command: number): void {
    try {
      reboot(command);
    } catch {
      // runit does not report a failed reboot either; it halts next or waits for ever
    }
  }

  /** The stage running now (for diagnostics and tests). */
  get stage(): Stage {
    return this.#stage;
  }
}
