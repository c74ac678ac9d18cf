/**
 * File-descriptor duplication for the supervisor's in-process logger: its pipe watch
 * (lib/pipe_input.ts) closes the fd it reads when it is closed, so it gets a duplicate and
 * the supervisor keeps the log pipe's own read end for the whole of its life.
 */

import { bindLibc, retryEintr } from "./libc.ts";

const sym = /* @__PURE__ */ bindLibc({
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" }, // int fcntl(int, int, int)
});

const F_DUPFD_CLOEXEC = 1030;

/** A close-on-exec duplicate of `fd` (same open file description). */
export function dupCloexec(fd: number): number {
  return retryEintr("fcntl", () => sym.fcntl(fd, F_DUPFD_CLOEXEC, 0));
}
