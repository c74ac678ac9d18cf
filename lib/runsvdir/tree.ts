/**
 * The supervision tree of one scan directory, put together: a {@linkcode RunsvdirHost}
 * whose supervisors are real `Supervisor` objects sharing one {@linkcode Reaper}, with
 * in-process svlogd for `log/svlogd` services. Used by the `runsvdir` applet and by
 * process 1 when it runs stage 2 itself (lib/runit/stage2_inprocess.ts).
 */

import { getrlimit, setrlimit } from "../../ffi/exec.ts";
import { Messenger } from "../msg.ts";
import type { Reaper } from "../reaper.ts";
import { Supervisor, SupervisorFatal } from "../supervise/supervisor.ts";
import { createSvlogdSink } from "../svlogd/sink.ts";
import { RunsvdirHost } from "./host.ts";

const RLIMIT_NOFILE = 7;
/** fds a supervised service holds: its directory, lock, control FIFO and ok, twice, and a pipe. */
const FDS_PER_SERVICE = 12;
const FDS_BASE = 64;

/**
 * Keeps the soft limit on open files above what the services need, up to the hard limit.
 * One runsv per service needs few; one process for all of them needs a dozen per service,
 * and a kernel's default soft limit of 1024 would stop at about 80 services. Raised only
 * when needed, so small systems' services inherit the usual limit.
 */
function reserveFds(count: number): void {
  const need = BigInt(FDS_BASE + FDS_PER_SERVICE * count);
  const { soft, hard } = getrlimit(RLIMIT_NOFILE);
  if (soft >= need) return;
  const wanted = need * 2n;
  setrlimit(RLIMIT_NOFILE, { soft: wanted < hard ? wanted : hard, hard });
}

/** What a supervision tree needs from the process that hosts it. */
export interface TreeOptions {
  /** The scan directory, as given. */
  dir: string;
  /** The path to reach `dir` by until asked again (HostOptions.reach). */
  reach?(dir: string): string;
  /** Each service in a new session and process group (`-P`). */
  newSession: boolean;
  /** The process's one reaper, already started. */
  reaper: Reaper;
  /** Speaks as `runsvdir DIR`. */
  say: Messenger;
}

/** Makes the host for `dir`; `start()` it to begin supervising. */
export function createTree(options: TreeOptions): RunsvdirHost {
  const { reaper, newSession, say } = options;
  return new RunsvdirHost({
    dir: options.dir,
    ...(options.reach === undefined ? {} : { reach: options.reach }),
    createSupervisor: ({ name, path }) =>
      new Supervisor({
        dir: path,
        reaper,
        // A supervisor speaks as the runsv it replaces: `runsv NAME: …` on our stderr.
        messenger: new Messenger(`runsv ${name}`),
        newSession,
        // log/ with a log/svlogd file and no run: logged in this process (DEVIATIONS.md 13).
        logSinkFactory: createSvlogdSink,
      }),
    // The supervisor opens the directory itself and follows it through renames.
    openServiceDir: (scanDir, name) => ({ path: `${scanDir}/${name}`, release: () => {} }),
    warn: (text, err) => say.warn(text, err),
    fatal: (name, text, err) => new Messenger(`runsv ${name}`).fatal(text, err),
    isFatal: (err) => err instanceof SupervisorFatal,
    reserveServices: reserveFds,
  });
}
