/**
 * chpst's fixed order of operations (spec chpst.md §7; runit chpst.c `main()`), whatever
 * order the options came in: setsid, env dir, chroot, chdir, nice, -U, -u, lock, closing
 * stdio, limits, exec. Pure: cmd/chpst.ts carries the steps out.
 */

import type { ChpstRequest } from "./options.ts";
import { LIMIT_ORDER, type LimitName } from "./limits.ts";

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
 * import { planSteps } from "./plan.ts";
 * import { parseChpst } from "./options.ts";
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
