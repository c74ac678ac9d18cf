/**
 * svlogd's processor (spec svlogd.md §5.5; runit src/svlogd.c processorstart,
 * processorstop): `/bin/sh -c CMD` run on a rotated `@….u` with fd 0 = the `.u`, fd 1 =
 * `@….t`, fd 4 = `state`, fd 5 = `newstate`, in the log directory. Success renames `.t`
 * to `.s` (0744), removes the `.u` and renames `newstate` to `state`; failure removes the
 * `.t` and runs it again on the same `.u`.
 *
 * Started with posix_spawn and reaped through the host's Reaper: the CLI's own, or the
 * supervising process's for the in-process form.
 */

import {
  close as closeFd,
  O_CLOEXEC,
  O_CREAT,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  open,
  type WaitStatus,
} from "../../ffi/libc.ts";
import { spawn } from "../../ffi/spawn.ts";
import type { Reaper } from "../reaper.ts";
import { errnoOf, errText } from "../sys_error.ts";
import { ENOENT } from "../errstr.ts";
import { retryPausing } from "./retry.ts";

/** What a processor run needs from its log directory. */
export interface ProcessorContext {
  /** Prints `svlogd: warning: TEXT`. */
  warn(text: string): void;
  /** Prints `svlogd: info: TEXT` when -v was given. */
  info(text: string): void;
  /** Prints `svlogd: pausing: TEXT`, waits, and throws when svlogd is being stopped. */
  pause(text: string): Promise<void>;
  reaper: Reaper;
}

/** One rotated file being processed, restarted until the command succeeds. */
export class ProcessorRun {
  /** `@….u` being processed. */
  readonly input: string;
  /** Resolves when the processor has finished successfully, is forgotten, or svlogd stops. */
  readonly done: Promise<void>;
  #resolve!: () => void;
  #forgotten = false;
  readonly #ctx: ProcessorContext;
  readonly #dirName: string;
  readonly #dirPath: string;
  readonly #command: string;

  private constructor(
    ctx: ProcessorContext,
    dir: { name: string; path: string },
    command: string,
    input: string,
  ) {
    this.#ctx = ctx;
    this.#dirName = dir.name;
    this.#dirPath = dir.path;
    this.#command = command;
    this.input = input;
    // A SIGCHLD listener does not keep Deno's event loop alive: this timer does, until
    // the processor is done, so waiting for it cannot end the process early.
    const keepAlive = setInterval(() => {}, 1 << 30);
    this.done = new Promise<void>((resolve) => (this.#resolve = resolve)).finally(() =>
      clearInterval(keepAlive)
    );
  }

  /** Starts `command` on `input` (a `@….u` name in the directory). */
  static async start(
    ctx: ProcessorContext,
    dir: { name: string; path: string },
    command: string,
    input: string,
  ): Promise<ProcessorRun> {
    const run = new ProcessorRun(ctx, dir, command, input);
    try {
      await run.#spawn();
    } catch (err) {
      run.#resolve();
      throw err;
    }
    return run;
  }

  /** SIGHUP: runit forgets a running processor; its exit then changes nothing. */
  forget(): void {
    this.#forgotten = true;
    this.#resolve();
  }

  /** Whether `name` is this run's input or output (never to be pruned). */
  uses(name: string): boolean {
    return name === this.input || name === this.#base + "t";
  }

  get #base(): string {
    return this.input.slice(0, 26);
  }

  #file(name: string): string {
    return `${this.#dirPath}/${name}`;
  }

  /**
   * `state` for reading, created empty first only when it does not exist: a read-only
   * `state` (or a directory) is the processor's to read, as in runit.
   */
  #openState(): number {
    const failed = (text: string, err: unknown) =>
      new Error(`${text} for processor: ${this.#dirName}: ${errText(err)}`);
    const openForReading = () => open(this.#file("state"), O_RDONLY | O_CLOEXEC);
    try {
      return openForReading();
    } catch (err) {
      if (errnoOf(err) !== ENOENT) throw failed("unable to open state", err);
    }
    try {
      closeFd(open(this.#file("state"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644));
    } catch (err) {
      throw failed("unable to create empty state", err);
    }
    try {
      return openForReading();
    } catch (err) {
      throw failed("unable to open state", err);
    }
  }

  /** Opens the four files and spawns; setup failures are reported and retried. */
  async #spawn(): Promise<void> {
    for (;;) {
      const fds: number[] = [];
      const stage = (text: string, call: () => number): number => {
        try {
          const fd = call();
          fds.push(fd);
          return fd;
        } catch (err) {
          throw new Error(`${text}: ${this.#dirName}: ${errText(err)}`);
        }
      };
      try {
        const input = stage(
          "unable to open input for processor",
          () => open(this.#file(this.input), O_RDONLY | O_CLOEXEC),
        );
        const output = stage(
          "unable to open output for processor",
          () => open(this.#file(this.#base + "t"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644),
        );
        const state = this.#openState();
        fds.push(state);
        const newstate = stage(
          "unable to open newstate for processor",
          () => open(this.#file("newstate"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644),
        );
        this.#ctx.info(`processing: ${this.#dirName}/${this.input}`);
        let pid: number;
        try {
          pid = spawn({
            argv: ["sh", "-c", this.#command],
            path: "/bin/sh",
            fds: [[input, 0], [output, 1], [state, 4], [newstate, 5]],
            cwd: this.#dirPath,
          });
        } catch (err) {
          throw new Error(`unable to run processor: ${this.#dirName}: ${errText(err)}`);
        }
        this.#ctx.reaper.watch(pid, (_pid, status) => void this.#exited(status));
        return;
      } catch (err) {
        // runit's child prints this as fatal and exits 111, a failure that restarts it at
        // once; here it is a warning and a pause, not a tight loop.
        this.#ctx.warn((err as Error).message);
        await this.#ctx.pause(`unable to start processor: ${this.#dirName}`);
      } finally {
        for (const fd of fds) {
          try {
            closeFd(fd);
          } catch {
            // already closed
          }
        }
      }
    }
  }

  #retry(what: string, step: () => void): Promise<void> {
    return retryPausing(this.#ctx, what, this.#dirName, step);
  }

  async #exited(status: WaitStatus): Promise<void> {
    if (this.#forgotten) return;
    const base = this.#base;
    // runit counts a death by signal as success (it decodes only status >> 8) and then
    // deletes the input: that can lose the log, so only exit code 0 is success here.
    if (status.kind !== "exited" || status.code !== 0) {
      this.#ctx.warn(`processor failed, restart: ${this.#dirName}`);
      try {
        Deno.removeSync(this.#file(base + "t"));
      } catch {
        // nothing to remove
      }
      try {
        await this.#spawn();
      } catch {
        this.#resolve(); // stopped while pausing
      }
      return;
    }
    try {
      await this.#retry(
        "unable to rename processed",
        () => Deno.renameSync(this.#file(base + "t"), this.#file(base + "s")),
      );
      await this.#retry(
        "unable to set mode of processed",
        () => Deno.chmodSync(this.#file(base + "s"), 0o744),
      );
      try {
        Deno.removeSync(this.#file(this.input));
      } catch {
        this.#ctx.warn(`unable to unlink: ${this.#dirName}/${this.input}`);
      }
      await this.#retry(
        "unable to rename state",
        () => Deno.renameSync(this.#file("newstate"), this.#file("state")),
      );
      this.#ctx.info(`processed: ${this.#dirName}/${base}s`);
    } catch {
      // stopped while pausing
    } finally {
      this.#resolve();
    }
  }
}
