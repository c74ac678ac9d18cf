/*
 * svlogd's lines copied behind their stamp (libdenit.so, loaded by ffi/native.ts;
 * ffi/line_copy.ts is its wrapper, lib/svlogd/engine.ts its caller).
 *
 * Why in C: a stamped line is three small copies (the line's end found, the stamp, the
 * line), and from JavaScript each is a call into a V8 builtin that costs more than the
 * copy. For 1 M lines of ~100 bytes that was ~80 ms of svlogd's ~470 ms; memchr and
 * memcpy take ~15 ms (bench/results/startup-notes.md, 11-27 21:40). The JavaScript way
 * stays in the engine for a system without the library, and writes the same bytes.
 */
#include <string.h>

/* Why denit_copy_lines() returned. */
#define COPY_LINES_DONE 0        /* no newline after the last line copied */
#define COPY_LINES_ROOM 1        /* the next line and its head do not fit in `out` */
#define COPY_LINES_STARTS 2      /* `starts` is full */

/*
 * Copies each whole line of `in` from `in_at` (up to `in_length`), newline included, into
 * `out` from `out_at` (room up to `out_length`), each behind the `head_length` bytes of
 * `head`, and records where each line began in `in` at `starts[starts_at…]` (room for
 * `starts_length`). Stops before the first line without a newline, or before the line
 * that would not fit. `state` gets, in order, the end of what was written in `out`, the
 * offset in `in` after the last line copied and the index after the last start recorded.
 * Returns COPY_LINES_DONE, COPY_LINES_ROOM or COPY_LINES_STARTS.
 */
int denit_copy_lines(const unsigned char *in, int in_at, int in_length, unsigned char *out,
                     int out_at, int out_length, const unsigned char *head, int head_length,
                     int *starts, int starts_at, int starts_length, int *state) {
  int reason = COPY_LINES_DONE;
  while (in_at < in_length) {
    const unsigned char *newline = memchr(in + in_at, '\n', (size_t)(in_length - in_at));
    if (newline == NULL) break;
    int length = (int)(newline - (in + in_at)) + 1;
    if (starts_at == starts_length) {
      reason = COPY_LINES_STARTS;
      break;
    }
    if (out_length - out_at < head_length + length) {
      reason = COPY_LINES_ROOM;
      break;
    }
    memcpy(out + out_at, head, (size_t)head_length);
    memcpy(out + out_at + head_length, in + in_at, (size_t)length);
    out_at += head_length + length;
    starts[starts_at++] = in_at;
    in_at += length;
  }
  state[0] = out_at;
  state[1] = in_at;
  state[2] = starts_at;
  return reason;
}
