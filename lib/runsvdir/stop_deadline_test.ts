import { assertEquals } from "../../tests/_assert.ts";
import { STOP_TIMEOUT_UNDER_C_RUNIT_MS, stopTimeoutUnder } from "./stop_deadline.ts";

const DENO = "/usr/lib/denit/deno";

Deno.test("stopTimeoutUnder: shortened only as the child of a foreign runit as process 1", () => {
  const c = { process1Name: "runit", process1Exe: "/sbin/runit", selfExe: DENO };
  assertEquals(stopTimeoutUnder({ parentPid: 1, ...c }), STOP_TIMEOUT_UNDER_C_RUNIT_MS);
  // Unreadable /proc/1/exe (no /proc, or not allowed): assume runit's 5 s.
  assertEquals(
    stopTimeoutUnder({ parentPid: 1, ...c, process1Exe: undefined }),
    STOP_TIMEOUT_UNDER_C_RUNIT_MS,
  );
  // Not process 1's child (started by a shell, a runsvchdir setup, a test).
  assertEquals(stopTimeoutUnder({ parentPid: 812, ...c }), undefined);
  // denit's runit: the same binary, which waits for its runsvdir.
  assertEquals(stopTimeoutUnder({ parentPid: 1, ...c, process1Exe: DENO }), undefined);
  // systemd, busybox init, tini…: no 5 s deadline of runit's.
  for (const name of ["systemd", "init", "tini", undefined]) {
    assertEquals(stopTimeoutUnder({ parentPid: 1, ...c, process1Name: name }), undefined);
  }
});
