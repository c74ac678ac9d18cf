/**
 * Runs a file operation (a rotation's fsync, an old file's unlink) on svlogd's own thread
 * while it is quick, and on Deno's blocking pool once it is not (docs/svlogd.md, Notes).
 *
 * runit does both synchronously. Deno's asynchronous form costs two thread hand-offs, about
 * 40-50 µs each time on the test machine, which made a rotation several times slower than
 * C's where the disk is fast (3,000 rotations: 0.88 s against 0.16 s on tmpfs). On a
 * slow disk the same call can take many milliseconds, and then blocking would stop the
 * reading of input (and, in the in-process form, the whole supervisor): there the
 * asynchronous form is kept. The operation is the same either way, so durability is
 * runit's: `current` is fsynced before its rename.
 */

/**
 * Longer than this, an operation is slow and the next one goes to the blocking pool: about
 * twice the hand-off it saves. Past that the hand-off is a small part of the wait, and
 * the process is better off doing something else meanwhile. Measured here: a rotation's
 * fsync on the virtio disk takes 0.5-1 ms, and blocking for it made 3,000 rotations
 * take 8.7 s against 3.1 s in the background; on tmpfs it takes 3 µs.
 */
export const QUICK_MS = 0.1;

/** Chooses, per kind of operation, between its blocking and its asynchronous form. */
export class SyncWhileQuick {
  readonly #quickMs: number;
  readonly #now: () => number;
  #quick = true;

  constructor(options: { quickMs?: number; now?: () => number } = {}) {
    this.#quickMs = options.quickMs ?? QUICK_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether the next run blocks (the last one took at most `quickMs`). */
  get quick(): boolean {
    return this.#quick;
  }

  /**
   * Runs `blocking` if the last run was quick, else `background`; either way it times
   * the run, so a slow disk that becomes fast again gets the blocking form back.
   *
   * @example
   * ```ts
   * import { SyncWhileQuick } from "./sync_while_quick.ts";
   * const fsync = new SyncWhileQuick();
   * const path = Deno.makeTempFileSync();
   * const file = Deno.openSync(path, { write: true });
   * await fsync.run(() => file.syncSync(), () => file.sync());
   * file.close();
   * Deno.removeSync(path);
   * ```
   */
  async run(blocking: () => void, background: () => Promise<void>): Promise<void> {
    const start = this.#now();
    try {
      if (this.#quick) blocking();
      else await background();
    } finally {
      this.#quick = this.#now() - start <= this.#quickMs;
    }
  }
}
