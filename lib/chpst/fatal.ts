/**
 * A chpst failure that ends the program: `chpst: fatal: TEXT[: ERR]` and exit 111
 * (spec chpst.md §10). Thrown by lib/chpst code, printed by cmd/chpst.ts.
 */

/** runit's fatal message text and the error whose errno text ends it (if any). */
export class FatalError extends Error {
  override name = "FatalError";
  /** The underlying system error; undefined for messages without an errno text. */
  readonly reason: unknown;
  /** true when the error carries an errno text (runit's `fatal`, not `fatalx`). */
  readonly hasReason: boolean;

  constructor(text: string, ...reason: unknown[]) {
    super(text);
    this.hasReason = reason.length > 0;
    this.reason = reason[0];
  }
}
