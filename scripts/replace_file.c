/*
 * One file of a supervise/ directory replaced in one call (libdenit.so, loaded by
 * ffi/native.ts; ffi/replace_file.ts is its wrapper): NAME.new created, written and renamed
 * over NAME, as runsv's update_status() does for `pid`, `stat` and `status`.
 *
 * Why in C: from JavaScript each of those four system calls is its own FFI call with its
 * own wrapper, and a supervisor makes them right after it wakes for a control byte, when
 * every first call costs. runsv's three status files took ~0.12 ms of JavaScript between
 * their twelve system calls on `u` (traced, bench/results/startup-notes.md); here they
 * are three calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* The step a failure is reported for: -(step << 16 | errno). ffi/replace_file.ts reads it. */
#define REPLACE_OPEN 1
#define REPLACE_WRITE 2
#define REPLACE_RENAME 3

/*
 * Creates (or truncates) `temporary` under `dirfd` with mode 0644 less the umask, writes
 * the `length` bytes at `bytes` (a short write is continued), closes it and renames it
 * to `name`. Returns 0, or -(step << 16 | errno) for the step that failed; a failed write
 * leaves `temporary` behind for the caller to remove. close(2)'s result is ignored, as
 * runit ignores it.
 */
int denit_replace_file(int dirfd, const char *temporary, const char *name,
                       const unsigned char *bytes, int length) {
  int fd;
  do {
    fd = openat(dirfd, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -(REPLACE_OPEN << 16 | errno);
  for (int at = 0; at < length;) {
    ssize_t written = write(fd, bytes + at, (size_t)(length - at));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      /* A regular file that takes no byte and reports nothing is full. */
      int error = written < 0 ? errno : ENOSPC;
      close(fd);
      return -(REPLACE_WRITE << 16 | error);
    }
    at += (int)written;
  }
  close(fd);
  if (renameat(dirfd, temporary, dirfd, name) != 0) return -(REPLACE_RENAME << 16 | errno);
  return 0;
}
