/**
 * Directory entries and stat(2) by a name's exact bytes, for names that are not UTF-8:
 * Deno's `readDirSync` decodes such names with U+FFFD and its file APIs take UTF-8 only
 * (runsvdir's scan, lib/runsvdir/host.ts). Names come back in lib/escaped_text.ts's form;
 * paths go to libc as lib/text_encoding.ts says (set it to the escaped encoder first).
 */

import { decodeEscaped } from "../lib/escaped_text.ts";
import {
  bindLibcAll,
  clearErrno,
  close,
  cstr,
  cStringBytes,
  errno,
  O_CLOEXEC,
  O_DIRECTORY,
  O_NONBLOCK,
  O_RDONLY,
  open,
  read,
  sysError,
} from "./libc.ts";

const sym = /* @__PURE__ */ bindLibcAll({
  // DIR *opendir(const char *name)
  opendir: { parameters: ["buffer"], result: "pointer" },
  // struct dirent *readdir(DIR *dirp)
  readdir: { parameters: ["pointer"], result: "pointer" },
  // int closedir(DIR *dirp)
  closedir: { parameters: ["pointer"], result: "i32" },
});

/** Where d_name starts in struct dirent: after d_ino, d_off (8 each), d_reclen, d_type. */
const NAME_OFFSET = 19;
const NAME_MAX = 255;
const O_PATH = 0o10000000;

/** The names in directory `path` (not `.` and `..`), each one's bytes as they are. */
export function readDirectoryExact(path: string): string[] {
  const dir = sym.opendir(cstr(path));
  if (dir === null) throw sysError("opendir", path);
  try {
    const names: string[] = [];
    for (;;) {
      clearErrno(); // readdir's end and its failure both return NULL
      const entry = sym.readdir(dir);
      if (entry === null) {
        if (errno() !== 0) throw sysError("readdir", path);
        return names;
      }
      const view = new Deno.UnsafePointerView(entry);
      const name = decodeEscaped(cStringBytes(view, NAME_OFFSET, NAME_MAX + 1));
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    sym.closedir(dir);
  }
}

/**
 * Runs `use` on `/proc/self/fd/N` for `path` opened by its bytes with `flags`: Deno's file
 * APIs can then reach a file whose name is not UTF-8.
 */
function throughFd<T>(path: string, flags: number, use: (fdPath: string) => T): T {
  const fd = open(path, flags | O_CLOEXEC);
  try {
    return use(`/proc/self/fd/${fd}`);
  } finally {
    close(fd);
  }
}

/** Whether `/proc/self/fd/N` names this process's open directories (procfs mounted). */
function procFdWorks(): boolean {
  try {
    return Deno.statSync("/proc/self/fd").isDirectory;
  } catch {
    return false;
  }
}

/** `Deno.statSync(path)` for a path that may hold a name that is not UTF-8 (links followed). */
export function statExact(path: string): Deno.FileInfo {
  return path.isWellFormed() ? Deno.statSync(path) : throughFd(path, O_PATH, Deno.statSync);
}

/**
 * Paths Deno's file APIs can use for directories named by their bytes: a UTF-8 path as it
 * is; any other, the directory opened by its bytes (an `O_PATH` fd) and named
 * `/proc/self/fd/N`, which children may take as their working directory too. Asked again
 * for the same path (svlogd reopens its directories by name on SIGHUP, after closing
 * them), it opens it again and closes the fd before.
 */
export class DirectoryPaths {
  readonly #fds = new Map<string, number>();
  readonly #always: boolean;

  /**
   * `always`: every directory through its fd, not only those named by bytes that are not
   * UTF-8 (svlogd: runit's works in its log directory through an fd, so a directory
   * renamed while in use is still written to). Without /proc, names as given.
   */
  constructor(options: { always?: boolean } = {}) {
    this.#always = options.always === true && procFdWorks();
  }

  /** The path to use for `path`; `path` itself where it cannot be opened (the error is then the file APIs'). */
  resolve(path: string): string {
    if (path.isWellFormed() && !this.#always) return path;
    const before = this.#fds.get(path);
    if (before !== undefined) {
      this.#fds.delete(path);
      close(before);
    }
    try {
      const fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      this.#fds.set(path, fd);
      return `/proc/self/fd/${fd}`;
    } catch {
      return path;
    }
  }

  /** Closes every fd opened here (an in-process svlogd that ends, in a process that goes on). */
  closeAll(): void {
    for (const fd of this.#fds.values()) close(fd);
    this.#fds.clear();
  }
}

/**
 * The bytes of `path`, opened with O_NONBLOCK as runit's `open_read`: a FIFO without a
 * writer reads as empty where a plain open would wait for one for ever. A read that would
 * block throws SysError EAGAIN, as runit's `readclose` fails then. A name that is not
 * UTF-8 is reached by its bytes. Throws SysError (ENOENT, EISDIR, …).
 */
export function readFileNoWait(path: string): Uint8Array {
  const fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(total < READ_CHUNK ? 4096 : READ_CHUNK);
      const count = read(fd, chunk);
      if (count === 0) break;
      chunks.push(chunk.subarray(0, count));
      total += count;
    }
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  } finally {
    close(fd);
  }
}

const READ_CHUNK = 1 << 16;

const linkSym = /* @__PURE__ */ bindLibcAll({
  // ssize_t readlink(const char *path, char *buf, size_t size)
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  // int mkdir(const char *path, mode_t mode)
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
}, { fastCalls: false });

/** Bytes readlink(2) may give back here; a longer target reads as ENAMETOOLONG. */
const LINK_MAX = 4096;

/**
 * `Deno.readLinkSync(path)`, except that a target that is not UTF-8 (Deno throws
 * InvalidData for it) comes back in lib/escaped_text.ts's form; `true` in `escaped` then.
 */
export function readLinkExact(path: string): { target: string; escaped: boolean } {
  try {
    return { target: Deno.readLinkSync(path), escaped: false };
  } catch (err) {
    if (!(err instanceof Deno.errors.InvalidData)) throw err;
  }
  const buffer = new Uint8Array(LINK_MAX);
  const length = Number(linkSym.readlink(cstr(path), buffer, BigInt(LINK_MAX)));
  if (length < 0) throw sysError("readlink", path);
  return { target: decodeEscaped(buffer.subarray(0, length)), escaped: true };
}

/** `Deno.mkdirSync(path, { mode })`, reaching a path that is not UTF-8 by its bytes. */
export function mkdirExact(path: string, mode: number): void {
  if (path.isWellFormed()) return Deno.mkdirSync(path, { mode });
  if (linkSym.mkdir(cstr(path), mode) === -1) throw sysError("mkdir", path);
}
