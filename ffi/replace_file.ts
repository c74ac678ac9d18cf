/**
 * A file replaced through a temporary name, as runsv writes `pid`, `stat` and `status`:
 * `temporary` created (or truncated) with mode 0644 less the umask, written, closed and
 * renamed over `name`, both relative to an open directory. libdenit.so does it in one
 * call (scripts/replace_file.c); without the library, the same system calls through libc.
 *
 * Not Deno's file API on absolute paths: a status update is three of these on every state
 * change, and that way cost ~0.3 ms against ~0.2 ms through libc (tmpfs, three files,
 * medians of 250): an FsFile object per file and a walk of /proc/self/fd/N for each name.
 * No fchmod either, which runsv does not make.
 */

import {
  close,
  type CName,
  O_CLOEXEC,
  O_CREAT,
  O_TRUNC,
  O_WRONLY,
  openAt,
  renameAt,
  write,
} from "./libc.ts";
import { nativeLibrary } from "./native.ts";
import { SysError } from "../lib/sys_error.ts";
import { ENOSPC } from "../lib/errstr.ts";

const CREATE_FLAGS = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;

/** The system call each of scripts/replace_file.c's steps (REPLACE_OPEN …) reports for. */
const STEP_CALLS = ["", "openat", "write", "renameat"] as const;

/**
 * Replaces `name` under `dirFd` with `bytes` through `temporary`. Throws SysError whose
 * `syscall` is the step that failed: "openat", "write" (`temporary` is then left for the
 * caller to remove) or "renameat". A close error is ignored, as runit ignores it.
 */
export function replaceFile(
  dirFd: number,
  temporary: CName,
  name: CName,
  bytes: Uint8Array<ArrayBuffer>,
): void {
  const lib = nativeLibrary();
  if (lib === null) {
    replaceThroughLibc(dirFd, temporary, name, bytes);
    return;
  }
  const rc = lib.denit_replace_file(dirFd, temporary.bytes, name.bytes, bytes, bytes.length);
  if (rc === 0) return;
  const step = -rc >> 16;
  throw new SysError(STEP_CALLS[step] ?? "openat", -rc & 0xffff, temporary.text);
}

function replaceThroughLibc(
  dirFd: number,
  temporary: CName,
  name: CName,
  bytes: Uint8Array<ArrayBuffer>,
): void {
  const fd = openAt(dirFd, temporary, CREATE_FLAGS, 0o644);
  try {
    for (let at = 0; at < bytes.length;) {
      const written = write(fd, bytes.subarray(at));
      // A regular file that takes no byte and reports nothing is full.
      if (written === 0) throw new SysError("write", ENOSPC, temporary.text);
      at += written;
    }
  } finally {
    try {
      close(fd);
    } catch {
      // as runit: the bytes were written, or the write's error is the one to report
    }
  }
  renameAt(dirFd, temporary, name);
}
