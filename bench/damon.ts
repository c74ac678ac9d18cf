/**
 * The kernel's data access monitor (DAMON), paused around one measurement.
 *
 * Why: DAMON's physical-address mode samples pages by clearing the accessed bit of every
 * page-table entry that maps them, twice a second on the VM these figures come from.
 * There the hypervisor shadows the guest's page tables (a PVM guest), and a process whose
 * entries were cleared while it slept pays for it when it next runs: ~13 µs per MB it has
 * resident, 1.3 ms for a C program holding 100 MB, 0.09 ms with DAMON off
 * (bench/results/startup-notes.md, 11-26 22:00). That is a tax on resident memory, which
 * a Deno supervisor (~30 MB) pays and C runsv (~1 MB) does not, on this machine only. The
 * benchmark measures with DAMON as the machine runs it, and again with it paused, so that
 * both the machine's figure and the supervisor's own are on record.
 */

const KDAMONDS = "/sys/kernel/mm/damon/admin/kdamonds";

/** The `state` files of the kdamonds that are on; none when DAMON is absent or idle. */
export function runningKdamonds(root = KDAMONDS): string[] {
  const running: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch {
    return running; // no DAMON sysfs interface: nothing to pause
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue; // nr_kdamonds sits beside the numbered dirs
    const state = `${root}/${entry.name}/state`;
    try {
      if (Deno.readTextFileSync(state).trim() === "on") running.push(state);
    } catch {
      // unreadable: not ours to pause
    }
  }
  return running.sort();
}

/**
 * Runs `measure` with every running kdamond turned off, and turns them on again after,
 * on an exception and on SIGINT or SIGTERM too (writing `on` starts a kdamond again with
 * the parameters left in sysfs). Resolves to undefined, without running `measure`, when
 * no kdamond is on or one cannot be turned off (not root).
 */
export async function withDamonPaused<T>(
  measure: () => Promise<T>,
  root = KDAMONDS,
): Promise<T | undefined> {
  const paused: string[] = [];
  const resume = () => {
    for (const state of paused.splice(0)) {
      try {
        Deno.writeTextFileSync(state, "on");
      } catch (error) {
        // deno-lint-ignore no-console
        console.error(`bench: could not turn DAMON on again (echo on > ${state}): ${error}`);
      }
    }
  };
  const onSignal = () => {
    resume();
    Deno.exit(130);
  };
  try {
    for (const state of runningKdamonds(root)) {
      Deno.writeTextFileSync(state, "off");
      paused.push(state);
    }
  } catch {
    resume();
    return undefined;
  }
  if (paused.length === 0) return undefined;
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await measure();
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    resume();
  }
}
