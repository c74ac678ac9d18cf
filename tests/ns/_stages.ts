/** Stage scripts and helpers shared by the runit namespace tests. */

import { assertEquals } from "../_assert.ts";
import { bin } from "../_helpers.ts";
import { boot, ended, type Machine, runitLines } from "./_ns.ts";

const STAGE_1 = `#!/bin/sh
set -- $(cut -d' ' -f5,6 /proc/$$/stat)
echo "stage 1: pgrp=$1 sid=$2 ign=$(sed -n 's/^SigIgn:\\t//p' /proc/$$/status)"
test -t 0 || [ -p /dev/stdin ] && echo "stage 1: fd 0 is the console"
`;
const STAGE_2 = `#!/bin/sh
set -- $(cut -d' ' -f5,6 /proc/$$/stat)
echo "stage 2: pid=$$ pgrp=$1 sid=$2 ign=$(sed -n 's/^SigIgn:\\t//p' /proc/$$/status)"
exec sleep 1000
`;
const STAGE_3 = `#!/bin/sh
echo "stage 3: stopit=$(stat -c %a /run/runit.stopit)"
`;
/** Stages that report their session, group and ignored signals; stage 2 sleeps. */
export const STAGES = { "1!": STAGE_1, "2!": STAGE_2, "3!": STAGE_3 };

/** Signals 1-31 in a SigIgn mask (glibc's posix_spawn leaves its own 32 and 33 ignored). */
export function classicIgnored(hexMask: string): number {
  return Number(BigInt("0x" + hexMask) & 0x7fffffffn);
}

const initPath = (): Promise<string> => bin("init");

/** Asks the machine to halt or reboot the way an admin does: `init 0` / `init 6` inside. */
export async function request(machine: Machine, arg: "0" | "6"): Promise<void> {
  const result = await machine.exec([await initPath(), arg]);
  // init runs inside the namespace: when runit is quick, the final TERM or KILL to all
  // processes can reach it before it has exited (143, 137); its work is done by then.
  assertEquals(
    [[0, 137, 143].includes(result.code), result.stderr],
    [true, ""],
    `init ${arg}: ${result.code}`,
  );
}

/** The console lines with the version tag removed, for comparison with Debian's. */
export function comparable(text: string): string[] {
  return runitLines(text).map((line) =>
    line.replace(/^- runit: \$Id: [^$]*\$: booting\.$/, "- runit: VERSION: booting.")
  );
}

/** runit's console for a boot ended by init 0 with nothing unusual. */
export const HALT_LINES = [
  "- runit: VERSION: booting.",
  "- runit: enter stage: /etc/runit/1",
  "- runit: leave stage: /etc/runit/1",
  "- runit: enter stage: /etc/runit/2",
  "- runit: leave stage: /etc/runit/2",
  "- runit: enter stage: /etc/runit/3",
  "- runit: leave stage: /etc/runit/3",
  "- runit: sending KILL signal to all processes...",
  "- runit: power off...",
];

/** Boots the same /etc/runit under Debian's runit and ours; returns both consoles. */
export async function sideBySide(
  files: Record<string, string | null>,
  drive: (machine: Machine) => Promise<void>,
): Promise<{ ours: string; debian: string | undefined; ourStatus: Deno.CommandStatus }> {
  const runOne = async (command?: string) => {
    await using machine = await boot(files, command === undefined ? {} : { command });
    await drive(machine);
    const status = await ended(machine);
    await machine.waitConsole(/power off\.\.\.|system reboot\./);
    return { text: machine.console(), status };
  };
  let debian: string | undefined;
  try {
    Deno.statSync("/sbin/runit");
    debian = (await runOne("/sbin/runit")).text;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const ours = await runOne();
  return { ours: ours.text, debian, ourStatus: ours.status };
}
