/**
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
