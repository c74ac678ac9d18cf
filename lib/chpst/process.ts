/**
 * What chpst knows of its own process, and the hand-over to the program: the state it
 * inherited (read first thing), the way back from an env dir, and the exec made ready
 * with that state restored. Shared by cmd/chpst.ts and the quick `-e` entry
 * (lib/chpst/quick.ts), so both pass on exactly the same environment and signal state.
 */

import {
  CALLER_PREFIX,
  callerVariableName,
  closedAtStart,
  ENTRY_VARIABLES,
  LAUNCHER_VARIABLES,
  launcherSignals,
  removedAtStart,
  restoredAtStart,
} from "../launch.ts";
import { close, fchdir, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open } from "../../ffi/libc.ts";
import {
  type ExecRequest,
  type PreparedExec,
  prepareExec,
  restoreSignals,
} from "../../ffi/exec.ts";
import { openStartDirectory } from "../fs_probe.ts";
import { procSignalState } from "../signals.ts";
import { Messenger } from "../msg.ts";
import { SysError } from "../sys_error.ts";
import { type CwdKeeper, readEnvDir } from "./files.ts";
import {
  applyEnvChanges,
  byteString,
  entryName,
  type EnvChange,
  keptEnviron,
  lookupEnv,
  parseEnviron,
  rawArguments,
  signalRestore,
  type SignalState,
  SIGSETXID,
  utf8ByteString,
} from "./inherit.ts";
import { FatalError, type Step } from "./request.ts";
import { encodeText } from "../text_encoding.ts";

/** chpst's exit for any failure to change state or to exec (chpst.8). */
export const EXIT_FATAL = 111;

/** What chpst inherited, read first thing: the program must inherit the same. */
export interface Inherited {
  signals: SignalState;
  /** `signals` was read before Deno started (the C launcher): its SIGPIPE is the caller's. */
  pipeKnown: boolean;
  environ: string[] | undefined;
  /** The arguments as byte strings (see rawArguments). */
  args: string[];
}

function readProc(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Reads what the program must inherit: the signal state from the C launcher, else /proc
 * (the sh launcher, mod.ts dispatch); the initial environment (see environList); the
 * arguments' bytes.
 */
export function readInherited(
  args: readonly string[],
  fromLauncher: SignalState | undefined = launcherSignals(),
): Inherited {
  const environ = readProc("/proc/self/environ");
  return {
    signals: fromLauncher ?? procSignalState() ?? { ignored: 0n, blocked: 0n },
    pipeKnown: fromLauncher !== undefined,
    environ: environ === undefined ? undefined : parseEnviron(environ),
    // Deno decodes arguments that are not UTF-8 lossily (U+FFFD): only then are their
    // bytes needed from /proc (~0.1 ms).
    args: rawArguments(
      args.join("\0").includes("\ufffd") ? readProc("/proc/self/cmdline") : undefined,
      args,
    ),
  };
}

const SIGPIPE_BIT = 1n << 12n;
const SETXID_BIT = 1n << BigInt(SIGSETXID - 1);
/** Deno arms its own HUP/INT/TERM/USR1 handlers ~500 ms after start (DENO-NOTES §4). */
const DENO_ARMING_MS = 400;

/**
 * The signal state just before the exec. Until Deno's event loop has run ~500 ms it has
 * only ignored SIGPIPE (caught handlers need nothing: exec resets them), so /proc is read
 * again only after that (chpst -l can wait that long, though without the event loop).
 */
export function signalsNow(inherited: Inherited): SignalState | undefined {
  if (performance.now() < DENO_ARMING_MS) {
    // Deno ignores SIGPIPE; glibc catches SIGSETXID, inherited ignored or not.
    const ignored = (inherited.signals.ignored | SIGPIPE_BIT) & ~SETXID_BIT;
    return { ignored, blocked: inherited.signals.blocked };
  }
  return procSignalState();
}

/**
 * The environment the C launcher was given, from chpst's initial one (byte strings): the
 * launcher's variables dropped, the caller's own DENO_* back under their names. What
 * {@linkcode environList} gives once lib/launch.ts has settled the environment, for a
 * process the C launcher started with Deno's PATH shim off; pure, for the quick entry,
 * which leaves the environment as it found it until it execs.
 */
export function launcherCallerEnviron(initial: readonly string[]): string[] {
  const dropped = new Set<string>([...LAUNCHER_VARIABLES, ...ENTRY_VARIABLES]);
  return keptEnviron(initial, (name) => !dropped.has(name)).map((entry) => {
    if (!entry.startsWith(CALLER_PREFIX)) return entry;
    const name = callerVariableName(entryName(entry));
    return name === undefined ? entry : entry.slice(CALLER_PREFIX.length);
  });
}

/**
 * The environment to pass on (byte strings): the initial one minus what lib/launch.ts
 * removed at start-up (the launcher's variables, Deno's PATH shim). Nothing else changes
 * the environment before the exec (env dir changes apply to this list), so no
 * Deno.env.toObject() is needed (~0.1 ms). Without /proc, Deno's environment as it is.
 */
function environList(initial: readonly string[] | undefined): string[] {
  if (initial !== undefined) {
    const removed = removedAtStart();
    const kept = keptEnviron(initial, (name) => !removed.has(name));
    const restored = restoredAtStart();
    if (restored.size === 0) return kept;
    // The caller's DENO_DIR and the like, back under their names, where the caller had them.
    return kept.map((entry) => {
      const name = restored.get(entryName(entry));
      return name === undefined ? entry : name + entry.slice(entry.indexOf("="));
    });
  }
  return Object.entries(Deno.env.toObject()).map(([name, value]) =>
    utf8ByteString(`${name}=${value}`)
  );
}

/**
 * The way back from the env dir: by path, or, when the current directory has no path
 * (removed) or one that is not UTF-8, by an fd on "." and fchdir as runit does (FFI only
 * then: start-up cost).
 * Saving fails where runit's `open(".")` fails (a directory the user cannot read or
 * search), with its error.
 */
export function cwdKeeper(): CwdKeeper {
  let path: string | undefined;
  let fd = -1;
  return {
    save: () => {
      openStartDirectory();
      try {
        path = Deno.cwd();
      } catch {
        path = undefined;
      }
      // Removed, or a path Deno could not decode: back through an fd.
      if (path === undefined || path.includes("\ufffd")) {
        path = undefined;
        fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      }
    },
    restore: () => {
      if (path !== undefined) return Deno.chdir(path);
      fchdir(fd);
      close(fd);
    },
  };
}

/**
 * What the program's exec needs: `env` is the environment to pass, chpst's own PATH is
 * searched, the program's words are passed as given (`-b` aside).
 */
export function execRequest(
  exec: Extract<Step, { op: "exec" }>,
  inherited: Inherited,
  env: readonly string[],
): ExecRequest {
  // Only without /proc; a PATH that is not UTF-8 (Deno throws for it) counts as unset.
  let fallbackPath: string | undefined;
  try {
    fallbackPath = Deno.env.get("PATH");
  } catch {
    fallbackPath = undefined;
  }
  const path = inherited.environ !== undefined
    ? lookupEnv(inherited.environ, "PATH")
    : fallbackPath === undefined
    ? undefined
    : utf8ByteString(fallbackPath);
  // The program's words are a suffix of chpst's arguments: take their exact bytes.
  const argv = inherited.args.slice(inherited.args.length - exec.argv.length);
  const file = argv[0]!;
  // -b: its bytes (encodeText gives back those of a value that was not UTF-8).
  if (exec.argv[0] !== exec.file) argv[0] = byteString(encodeText(exec.argv[0]!));
  return { file, argv, env, path };
}

/**
 * Makes the exec ready (the environment with the env dir's `changes`) and restores the
 * inherited signal state: everything the exec needs is built before chpst's resource
 * limits can get in the way (`underLimits`: a small RLIMIT_AS or RLIMIT_NOFILE).
 */
export function prepareProgram(
  exec: Extract<Step, { op: "exec" }>,
  inherited: Inherited,
  changes: readonly EnvChange[],
  underLimits: boolean,
): PreparedExec {
  const env = applyEnvChanges(environList(inherited.environ), changes);
  // The caller's closed stdio, which Deno's start opened on /dev/null, is closed again.
  const closeFirst = closedAtStart();
  const prepared = prepareExec({ ...execRequest(exec, inherited, env), underLimits, closeFirst });
  // Only what differs is changed: each libc symbol bound costs start-up time.
  const restore = signalRestore(
    inherited.signals,
    underLimits ? undefined : signalsNow(inherited),
    inherited.pipeKnown,
  );
  restoreSignals(restore, inherited.signals.blocked);
  return prepared;
}

/** An env dir step's changes, read as runit's edir() does (lib/chpst/files.ts). */
export function envDirChanges(
  step: Extract<Step, { op: "envdir" }>,
  say: Messenger,
): EnvChange[] {
  return readEnvDir(step.dir, {
    strict: step.strict,
    verbose: step.verbose,
    warn: (text, err) => say.warn(text, err),
    cwd: cwdKeeper(),
  });
}

/** runit's error for an exec that failed with `errno` (the name `-b` gave, if any). */
export function execFailure(exec: Extract<Step, { op: "exec" }>, errno: number): FatalError {
  return new FatalError(`unable to run: ${exec.argv[0]}`, new SysError("execve", errno));
}

/** Prints a fatal error as runit's chpst does; returns chpst's exit code for it. */
export function reportFatal(err: FatalError, say: Messenger): number {
  if (err.hasReason) say.fatal(err.message, err.reason);
  else say.fatal(err.message);
  return EXIT_FATAL;
}
