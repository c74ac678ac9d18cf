/**
 * ffi/replace_file.ts, through libdenit.so (scripts/replace_file.c, built here as
 * install.sh builds it) and through libc without it: the same file, mode and errors
 * either way, and runsv's status files written and warned about in runit's words.
 */

import { assert, assertEquals } from "./_assert.ts";
import { buildNativeLibrary, fileTempDir, haveCompiler } from "./_helpers.ts";
import { useNativeLibrary } from "../ffi/native.ts";
import { replaceFile } from "../ffi/replace_file.ts";
import { close, CName, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open } from "../ffi/libc.ts";
import { EISDIR, ENOENT, ENOSPC } from "../lib/errstr.ts";
import { SysError } from "../lib/sys_error.ts";
import { writeStatusFiles } from "../lib/supervise/supervise_dir.ts";

const workDir = fileTempDir("denit-replace-");
let built: Promise<string> | undefined;

/** The two ways: libdenit.so's one call (needs a C compiler) and libc's four. */
const WAYS = [
  { name: "libdenit.so", needsCompiler: true },
  { name: "libc", needsCompiler: false },
] as const;

/** Runs `use` with an open temporary directory, the library (or none) in use. */
async function withDir(
  way: (typeof WAYS)[number],
  use: (dirFd: number, dir: string) => void,
): Promise<void> {
  if (way.needsCompiler) {
    built ??= buildNativeLibrary(workDir);
    assert(useNativeLibrary(await built), "the library loads");
  } else {
    assert(useNativeLibrary(null));
  }
  const dir = Deno.makeTempDirSync({ dir: workDir });
  const dirFd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    use(dirFd, dir);
  } finally {
    close(dirFd);
    useNativeLibrary(null);
  }
}

/** The SysError `call` throws. */
function thrownBy(call: () => void): SysError {
  try {
    call();
  } catch (err) {
    if (err instanceof SysError) return err;
    throw err;
  }
  throw new Error("nothing was thrown");
}

const bytes = (text: string) => new TextEncoder().encode(text);
const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

for (const way of WAYS) {
  const ignore = way.needsCompiler && !haveCompiler();

  Deno.test({
    name: `replaceFile (${way.name}): writes through the temporary name, mode 0644`,
    ignore,
    async fn() {
      await withDir(way, (dirFd, dir) => {
        Deno.writeTextFileSync(`${dir}/stat`, "an older, longer text\n");
        replaceFile(dirFd, new CName("stat.new"), new CName("stat"), bytes("run\n"));
        assertEquals(Deno.readTextFileSync(`${dir}/stat`), "run\n");
        replaceFile(dirFd, new CName("pid.new"), new CName("pid"), new Uint8Array());
        assertEquals(Deno.readTextFileSync(`${dir}/pid`), "");
        assertEquals(Deno.statSync(`${dir}/pid`).mode! & 0o777, 0o644 & ~Deno.umask());
        assertEquals(names(dir), ["pid", "stat"]);
      });
    },
  });

  Deno.test({
    name: `replaceFile (${way.name}): names the step that failed and its errno`,
    ignore,
    async fn() {
      await withDir(way, (dirFd, dir) => {
        const opened = thrownBy(() =>
          replaceFile(dirFd, new CName("gone/stat.new"), new CName("stat"), bytes("x"))
        );
        assertEquals([opened.syscall, opened.errno], ["openat", ENOENT]);

        // A directory in the way of the rename (EISDIR): the written file stays.
        Deno.mkdirSync(`${dir}/status/inside`, { recursive: true });
        const renamed = thrownBy(() =>
          replaceFile(dirFd, new CName("status.new"), new CName("status"), bytes("x"))
        );
        assertEquals([renamed.syscall, renamed.errno], ["renameat", EISDIR]);
        assertEquals(Deno.readTextFileSync(`${dir}/status.new`), "x");
      });
      // /dev/full opens (O_CREAT of a name that exists) and takes no byte; nothing is
      // renamed after a failed write.
      const devFd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      try {
        const written = thrownBy(() =>
          replaceFile(devFd, new CName("full"), new CName("no-such-name"), bytes("x"))
        );
        assertEquals([written.syscall, written.errno], ["write", ENOSPC]);
      } finally {
        close(devFd);
      }
    },
  });

  Deno.test({
    name: `writeStatusFiles (${way.name}): a failed rename warns and the update goes on`,
    ignore,
    async fn() {
      await withDir(way, (dirFd, dir) => {
        Deno.mkdirSync(`${dir}/supervise/stat/inside`, { recursive: true });
        const warnings: string[] = [];
        const record = {
          stamp: { seconds: 1n, nanoseconds: 0 },
          pid: 12,
          paused: false,
          want: "up" as const,
          term: false,
          state: "run" as const,
        };
        const paths = { dirFd, label: "supervise" };
        assert(writeStatusFiles(paths, record, true, (text) => warnings.push(text)));
        assertEquals(warnings, ["unable to rename stat.new to supervise/stat"]);
        assertEquals(Deno.readTextFileSync(`${dir}/supervise/pid`), "12\n");
        assertEquals(Deno.readFileSync(`${dir}/supervise/status`).length, 20);

        // pid's rename refused: nothing after it is written, the pid flag stays.
        Deno.removeSync(`${dir}/supervise`, { recursive: true });
        Deno.mkdirSync(`${dir}/supervise/pid/inside`, { recursive: true });
        warnings.length = 0;
        assertEquals(writeStatusFiles(paths, record, true, (t) => warnings.push(t)), false);
        assertEquals(warnings, ["unable to rename pid.new to supervise/pid"]);
        assertEquals(names(`${dir}/supervise`), ["pid", "pid.new"]);
      });
    },
  });
}
