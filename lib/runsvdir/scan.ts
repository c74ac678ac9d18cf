/**
 * runsvdir's scan decisions, pure (spec runsvdir.md "Scan"; runit src/runsvdir.c
 * runsvdir()): which service directories to start, keep and stop, given what the scan
 * directory holds now and which services are known.
 *
 * A service is its target directory's device and inode, not its name: renaming does not
 * restart it, two names for one directory give one supervisor (named after the first name
 * readdir returned), and a directory replaced under the same name is a new service.
 * Names starting with `.` are skipped (disabled in place); what is not a directory is
 * ignored; an entry that cannot be stat'ed gives a warning on every scan.
 */

/** runit's limit on the number of services of one runsvdir. */
export const MAX_SERVICES = 1000;

/** One directory entry of the scan directory, after stat(2) (following symlinks). */
export type ScanEntry =
  | { name: string; kind: "directory"; dev: number; ino: number }
  | { name: string; kind: "other" }
  | { name: string; kind: "error"; error: unknown };

/** What the host knows about a service it supervises. */
export interface KnownService {
  /** False when its supervisor has ended (or failed to start) and must be started again. */
  running: boolean;
}

/** What a scan asks the host to do. */
export interface ScanPlan {
  /** New services, in readdir order: start a supervisor for each. */
  add: { id: string; name: string }[];
  /** Known services whose supervisor ended: start it again. */
  restart: { id: string; name: string }[];
  /** Known services that are gone from the directory: stop and forget them. */
  remove: string[];
  /** Entries that could not be stat'ed (warn `unable to stat NAME`). */
  statErrors: { name: string; error: unknown }[];
  /** New directories over the limit (warn `unable to start runsv NAME: too many services.`). */
  tooMany: string[];
}

/** The identity of a service directory: `dev:ino` of its target. */
export function serviceId(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/**
 * Decides a scan. `complete` is false when readdir failed part way: then nothing is
 * removed (runit returns before its "gone" pass).
 *
 * @example
 * ```ts
 * const plan = planScan(new Map(), [{ name: "a", kind: "directory", dev: 1, ino: 2 }]);
 * // plan.add → [{ id: "1:2", name: "a" }]
 * ```
 */
export function planScan(
  known: ReadonlyMap<string, KnownService>,
  entries: readonly ScanEntry[],
  options: { complete?: boolean; maxServices?: number } = {},
): ScanPlan {
  const plan: ScanPlan = { add: [], restart: [], remove: [], statErrors: [], tooMany: [] };
  const max = options.maxServices ?? MAX_SERVICES;
  const seen = new Set<string>();
  let count = known.size;
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    if (entry.kind === "error") {
      plan.statErrors.push({ name: entry.name, error: entry.error });
      continue;
    }
    if (entry.kind !== "directory") continue;
    const id = serviceId(entry.dev, entry.ino);
    if (seen.has(id)) continue; // a second name for a directory already handled
    seen.add(id);
    const service = known.get(id);
    if (service !== undefined) {
      if (!service.running) plan.restart.push({ id, name: entry.name });
      continue;
    }
    if (count >= max) {
      plan.tooMany.push(entry.name);
      continue;
    }
    count++;
    plan.add.push({ id, name: entry.name });
  }
  if (options.complete ?? true) {
    for (const id of known.keys()) if (!seen.has(id)) plan.remove.push(id);
  }
  return plan;
}
