/**
 * One SIGCHLD listener per process that reaps every child with `waitpid(-1, WNOHANG)` and
 * hands each exit to whoever registered that pid (DENO-NOTES.md §3: several exits
 * coalesce into one signal, so always loop until nothing is left).
 *
 * Processes that use this must not use `Deno.Command`: `waitpid(-1)` steals its children.
 * Unclaimed exits (orphans reparented to pid 1, children of forgotten supervisors) go to
 * the `onOrphan` hook, so runit can reap every zombie.
 */

import { waitpid, type WaitStatus, WNOHANG } from "../ffi/libc.ts";

/** Called when a registered child ends. */
export type ExitHandler = (pid: number, status: WaitStatus) => void;

/** Reaps all children of the process and dispatches exits by pid. */
export class Reaper {
  readonly #handlers = new Map<number, ExitHandler>();
  readonly #early = new Map<number, WaitStatus>();
  #started = false;
  #onOrphan: ExitHandler | undefined;

  /** Installs the SIGCHLD listener (once). */
  start(onOrphan?: ExitHandler): void {
    this.#onOrphan = onOrphan;
    if (this.#started) return;
    this.#started = true;
    Deno.addSignalListener("SIGCHLD", () => this.reapAll());
  }

  /**
   * Registers the handler for a pid just spawned. An exit reaped before the handler was
   * registered (a very short-lived child) is delivered now, asynchronously.
   */
  watch(pid: number, handler: ExitHandler): void {
    const early = this.#early.get(pid);
    if (early !== undefined) {
      this.#early.delete(pid);
      queueMicrotask(() => handler(pid, early));
      return;
    }
    this.#handlers.set(pid, handler);
  }

  /** Stops dispatching for `pid` (its exit will go to the orphan hook). */
  forget(pid: number): void {
    this.#handlers.delete(pid);
  }

  /** Reaps every child that has ended; safe to call at any time. */
  reapAll(): void {
    for (;;) {
      const result = waitpid(-1, WNOHANG);
      if (result === null) return;
      if (result.status.kind === "stopped") continue;
      const handler = this.#handlers.get(result.pid);
      if (handler !== undefined) {
        this.#handlers.delete(result.pid);
        this.#dispatch(handler, result.pid, result.status);
      } else if (this.#onOrphan !== undefined) {
        this.#dispatch(this.#onOrphan, result.pid, result.status);
      } else {
        // Possibly our own child whose watch() comes right after spawn() returns.
        this.#early.set(result.pid, result.status);
        if (this.#early.size > 4096) this.#early.clear();
      }
    }
  }

  #dispatch(handler: ExitHandler, pid: number, status: WaitStatus): void {
    try {
      handler(pid, status);
    } catch (err) {
      // One failing handler must not stop the reaping of the others.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
