/**
 * How a hosted supervisor names its service directory. runit's runsv runs with the
 * service directory as its cwd, so renaming the directory (or repointing the symlink
 * that led to it, as runsvchdir does) never disturbs it. A supervisor in runsvdir's
 * process never chdirs, so it gets a path that keeps naming the same directory:
 * `/proc/self/fd/N` of a directory fd held open for as long as it runs. Without /proc
 * (early boot), the directory's real path is the fallback.
 */

import { close, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open } from "../../ffi/libc.ts";
import type { ServiceDirHandle } from "./host.ts";

let haveProcFd: boolean | undefined;

function procFdAvailable(): boolean {
  if (haveProcFd === undefined) {
    try {
      haveProcFd = Deno.statSync("/proc/self/fd").isDirectory;
    } catch {
      haveProcFd = false;
    }
  }
  return haveProcFd;
}

/** Opens service `name` of scan directory `dir` for a supervisor; throws when it cannot. */
export function openServiceDir(dir: string, name: string): ServiceDirHandle {
  const path = `${dir}/${name}`;
  if (!procFdAvailable()) return { path: Deno.realPathSync(path), release: () => {} };
  const fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  let released = false;
  return {
    path: `/proc/self/fd/${fd}`,
    release(): void {
      if (released) return;
      released = true;
      try {
        close(fd);
      } catch {
        // nothing to do
      }
    },
  };
}
