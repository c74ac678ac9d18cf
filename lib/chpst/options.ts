/**
 * Command lines of chpst and its personalities (spec chpst.md §2, §3, §9), parsed into
 * one {@linkcode ChpstRequest} as runit's chpst.c does: getopt with runit's rules, the
 * last value of an option wins, a second `-l`/`-L` is a usage error; the personalities
 * take positional arguments (setlock and softlimit have their own options).
 */

import { getoptEach, type ParsedOption } from "../getopt.ts";
import { UsageError } from "../sys_error.ts";
import { type LimitName, MEMORY_LIMITS } from "./limits.ts";
import { parseLimit, parseNice } from "./numbers.ts";

/** chpst's name for itself and the personalities it can take (spec chpst.md §2). */
export type Personality =
  | "chpst"
  | "envdir"
  | "envuidgid"
  | "pgrphack"
  | "setuidgid"
  | "setlock"
  | "softlimit";

/** runit 2.1.2's `$Id$` line for chpst.c, printed by `-V` (Debian's build). */
export const CHPST_VERSION_LINE = "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $";

/** The usage argument text of each name (Debian's chpst usage, runit's personality texts). */
export const USAGE_ARGS: Readonly<Record<Personality, string>> = {
  chpst:
    "[-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog",
  envdir: "dir child",
  envuidgid: "account child",
  setuidgid: "account child",
  pgrphack: "child",
  setlock: "[ -nNxX ] file program [ arg ... ]",
  softlimit:
    "[-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child",
};

/**
 * A usage error: `usage` names whose usage text to print (softlimit's bad numbers print
 * chpst's), `message` is a line printed before it (a getopt error, `$Id$`), or "".
 */
export class ChpstUsageError extends UsageError {
  override name = "ChpstUsageError";
  readonly usage: Personality;
  constructor(usage: Personality, line = "") {
    super(line);
    this.usage = usage;
  }
}

/** Everything a command line asks for; {@linkcode planSteps} orders it. */
export interface ChpstRequest {
  /** `-u`: user spec to switch to. */
  setUser?: string;
  /** `-U`: user spec whose ids go to UID/GID in the environment. */
  envUser?: string;
  /** false for setuidgid/envuidgid: the spec is one account name, other messages. */
  userSpecExtended: boolean;
  /** `-b`: argv[0] for the program. */
  argv0?: string;
  /** `-e` or envdir's DIR. */
  envDir?: string;
  /** envdir: a subdirectory in DIR is fatal (chpst -e skips it). */
  envDirStrict: boolean;
  /** `-/`. */
  root?: string;
  /** `-C` (later upstream addition). */
  chdir?: string;
  /** `-n`; 0 means nice is not called. */
  nice: number;
  /** `-l` (wait) / `-L`, setlock. */
  lock?: { file: string; wait: boolean };
  /** setlock -x: lock and exec failures exit 0 silently. */
  quiet: boolean;
  verbose: boolean;
  /** `-P`, pgrphack. */
  newSession: boolean;
  /** `-0 -1 -2`. */
  closeStdin: boolean;
  closeStdout: boolean;
  closeStderr: boolean;
  /** Stored limit values (see numbers.ts), by name. */
  limits: Partial<Record<LimitName, bigint>>;
  /** The program and its arguments; argv[0] is the name searched for. */
  argv: string[];
}

function emptyRequest(): ChpstRequest {
  return {
    userSpecExtended: true,
    envDirStrict: false,
    nice: 0,
    quiet: false,
    verbose: false,
    newSession: false,
    closeStdin: false,
    closeStdout: false,
    closeStderr: false,
    limits: {},
    argv: [],
  };
}

/** The program name after runit's rule: base name with one leading `d` removed. */
export function personalityOf(name: string): { prog: string; personality: Personality } {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const prog = base.startsWith("d") ? base.slice(1) : base;
  const personality = (prog in USAGE_ARGS && prog !== "chpst" ? prog : "chpst") as Personality;
  return { prog, personality };
}

// chpst.c's getopt string, plus C: (the later upstream -C).
const CHPST_OPTIONS = "u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vP012V";

const CHPST_LIMIT_LETTERS: Readonly<Record<string, LimitName>> = {
  d: "data",
  o: "nofile",
  p: "nproc",
  f: "fsize",
  c: "core",
  r: "rss",
  t: "cpu",
};

function withUsage<T>(personality: Personality, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UsageError && !(err instanceof ChpstUsageError)) {
      throw new ChpstUsageError(personality, err.message);
    }
    throw err;
  }
}

/**
 * chpst's own command line. `getoptName` is argv[0]'s base name (getopt error lines use
 * it without removing the `d`).
 */
export function parseChpst(args: readonly string[], getoptName: string): ChpstRequest {
  const request = emptyRequest();
  const apply = ({ letter, value = "" }: ParsedOption): void => {
    switch (letter) {
      case "u":
        request.setUser = value;
        break;
      case "U":
        request.envUser = value;
        break;
      case "b":
        request.argv0 = value;
        break;
      case "e":
        request.envDir = value;
        break;
      case "/":
        request.root = value;
        break;
      case "C":
        request.chdir = value;
        break;
      case "m": {
        const limit = withUsage("chpst", () => parseLimit(value, false));
        for (const name of MEMORY_LIMITS) request.limits[name] = limit;
        break;
      }
      case "n":
        request.nice = withUsage("chpst", () => parseNice(value));
        break;
      case "l":
      case "L":
        if (request.lock !== undefined) throw new ChpstUsageError("chpst");
        request.lock = { file: value, wait: letter === "l" };
        break;
      case "v":
        request.verbose = true;
        break;
      case "P":
        request.newSession = true;
        break;
      case "0":
        request.closeStdin = true;
        break;
      case "1":
        request.closeStdout = true;
        break;
      case "2":
        request.closeStderr = true;
        break;
      case "V":
        throw new ChpstUsageError("chpst", CHPST_VERSION_LINE);
      default: {
        const limit = CHPST_LIMIT_LETTERS[letter]!;
        request.limits[limit] = withUsage("chpst", () => parseLimit(value, false));
      }
    }
  };
  // Options take effect in order, as runit's getopt loop: `-o x -z` is a bad number.
  const operands = withUsage("chpst", () => getoptEach(args, CHPST_OPTIONS, getoptName, apply));
  if (operands.length === 0) throw new ChpstUsageError("chpst");
  request.argv = operands;
  return request;
}

/** Two positional words (ACCOUNT/DIR and PROG) for envdir, envuidgid, setuidgid. */
function positional(args: readonly string[], personality: Personality): [string, string[]] {
  if (args.length < 2) throw new ChpstUsageError(personality);
  return [args[0]!, args.slice(1)];
}

const SOFTLIMIT_LETTERS: Readonly<Record<string, LimitName>> = {
  a: "as",
  c: "core",
  d: "data",
  f: "fsize",
  l: "memlock",
  o: "nofile",
  p: "nproc",
  r: "rss",
  s: "stack",
  t: "cpu",
};

/**
 * A personality's command line. `getoptName` is argv[0]'s base name, for setlock's and
 * softlimit's getopt error lines.
 */
export function parsePersonality(
  personality: Exclude<Personality, "chpst">,
  args: readonly string[],
  getoptName: string,
): ChpstRequest {
  const request = emptyRequest();
  switch (personality) {
    case "envdir": {
      const [dir, argv] = positional(args, personality);
      request.envDir = dir;
      request.envDirStrict = true;
      request.argv = argv;
      return request;
    }
    case "envuidgid":
    case "setuidgid": {
      const [account, argv] = positional(args, personality);
      if (personality === "envuidgid") request.envUser = account;
      else request.setUser = account;
      request.userSpecExtended = false;
      request.argv = argv;
      return request;
    }
    case "pgrphack":
      if (args.length === 0) throw new ChpstUsageError(personality);
      request.newSession = true;
      request.argv = [...args];
      return request;
    case "setlock": {
      let wait = false;
      const operands = withUsage(
        personality,
        () =>
          getoptEach(args, "nNxX", getoptName, ({ letter }) => {
            if (letter === "n" || letter === "N") wait = letter === "n";
            else request.quiet = letter === "x";
          }),
      );
      if (operands.length < 2) throw new ChpstUsageError(personality);
      request.lock = { file: operands[0]!, wait };
      request.argv = operands.slice(1);
      return request;
    }
    case "softlimit": {
      const apply = ({ letter, value = "" }: ParsedOption): void => {
        // A bad number prints chpst's usage text (chpst.c getlarg calls usage()).
        const limit = withUsage("chpst", () => parseLimit(value, true));
        if (letter === "m") {
          for (const name of MEMORY_LIMITS) request.limits[name] = limit;
        } else {
          request.limits[SOFTLIMIT_LETTERS[letter]!] = limit;
        }
      };
      const operands = withUsage(
        personality,
        () => getoptEach(args, "a:c:d:f:l:m:o:p:r:s:t:", getoptName, apply),
      );
      if (operands.length === 0) throw new ChpstUsageError(personality);
      request.argv = operands;
      return request;
    }
  }
}
