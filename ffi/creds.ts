/**
 * Credentials for chpst -u and setuidgid (spec chpst.md §6): setgroups, setgid, setuid,
 * called in that order. glibc's setxid broadcast applies each to every thread of the
 * multi-threaded Deno process (tests/chpst_creds_test.ts checks /proc/self/task/*).
 */

import { bindLibc, sysError } from "./libc.ts";

const sym = bindLibc({
  // int setgroups(size_t size, const gid_t *list)
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  // int setgid(gid_t gid)
  setgid: { parameters: ["u32"], result: "i32" },
  // int setuid(uid_t uid)
  setuid: { parameters: ["u32"], result: "i32" },
});

/** setgroups(2) with exactly `gids`. */
export function setgroups(gids: readonly number[]): void {
  const list = new Uint32Array(gids);
  if (sym.setgroups(BigInt(gids.length), new Uint8Array(list.buffer)) === -1) {
    throw sysError("setgroups");
  }
}

/** setgid(2). */
export function setgid(gid: number): void {
  if (sym.setgid(gid) === -1) throw sysError("setgid");
}

/** setuid(2). */
export function setuid(uid: number): void {
  if (sym.setuid(uid) === -1) throw sysError("setuid");
}
