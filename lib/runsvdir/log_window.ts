/**
 * runsvdir's readproctitle log area, pure (spec runsvdir.md "The readproctitle log";
 * runit src/runsvdir.c): with a log argument of L bytes, the first 5 never change and
 * bytes 5…L−1 are a window scrolling left through everything written to runsvdir's
 * stderr, newlines included, NUL bytes skipped. `ps` shows the argument, so the window is
 * where an admin sees the last messages of the services.
 */

/** runit refuses shorter log arguments (`log must have at least seven characters.`). */
export const LOG_ARG_MIN = 7;
/** Bytes at the start of the log argument that never scroll (`log: `). */
export const LOG_FIXED = 5;
/** runit pushes a `.` through the log every 15 minutes so old messages scroll away. */
export const LOG_DOT_INTERVAL_MS = 900_000;

/**
 * Scrolls `input` into the window of `arg` in place, as runit does byte by byte: each
 * non-NUL byte shifts bytes 6…L−1 left by one and lands at L−1.
 *
 * @example
 * ```ts
 * const arg = new TextEncoder().encode("log: ....");
 * scrollLogWindow(arg, new TextEncoder().encode("ab\0c"));
 * // arg now reads "log: .abc"
 * ```
 */
export function scrollLogWindow(arg: Uint8Array, input: Uint8Array): void {
  const width = arg.length - LOG_FIXED;
  if (width <= 0) return;
  const bytes = input.includes(0) ? input.filter((byte) => byte !== 0) : input;
  if (bytes.length === 0) return;
  if (bytes.length >= width) {
    arg.set(bytes.subarray(bytes.length - width), LOG_FIXED);
    return;
  }
  arg.copyWithin(LOG_FIXED, LOG_FIXED + bytes.length);
  arg.set(bytes, arg.length - bytes.length);
}
