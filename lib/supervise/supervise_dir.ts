/**
 * The files of `supervise/` (and `log/supervise/`) as runsv creates and writes them
 * (runit 2.1.2 src/runsv.c main() and update_status(); spec supervise-protocol.md §2–§6).
 *
 * Paths are always absolute (service dir + relative name): a supervisor never chdirs,
 * because runsvdir hosts hundreds of them in one process. Messages keep runit's relative
 * spelling (`supervise/lock`, `log/supervise/control`).
 */

import {
  close,
  CName,
  flock,
  LOCK_EX,
  LOCK_NB,
  mkfifo,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  open,
  unlinkAt,
} from "../../ffi/libc.ts";
import { encodeStatus, formatStat, type StatusRecord } from "../status_record.ts";
import { errnoOf, errText, SysError } from "../sys_error.ts";
import { replaceFile } from "../../ffi/replace_file.ts";
import { SupervisorFatal } from "./fatal.ts";
import { mkdirExact, readLinkExact } from "../../ffi/dir.ts";
import { useEscapedText } from "../escaped_text.ts";
import { asciiBytes, encodeText } from "../text_encoding.ts";
import { EAGAIN, EINVAL, ENOENT } from "../errstr.ts";

/** runit reads a supervise symlink into a 256-byte buffer; a full buffer is an error. */
const READLINK_MAX = 256;

function fatal(text: string, err?: unknown): SupervisorFatal {
  return new SupervisorFatal(err === undefined ? text : `${text}: ${errText(err)}`);
}

/**
 * mkdir `supervise` (0700); when that fails and it is a symlink, mkdir its target once
 * (relative targets resolve against `base`: the service dir, or `log/` for the log).
 * Errors other than "not a symlink" surface later, when the lock is opened.
 */
export function makeSuperviseDir(path: string, base: string, label: string): void {
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
    return;
  } catch {
    // exists, or a (dangling) symlink, or a real error that the lock open reports
  }
  let target: string;
  try {
    // A target that is not UTF-8 (/run/runit/supervise.NAME for such a NAME) is kept byte
    // for byte, and the paths of this process carry such bytes from then on.
    const link = readLinkExact(path);
    target = link.target;
    if (link.escaped) useEscapedText();
  } catch (err) {
    const code = errnoOf(err);
    if (code === ENOENT || code === EINVAL) return;
    throw fatal(`unable to readlink ${label}`, err);
  }
  if (encodeText(target).length >= READLINK_MAX) {
    // Debian's runsv prints "name too long" here, not error_str's "file name too long".
    throw fatal(`unable to readlink ${label}: name too long`);
  }
  try {
    mkdirExact(target.startsWith("/") ? target : `${base}/${target}`, 0o700);
  } catch {
    // runit ignores this failure too
  }
}

/** Opens `lock` (0600, append) and flocks it; `wait` retries instead of failing when held. */
export async function takeLock(
  path: string,
  label: string,
  options: { wait: boolean; isEnded?: () => boolean },
): Promise<number> {
  let fd: number;
  try {
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0o600);
  } catch (err) {
    throw fatal(`unable to open ${label}`, err);
  }
  for (;;) {
    try {
      flock(fd, LOCK_EX | LOCK_NB);
      return fd;
    } catch (err) {
      // runit takes the log's lock with a blocking flock; blocking would stall every
      // supervisor in the process, so poll instead.
      if (options.wait && errnoOf(err) === EAGAIN && !(options.isEnded?.() ?? false)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      close(fd);
      throw fatal(`unable to lock ${label}`, err);
    }
  }
}

/** The two ends runsv holds on `control`: the one it reads and a write end against EOF. */
export interface ControlFds {
  read: number;
  write: number;
}

/** mkfifo `control` (an existing one is kept), checks it is a FIFO and opens it twice. */
export function openControl(path: string, label: string): ControlFds {
  try {
    mkfifo(path, 0o600);
  } catch {
    // exists: checked below
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    throw fatal(`unable to stat ${label}`, err);
  }
  if (!info.isFifo) throw fatal(`${label} exists but is not a fifo`);
  let read: number;
  try {
    read = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } catch (err) {
    throw fatal(`unable to open ${label}`, err);
  }
  try {
    return { read, write: open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC) };
  } catch (err) {
    close(read);
    throw fatal(`unable to open ${label}`, err);
  }
}

/** mkfifo `ok` and open it for reading: from now on clients see a supervisor. */
export function openOk(path: string, label: string): number {
  try {
    mkfifo(path, 0o600);
  } catch {
    // exists
  }
  try {
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } catch (err) {
    throw fatal(`unable to read ${label}`, err);
  }
}

/** Where one service's state files live. */
export interface StatusPaths {
  /** The service directory, open (O_DIRECTORY). */
  dirFd: number;
  /**
   * `supervise` or `log/supervise`: the supervise directory relative to `dirFd` (symlink
   * followed on every write, as runsv's relative names are), and runit's spelling in
   * messages.
   */
  label: string;
}

/**
 * runit update_status(): `pid` (only when `writePid`), then `stat`, then `status`, each
 * through NAME.new + rename (ffi/replace_file.ts: one call each with libdenit.so).
 * Failures are warnings in runit's words; returns whether `pid` was written (the shared
 * "pid changed" flag is cleared only then). Where runit writes `status.new` once and
 * gives up on a short write, a short write here is continued.
 */
export function writeStatusFiles(
  paths: StatusPaths,
  record: StatusRecord,
  writePid: boolean,
  warn: (text: string, err?: unknown) => void,
): boolean {
  const { dirFd, label } = paths;
  const names = statusNames(label);
  let pidWritten = false;
  if (writePid) {
    const text = record.pid === 0 ? new Uint8Array() : asciiBytes(`${record.pid}\n`);
    try {
      replaceFile(dirFd, names.pidNew, names.pid, text);
    } catch (err) {
      warn(
        renameFailed(err)
          ? `unable to rename pid.new to ${label}/pid`
          : `unable to open ${label}/pid.new`,
        err,
      );
      return false;
    }
    pidWritten = true;
  }
  try {
    replaceFile(dirFd, names.statNew, names.stat, asciiBytes(formatStat(record)));
  } catch (err) {
    if (!renameFailed(err)) {
      warn(`unable to open ${label}/stat.new`, err);
      return pidWritten;
    }
    warn(`unable to rename stat.new to ${label}/stat`, err);
  }
  try {
    replaceFile(dirFd, names.statusNew, names.status, encodeStatus(record));
  } catch (err) {
    if (renameFailed(err)) {
      warn(`unable to rename status.new to ${label}/status`, err);
    } else if (err instanceof SysError && err.syscall === "write") {
      try {
        unlinkAt(dirFd, names.statusNew);
      } catch {
        // nothing more to do
      }
      warn(`unable to write ${label}/status.new`, err);
    } else {
      warn(`unable to open ${label}/status.new`, err);
    }
  }
  return pidWritten;
}

/** Whether replaceFile() failed at its last step, the rename. */
function renameFailed(err: unknown): boolean {
  return err instanceof SysError && err.syscall === "renameat";
}

/** The names of the status files under one supervise directory, encoded once. */
interface StatusNames {
  pidNew: CName;
  pid: CName;
  statNew: CName;
  stat: CName;
  statusNew: CName;
  status: CName;
}

/** By label: there are two, `supervise` and `log/supervise`, in every supervisor. */
const statusNamesByLabel = new Map<string, StatusNames>();

function statusNames(label: string): StatusNames {
  let names = statusNamesByLabel.get(label);
  if (names === undefined) {
    const name = (file: string) => new CName(`${label}/${file}`);
    names = {
      pidNew: name("pid.new"),
      pid: name("pid"),
      statNew: name("stat.new"),
      stat: name("stat"),
      statusNew: name("status.new"),
      status: name("status"),
    };
    statusNamesByLabel.set(label, names);
  }
  return names;
}
