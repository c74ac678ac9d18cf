/**
 * runit-init when it is not process 1 (spec runit.md §3, §7 cases 19-22): each case runs
 * in a pid + mount namespace whose process 1 is a shell trapping SIGCONT, with a private
 * /run, and side by side with Debian's /lib/runit/runit-init where it is installed.
 */

import { assertEquals } from "../_assert.ts";
import { bin, exists, run, runApplet } from "../_helpers.ts";
import { PID_NAMESPACE } from "./_ns.ts";

const DEBIAN_INIT = "/lib/runit/runit-init";

/**
 * Runs `script` as process 1 of a namespace, with $INIT the runit-init to test. The
 * shell prints `CONT` when it gets SIGCONT; `show` prints a flag file's mode and size.
 */
async function inNamespace(init: string, script: string): Promise<string> {
  const prelude = [
    "mount -t tmpfs tmpfs /run",
    "trap 'echo CONT' CONT",
    'show() { if [ -e "$1" ]; then stat -c \'%n %a %s\' "$1"; else echo "$1 missing"; fi; }',
  ].join("\n");
  const result = await run("unshare", [
    ...PID_NAMESPACE,
    "sh",
    "-c",
    `${prelude}\n${script}\n`,
    "sh",
    init,
  ]);
  // Debian's usage line names its own path; ours the launcher's.
  return `code ${result.code}\n${result.stdout}${result.stderr}`.replaceAll(init, "INIT");
}

const CASES: Record<string, string> = {
  "init 0: stopit 0100 and empty, an existing reboot becomes 0, SIGCONT to process 1": `
echo junk >/run/runit.stopit; : >/run/runit.reboot; chmod 100 /run/runit.reboot
"$1" 0; echo "exit $?"; sleep 0.1
show /run/runit.stopit; show /run/runit.reboot`,
  "init 0 without a reboot file; init 6 sets both": `
"$1" 0xyz; echo "exit $?"; show /run/runit.reboot
"$1" 61; echo "exit $?"; sleep 0.1
show /run/runit.stopit; show /run/runit.reboot`,
  "stopit that cannot be created: fatal, 111, no SIGCONT": `
mkdir /run/runit.stopit; "$1" 0 2>&1; echo "exit $?"`,
  "reboot that cannot be created: fatal, 111 after stopit is set": `
mkdir /run/runit.reboot; "$1" 6 2>&1; echo "exit $?"; show /run/runit.stopit`,
  "usage: no argument, 5, empty, -V": `
"$1" 2>&1; echo "exit $?"; "$1" 5 2>&1; echo "exit $?"; "$1" "" 2>&1; echo "exit $?"
"$1" -V 2>&1 | sed 's/^\\$Id: .*\\$$/ID/'; show /run/runit.stopit`,
};

for (const [name, script] of Object.entries(CASES)) {
  Deno.test(`runit-init ${name}`, async () => {
    const ours = await inNamespace(await bin("init"), script);
    if (exists(DEBIAN_INIT)) {
      assertEquals(ours, await inNamespace(DEBIAN_INIT, script));
    } else {
      assertEquals(ours.startsWith("code 0\n"), true, ours);
    }
  });
}

Deno.test("runit-init as `runit-init` prints its usage with argv[0]", async () => {
  const launcher = await bin("runit-init");
  const result = await runApplet("runit-init", ["x"]);
  assertEquals([result.code, result.stdout, result.stderr], [
    0,
    "",
    `usage: ${launcher} 0|6\n\n`,
  ]);
});
