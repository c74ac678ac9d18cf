/**
 * What a chpst command line asks for, and in which order it is done (spec chpst.md §2–§4,
 * §7, §9; runit src/chpst.c): the personalities, usage texts, option parsing with runit's
 * getopt, numeric arguments, the resource limits, and the fixed plan of steps. Pure.
 *
 * One module on purpose: chpst's start-up budget pays ~0.25 ms per module loaded.
 */

import { getoptEach, type ParsedOption, scanUlongWrapping } from "../getopt.ts";
import { UsageError } from "../sys_error.ts";

// ---- Fatal errors ----

/*
 * A chpst failure that ends the program: `chpst: fatal: TEXT[: ERR]` and exit 111
 * (spec chpst.md §10). Thrown by lib/chpst code, printed by cmd/chpst.ts.
 */

/** runit's fatal message text and the error whose errno text ends it (if any). */
export class FatalError extends Error {
  override name = "FatalError";
  /** The underlying system error; undefined for messages without an errno text. */
  readonly reason: unknown;
  /** true when the error carries an errno text (runit's `fatal`, not `fatalx`). */
  readonly hasReason: boolean;

  constructor(text: string, ...reason: unknown[]) {
    super(text);
    this.hasReason = reason.length > 0;
    this.reason = reason[0];
  }
}

// ---- Numbers ----

/*
 * chpst's numeric arguments (spec chpst.md §4), parsed as runit's C does: `scan_ulong`
 * into an unsigned long that wraps modulo 2^64, then stored in a signed long (limits) or
 * an int (nice). The wrap is observable and kept: `-o 18446744073709551617` is 1, and a
 * value from 2^63 to 2^64-2 is a negative long that chpst's `limit >= -1` test skips, so
 * the limit is left alone (observed with Debian's chpst).
 */

/** The value of a whole decimal string modulo 2^64 (empty is 0), or undefined if not all digits. */
export function scanUlong64(text: string): bigint | undefined {
  const { value, digits } = scanUlongWrapping(text);
  return digits === text.length ? value : undefined;
}

/**
 * A limit argument (`-m -d -o -p -f -c -r -t`) as chpst stores it: a signed 64-bit
 * value, -1 meaning "the hard limit". `allowEquals` is softlimit's `=` (also -1).
 * Throws UsageError on anything but digits.
 *
 * @example
 * ```ts
 * import { parseLimit } from "./request.ts";
 * parseLimit("100", false); // 100n
 * parseLimit("=", true); // -1n
 * ```
 */
export function parseLimit(text: string, allowEquals: boolean): bigint {
  if (allowEquals && text === "=") return -1n;
  const value = scanUlong64(text);
  if (value === undefined) throw new UsageError("");
  return BigInt.asIntN(64, value);
}

/**
 * `-n INC`: an optional `-` (negative) or `+`, then digits (empty is 0); the result is
 * an int, as in chpst.c. Throws UsageError otherwise.
 *
 * @example
 * ```ts
 * import { parseNice } from "./request.ts";
 * parseNice("-3"); // -3
 * parseNice("+2"); // 2
 * ```
 */
export function parseNice(text: string): number {
  const negative = text.startsWith("-");
  const digits = negative || text.startsWith("+") ? text.slice(1) : text;
  const value = scanUlong64(digits);
  if (value === undefined) throw new UsageError("");
  const level = Number(BigInt.asIntN(32, value));
  return negative ? Number(BigInt.asIntN(32, BigInt(-level))) : level;
}

/**
 * The soft limit chpst sets for a stored limit `value`, given the hard limit `max`
 * (unsigned; RLIM_INFINITY is 2^64-1), or undefined when chpst leaves it alone
 * (value below -1). -1 and anything above the hard limit give the hard limit.
 *
 * @example
 * ```ts
 * import { softLimitFor } from "./request.ts";
 * softLimitFor(100n, 20000n); // 100n
 * softLimitFor(99999999n, 20000n); // 20000n
 * ```
 */
export function softLimitFor(value: bigint, max: bigint): bigint | undefined {
  if (value < -1n) return undefined;
  if (value < 0n || value > max) return max;
  return value;
}

// ---- Limits ----

/*
 * The resource limits chpst and softlimit set, in the order chpst.c's `slimit()` applies
 * them (spec chpst.md §7 step 10), with Linux's RLIMIT_* numbers.
 */

/** A limit chpst knows, by runit's variable name. */
export type LimitName =
  | "data"
  | "stack"
  | "memlock"
  | "as"
  | "nofile"
  | "nproc"
  | "fsize"
  | "core"
  | "rss"
  | "cpu";

/** Linux RLIMIT_* values (x86_64 and the generic table). */
export const RLIMIT: Readonly<Record<LimitName, number>> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
};

/** slimit()'s order: data, stack, locked memory, address space, files, processes, … */
export const LIMIT_ORDER: readonly LimitName[] = [
  "data",
  "stack",
  "memlock",
  "as",
  "nofile",
  "nproc",
  "fsize",
  "core",
  "rss",
  "cpu",
];

/** `-m`: one value for data, stack, locked memory and address space. */
export const MEMORY_LIMITS: readonly LimitName[] = ["data", "stack", "memlock", "as"];

// ---- Options ----

/*
 * Command lines of chpst and its personalities (spec chpst.md §2, §3, §9), parsed into
 * one {@linkcode ChpstRequest} as runit's chpst.c does: getopt with runit's rules, the
 * last value of an option wins, a second `-l`/`-L` is a usage error; the personalities
 * take positional arguments (setlock and softlimit have their own options).
 */

/** The personalities chpst can take (spec chpst.md §2), by program name. */
const PERSONALITIES = [
  "envdir",
  "envuidgid",
  "pgrphack",
  "setuidgid",
  "setlock",
  "softlimit",
] as const;

/** chpst's name for itself and the personalities it can take. */
export type Personality = "chpst" | typeof PERSONALITIES[number];

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
  // A list, not USAGE_ARGS's keys: chpst's quick entry needs the names, not the texts.
  const personality: Personality = (PERSONALITIES as readonly string[]).includes(prog)
    ? prog as Personality
    : "chpst";
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

// ---- Plan ----

/*
 * chpst's fixed order of operations (spec chpst.md §7; runit chpst.c `main()`), whatever
 * order the options came in: setsid, env dir, chroot, chdir, nice, -U, -u, lock, closing
 * stdio, limits, exec. Pure: cmd/chpst.ts carries the steps out.
 */

/** One thing chpst does to its process, in order. */
export type Step =
  | { op: "setsid" }
  | { op: "envdir"; dir: string; strict: boolean; verbose: boolean }
  | { op: "chroot"; root: string }
  | { op: "chdir"; dir: string }
  | { op: "nice"; increment: number }
  | { op: "envuser"; spec: string; extended: boolean }
  | { op: "setuser"; spec: string; extended: boolean }
  | { op: "lock"; file: string; wait: boolean; quiet: boolean }
  | { op: "close"; fd: 0 | 1 | 2 }
  | { op: "limit"; name: LimitName; value: bigint }
  | { op: "exec"; file: string; argv: string[]; quiet: boolean };

/**
 * The steps a request asks for, in runit's order.
 *
 * @example
 * ```ts
 * import { planSteps } from "./request.ts";
 * import { parseChpst } from "./request.ts";
 * planSteps(parseChpst(["-u", "nobody", "-e", "env", "true"], "chpst")).map((s) => s.op);
 * // ["envdir", "setuser", "exec"]
 * ```
 */
export function planSteps(request: ChpstRequest): Step[] {
  const steps: Step[] = [];
  if (request.newSession) steps.push({ op: "setsid" });
  if (request.envDir !== undefined) {
    steps.push({
      op: "envdir",
      dir: request.envDir,
      strict: request.envDirStrict,
      verbose: request.verbose,
    });
  }
  if (request.root !== undefined) steps.push({ op: "chroot", root: request.root });
  if (request.chdir !== undefined) steps.push({ op: "chdir", dir: request.chdir });
  if (request.nice !== 0) steps.push({ op: "nice", increment: request.nice });
  const extended = request.userSpecExtended;
  if (request.envUser !== undefined) steps.push({ op: "envuser", spec: request.envUser, extended });
  if (request.setUser !== undefined) steps.push({ op: "setuser", spec: request.setUser, extended });
  if (request.lock !== undefined) {
    steps.push({ op: "lock", ...request.lock, quiet: request.quiet });
  }
  if (request.closeStdin) steps.push({ op: "close", fd: 0 });
  if (request.closeStdout) steps.push({ op: "close", fd: 1 });
  if (request.closeStderr) steps.push({ op: "close", fd: 2 });
  for (const name of LIMIT_ORDER) {
    const value = request.limits[name];
    if (value !== undefined) steps.push({ op: "limit", name, value });
  }
  const argv = [...request.argv];
  const file = argv[0]!;
  if (request.argv0 !== undefined) argv[0] = request.argv0;
  steps.push({ op: "exec", file, argv, quiet: request.quiet });
  return steps;
}

/** The steps of the quick entry's shape: an env dir, then the program. */
export type QuickSteps = [Extract<Step, { op: "envdir" }>, Extract<Step, { op: "exec" }>];

/**
 * The steps for the one shape chpst's quick entry carries out (lib/chpst/quick.ts):
 * `chpst -e DIR PROG...` and `envdir DIR PROG...`, the two forms run scripts use most.
 * They equal what {@linkcode parseChpst} or {@linkcode parsePersonality} and then
 * {@linkcode planSteps} give; undefined for any other command line (other options, other
 * personalities, usage errors), which the full chpst handles. `name` is argv[0]'s base
 * name, as for {@linkcode personalityOf}.
 *
 * @example
 * ```ts
 * import { quickSteps } from "./request.ts";
 * quickSteps(["-e", "env", "true"], "chpst")?.map((s) => s.op); // ["envdir", "exec"]
 * quickSteps(["-v", "-e", "env", "true"], "chpst"); // undefined
 * ```
 */
export function quickSteps(args: readonly string[], name: string): QuickSteps | undefined {
  const { personality } = personalityOf(name);
  let dir: string;
  let argv: string[];
  if (personality === "chpst") {
    // getopt takes DIR whatever it holds, and stops at PROG unless it looks like an option.
    if (args.length < 3 || args[0] !== "-e" || args[2]!.startsWith("-")) return undefined;
    dir = args[1]!;
    argv = args.slice(2);
  } else if (personality === "envdir") {
    if (args.length < 2) return undefined;
    dir = args[0]!;
    argv = args.slice(1);
  } else {
    return undefined;
  }
  const strict = personality === "envdir";
  return [
    { op: "envdir", dir, strict, verbose: false },
    { op: "exec", file: argv[0]!, argv, quiet: false },
  ];
}
