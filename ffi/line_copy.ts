/**
 * svlogd's whole lines copied behind a head (its stamp and prefix) in one call per input
 * chunk: libdenit.so's denit_copy_lines (scripts/line_copy.c). Without the library there
 * is no copier, and lib/svlogd/engine.ts copies the lines itself, to the same bytes.
 */

import { type NativeLibrary, nativeLibrary } from "./native.ts";

type CopyLines = NativeLibrary["denit_copy_lines"];

/** Why {@linkcode LineCopier.copy} stopped. */
export const LinesCopied = {
  /** Every whole line was copied: what is left of the input has no newline. */
  all: 0,
  /** The next line and its head do not fit in the output. */
  needRoom: 1,
  /** The starts array is full. */
  needStarts: 2,
} as const;

/** Where a copy stopped: the output's end, the input's offset and the starts' count. */
export interface LinesState {
  outEnd: number;
  inEnd: number;
  startsEnd: number;
}

/** Copies whole lines through libdenit.so. */
export class LineCopier {
  readonly #copyLines: CopyLines;
  readonly #state = new Int32Array(3);
  readonly #stateBytes = new Uint8Array(this.#state.buffer);

  constructor(copyLines: CopyLines) {
    this.#copyLines = copyLines;
  }

  /**
   * Copies each whole line of `input` from `inAt` into `out` from `outAt`, behind `head`,
   * recording each line's start in `input` into `starts` from `startsAt`. Stops before
   * a line without its newline, a line that does not fit or a full `starts`; returns
   * why (a {@linkcode LinesCopied} value) and fills `state`.
   */
  copy(
    input: Uint8Array,
    inAt: number,
    out: Uint8Array,
    outAt: number,
    head: Uint8Array,
    starts: Int32Array,
    startsAt: number,
    state: LinesState,
  ): number {
    const reason = this.#copyLines(
      input,
      inAt,
      input.length,
      out,
      outAt,
      out.length,
      head,
      head.length,
      new Uint8Array(starts.buffer, starts.byteOffset, starts.byteLength),
      startsAt,
      starts.length,
      this.#stateBytes,
    );
    state.outEnd = this.#state[0]!;
    state.inEnd = this.#state[1]!;
    state.startsEnd = this.#state[2]!;
    return reason;
  }
}

let copier: { lib: NativeLibrary; copier: LineCopier } | undefined;

/** The copier, or undefined without libdenit.so (loaded on first use). */
export function lineCopier(): LineCopier | undefined {
  const lib = nativeLibrary();
  if (lib === null) return undefined;
  // Tests switch libraries (useNativeLibrary): a copier is kept for one library only.
  if (copier?.lib !== lib) copier = { lib, copier: new LineCopier(lib.denit_copy_lines) };
  return copier.copier;
}
