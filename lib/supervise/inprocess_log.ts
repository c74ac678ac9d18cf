/**
 * The in-process log service's reader (ARCHITECTURE.md §3, DEVIATIONS.md item 13): the
 * supervising process reads the service's log pipe itself and feeds an svlogd engine
 * (a {@linkcode LogSink}). Signals sent to the log "process" act as they would on svlogd.
 */

import type { LogSink } from "../log_sink.ts";
import { writeStderr } from "../output.ts";
import { type PipeInput, watchPipe } from "../pipe_input.ts";
import { SIGKILL, signalNumber } from "../signals.ts";

/**
 * The log pipe read by this process for an in-process svlogd. One watch (lib/pipe_input.ts)
 * for the supervisor's life (on a duplicate of the pipe's read end), paused whenever no
 * sink consumes, so nothing read is lost when the sink is stopped or replaced; each chunk is
 * written to the sink before the next is read (backpressure reaches the service).
 * Signals to the log "process" act as they would on svlogd.
 */
export class InProcessLog {
  readonly #input: PipeInput;
  readonly #onExit: (wstat: number, generation: number) => void;
  #generation = 0;
  #sink: LogSink | undefined;
  #pending: Promise<void> = Promise.resolve();
  #stopped = false; // SIGSTOP
  #ended = false;

  constructor(fd: number, onExit: (wstat: number, generation: number) => void) {
    this.#onExit = onExit;
    this.#input = watchPipe(fd, {
      chunkSize: 65536,
      paused: true,
      onData: (chunk) => {
        this.#input.pause();
        const sink = this.#sink;
        this.#pending = (async () => {
          try {
            if (sink !== undefined) await sink.write(chunk);
          } catch (err) {
            writeStderr(`svlogd: warning: ${err instanceof Error ? err.message : String(err)}\n`);
          }
          this.#flow();
        })();
      },
      // End of file or a read error.
      onEnd: () => {
        this.#ended = true;
        void this.#finish(0);
      },
    });
  }

  /** Which sink is current: every attach() starts a new generation. */
  get generation(): number {
    return this.#generation;
  }

  /** A new sink starts consuming (one still attached is closed first, nothing lost). */
  attach(sink: LogSink): void {
    const previous = this.#sink;
    if (previous !== undefined) void this.#pending.then(() => previous.close()).catch(() => {});
    this.#generation++;
    this.#sink = sink;
    this.#stopped = false;
    this.#flow();
  }

  #flow(): void {
    if (this.#sink !== undefined && !this.#stopped && !this.#ended) this.#input.resume();
  }

  /** Ends the current sink (its buffered lines written) and reports the "exit". */
  async #finish(wstat: number): Promise<void> {
    const sink = this.#sink;
    if (sink === undefined) return;
    const generation = this.#generation;
    this.#sink = undefined;
    this.#input.pause();
    // close() before waiting for the write in flight: on a full disk that write waits
    // for room that may never come, and close() is what ends svlogd's pause (DEVIATIONS.md
    // item 7). The chunk was handed to the sink when write() was called, so nothing read
    // is skipped.
    const closing = sink.close();
    await this.#pending;
    try {
      await closing;
    } catch (err) {
      writeStderr(`svlogd: warning: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    this.#onExit(wstat, generation);
  }

  /** The service side of the pipe is closed for good: let the sink give up on pauses. */
  endOfInput(): void {
    this.#sink?.endOfInput?.();
  }

  /** What a signal would do to svlogd. */
  async signal(signal: Deno.Signal): Promise<void> {
    const sink = this.#sink;
    if (sink === undefined) return;
    switch (signal) {
      case "SIGALRM":
        await sink.rotate();
        return;
      case "SIGHUP":
        try {
          await sink.reload();
        } catch {
          await this.#finish(111 << 8); // svlogd exits 111 when no directory is usable
        }
        return;
      case "SIGSTOP":
        this.#stopped = true;
        this.#input.pause();
        return;
      case "SIGCONT":
        this.#stopped = false;
        this.#flow();
        return;
      case "SIGTERM":
        await this.#finish(0);
        return;
      default:
        // KILL, INT, QUIT, USR1, USR2 end svlogd; nothing read is dropped here.
        await this.#finish(signalNumber(signal) ?? SIGKILL);
    }
  }

  /** Stops reading for good (the supervisor is released); resolves once all is closed. */
  async destroy(): Promise<void> {
    const sink = this.#sink;
    this.#sink = undefined;
    this.#ended = true;
    this.#input.close();
    if (sink !== undefined) {
      const closing = sink.close().catch(() => {});
      await this.#pending;
      await closing;
    }
  }
}
