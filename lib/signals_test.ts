import { assertEquals } from "../tests/_assert.ts";
import { SIGNAL_OF } from "./supervise/control.ts";
import { signalNumber } from "./signals.ts";

Deno.test("signalNumber() knows every signal a supervisor sends, by Linux's numbers", () => {
  const sent = new Set<Deno.Signal>([...Object.values(SIGNAL_OF), "SIGTERM", "SIGCONT", "SIGKILL"]);
  const expected: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGUSR1: 10,
    SIGUSR2: 12,
    SIGALRM: 14,
    SIGTERM: 15,
    SIGCONT: 18,
    SIGSTOP: 19,
  };
  for (const name of sent) assertEquals(signalNumber(name), expected[name], name);
  assertEquals(signalNumber("SIGWINCH"), undefined); // not in the table: Deno.kill sends it
});
