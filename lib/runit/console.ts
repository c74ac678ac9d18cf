/**
 * runit's message sink. runit's fds 0, 1 and 2 are /dev/console opened O_NONBLOCK (as in
 * runit, so a console that is slow or gone never blocks process 1), and a full console
 * buffer answers EAGAIN. A serial console under emulation is slow enough for that to
 * happen, so a message is retried for a short while instead of being dropped at once;
 * after that it is dropped, as runit's buffer_flush would drop it.
 */

const encoder = new TextEncoder();
const RETRY_STEP_MS = 5;
const RETRY_LIMIT_MS = 1_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Writes one message line to fd 2, waiting up to 1 s in all for a full console. */
export function writeConsole(text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  let waited = 0;
  while (offset < bytes.length) {
    try {
      offset += Deno.stderr.writeSync(bytes.subarray(offset));
    } catch (err) {
      if (!(err instanceof Deno.errors.WouldBlock) || waited >= RETRY_LIMIT_MS) return;
      Atomics.wait(sleeper, 0, 0, RETRY_STEP_MS); // a synchronous pause: the line stays whole
      waited += RETRY_STEP_MS;
    }
  }
}
