/**
 * User specifications for `-u`/`-U` and the setuidgid/envuidgid personalities (spec
 * chpst.md §6), as runit's `uidgids_get()` and `uidgid_get()` resolve them, with readers
 * for the files database (`/etc/passwd`, `/etc/group`). The files are read by the caller
 * after `-/`, so lookups happen inside the new root, as getpwnam(3) does for runit.
 */

/** The result of a lookup: the uid and the group list (the first is the primary gid). */
export interface Credentials {
  uid: number;
  gids: number[];
}

/** The account database the lookups read; a reader throws when its file is unreadable. */
export interface AccountDb {
  /** The uid and primary gid of a user, or undefined when there is none. */
  user(name: string): { uid: number; gid: number } | undefined;
  /** The gid of a group, or undefined when there is none. */
  group(name: string): number | undefined;
}

/** Why a spec did not resolve: a malformed `:uid:gid` spec, or an unknown name. */
export type SpecFailure = "invalid" | "unknown";

const MAX_GROUPS = 60; // runit's uidgid.h: gid[61]
const TWO_32 = 1n << 32n;

function scanDigits(text: string, from: number): { value: number; end: number } {
  let end = from;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  const digits = text.slice(from, end);
  // scan_ulong wraps modulo 2^64; uid_t and gid_t keep the low 32 bits.
  return { value: digits === "" ? 0 : Number(BigInt(digits) % TWO_32), end };
}

/**
 * A numeric spec `:UID:GID[:GID...]` (runit's `uidgids_set()`); `spec` includes the
 * leading colon. Returns "invalid" for anything runit rejects.
 *
 * @example
 * ```ts
 * import { parseNumericSpec } from "./user_spec.ts";
 * parseNumericSpec(":1:2:3"); // { uid: 1, gids: [2, 3] }
 * parseNumericSpec(":1"); // "invalid"
 * ```
 */
export function parseNumericSpec(spec: string): Credentials | "invalid" {
  let pos = 1;
  const uid = scanDigits(spec, pos);
  pos = uid.end;
  if (spec[pos++] !== ":") return "invalid";
  const gids: number[] = [];
  for (let i = 0; i < MAX_GROUPS; i++, pos++) {
    const gid = scanDigits(spec, pos);
    pos = gid.end;
    gids.push(gid.value);
    if (spec[pos] !== ":") break;
  }
  if (pos < spec.length) return "invalid";
  return { uid: uid.value, gids };
}

/**
 * `-u`/`-U` SPEC: `:UID:GID...`, `USER`, or `USER:GROUP[:GROUP...]` (runit's
 * `uidgids_get()`). Reader errors propagate (runit: "unable to get password/group file
 * entry").
 */
export function resolveUserSpec(spec: string, db: AccountDb): Credentials | SpecFailure {
  if (spec.startsWith(":")) return parseNumericSpec(spec);
  const colon = spec.indexOf(":");
  const userName = colon === -1 ? spec : spec.slice(0, colon);
  const user = db.user(userName);
  if (user === undefined) return "unknown";
  if (colon === -1) return { uid: user.uid, gids: [user.gid] };
  const groupNames = spec.slice(colon + 1).split(":").slice(0, MAX_GROUPS);
  const gids: number[] = [];
  for (const name of groupNames) {
    const gid = db.group(name);
    if (gid === undefined) return "unknown";
    gids.push(gid);
  }
  return { uid: user.uid, gids };
}

/** An account name looked up whole, no colon forms (runit's `uidgid_get()`). */
export function resolveAccount(account: string, db: AccountDb): Credentials | "unknown" {
  const user = db.user(account);
  return user === undefined ? "unknown" : { uid: user.uid, gids: [user.gid] };
}

function numericField(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return value < 2 ** 32 ? value : undefined;
}

/**
 * The first `/etc/passwd` line for `name` (`name:pw:uid:gid:gecos:dir:shell`); lines
 * that glibc's files backend would reject (bad numbers, NIS `+`/`-` entries) are skipped.
 *
 * @example
 * ```ts
 * import { findPasswdEntry } from "./user_spec.ts";
 * findPasswdEntry("daemon:x:1:1::/:/bin/sh\n", "daemon"); // { uid: 1, gid: 1 }
 * ```
 */
export function findPasswdEntry(
  text: string,
  name: string,
): { uid: number; gid: number } | undefined {
  if (name === "" || name.startsWith("+") || name.startsWith("-")) return undefined;
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] !== name || fields.length < 4) continue;
    const uid = numericField(fields[2]);
    const gid = numericField(fields[3]);
    if (uid === undefined || gid === undefined) continue;
    return { uid, gid };
  }
  return undefined;
}

/** The gid of the first `/etc/group` line for `name` (`name:pw:gid:members`). */
export function findGroupEntry(text: string, name: string): number | undefined {
  if (name === "" || name.startsWith("+") || name.startsWith("-")) return undefined;
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] !== name || fields.length < 3) continue;
    const gid = numericField(fields[2]);
    if (gid !== undefined) return gid;
  }
  return undefined;
}

/**
 * The files database under the current root: `/etc/passwd` and `/etc/group`, each read
 * at most once, when first needed. A read error is thrown (Deno's error, with its code).
 */
export function filesAccountDb(root = ""): AccountDb {
  let passwd: string | undefined;
  let group: string | undefined;
  return {
    user(name: string) {
      passwd ??= Deno.readTextFileSync(`${root}/etc/passwd`);
      return findPasswdEntry(passwd, name);
    },
    group(name: string) {
      group ??= Deno.readTextFileSync(`${root}/etc/group`);
      return findGroupEntry(group, name);
    },
  };
}
