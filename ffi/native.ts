/**
 * libdenit.so, denit's own C helpers (scripts/spawn.c: a start that does not wait for
 * its child's exec; scripts/replace_file.c: a file replaced in one call;
 * scripts/line_copy.c: svlogd's stamped lines copied in one call), built by install.sh
 * beside the sources. From a checkout, or where no C compiler was found, there is none:
 * ffi/spawn.ts and ffi/replace_file.ts then do the same through libc, and svlogd's
 * engine copies the lines in JavaScript.
 */

import { bindLibrary } from "./libc.ts";

/** What denit_library_version() says (scripts/spawn.c); a library of another build is not used. */
const NATIVE_VERSION = 5;

function nativeDefs() {
  return {
    denit_library_version: { parameters: [], result: "i32" },
    // int denit_spawn(const char *path, char *const argv[], char *const envp[],
    //                 const char *cwd, const int *dups, int dup_count, int flags, int pgroup,
    //                 const long long *limits, int limit_count, unsigned long long ignored)
    denit_spawn: {
      parameters: [
        "buffer",
        "buffer",
        "buffer",
        "buffer",
        "buffer",
        "i32",
        "i32",
        "i32",
        "buffer",
        "i32",
        "u64",
      ],
      result: "i32",
    },
    denit_spawn_wait: { parameters: ["i32"], result: "i32" }, // int denit_spawn_wait(pid_t)
    denit_spawn_failure: { parameters: ["i32"], result: "i32" }, // int denit_spawn_failure(pid_t)
    // int denit_replace_file(int dirfd, const char *temporary, const char *name,
    //                        const unsigned char *bytes, int length)
    denit_replace_file: {
      parameters: ["i32", "buffer", "buffer", "buffer", "i32"],
      result: "i32",
    },
    // int denit_copy_lines(const unsigned char *in, int in_at, int in_length,
    //                      unsigned char *out, int out_at, int out_length,
    //                      const unsigned char *head, int head_length,
    //                      int *starts, int starts_at, int starts_length, int *state)
    denit_copy_lines: {
      parameters: [
        "buffer",
        "i32",
        "i32",
        "buffer",
        "i32",
        "i32",
        "buffer",
        "i32",
        "buffer",
        "i32",
        "i32",
        "buffer",
      ],
      result: "i32",
    },
  } as const;
}

/** The bound library. */
export type NativeLibrary = NonNullable<ReturnType<typeof bindNative>>;

// Bound with fast calls: through `Deno.UnsafeFnPointer` a start cost ~0.06 ms from the
// call to the library's first system call, 0.02 ms so (runsv, `u`, traced, medians of
// 40, #3); binding them costs runsv's first start nothing measurable.
function bindNative(path: string) {
  const lib = bindLibrary(path, nativeDefs(), { fastCalls: true });
  return lib?.denit_library_version() === NATIVE_VERSION ? lib : undefined;
}

/**
 * install.sh puts libdenit.so beside the sources: two levels above this module, in a
 * bundle (src/entry/NAME.js) as in the sources (src/ffi/native.ts).
 */
function defaultPath(): string | undefined {
  const url = new URL("../../libdenit.so", import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
}

let native: NativeLibrary | null | undefined;

/** The library, loaded on first use; null when there is none. */
export function nativeLibrary(): NativeLibrary | null {
  if (native === undefined) {
    const path = defaultPath();
    native = (path !== undefined ? bindNative(path) : undefined) ?? null;
  }
  return native;
}

/** The library only if it was loaded already (asking never loads it). */
export function loadedNativeLibrary(): NativeLibrary | null {
  return native ?? null;
}

/**
 * Which library the helpers use: the one at `path`, or none (`null`: everything goes
 * through libc). For tests; false when `path` cannot be loaded.
 */
export function useNativeLibrary(path: string | null): boolean {
  native = path === null ? null : bindNative(path) ?? null;
  return path === null || native !== null;
}
