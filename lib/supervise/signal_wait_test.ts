import { assertEquals } from "../../tests/_assert.ts";
import { blockedInEveryThread } from "./signal_wait.ts";

const status = (sigBlk: string) => `Name:\tdeno\nSigPnd:\t0000000000000000\nSigBlk:\t${sigBlk}\n`;
const CHLD_TERM = [17, 15];

Deno.test("blockedInEveryThread() needs each signal's bit in every thread's SigBlk", () => {
  // Bit n-1 for signal n: TERM 0x4000, CHLD 0x10000, as the launcher blocks them.
  assertEquals(blockedInEveryThread([status("0000000000014000")], CHLD_TERM), true);
  assertEquals(
    blockedInEveryThread([status("0000000000014000"), status("fffffffe7ffbfeff")], CHLD_TERM),
    true,
  );
  assertEquals(
    blockedInEveryThread([status("0000000000014000"), status("0000000000010000")], CHLD_TERM),
    false,
  );
  assertEquals(blockedInEveryThread([status("0000000000004000")], CHLD_TERM), false);
  assertEquals(blockedInEveryThread([status("0000000000000000")], CHLD_TERM), false);
});

Deno.test("blockedInEveryThread() is false without threads or without a SigBlk line", () => {
  assertEquals(blockedInEveryThread([], CHLD_TERM), false);
  assertEquals(blockedInEveryThread(["Name:\tdeno\n"], CHLD_TERM), false);
});
