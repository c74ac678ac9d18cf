import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { getopt, scanUlong } from "./getopt.ts";
import { UsageError } from "./sys_error.ts";

Deno.test("getopt() clusters flags and takes attached or separate arguments", () => {
  assertEquals(getopt(["-vw3", "up", "x"], "vw:", "sv"), {
    options: [{ letter: "v", value: undefined }, { letter: "w", value: "3" }],
    operands: ["up", "x"],
  });
  assertEquals(getopt(["-w", "-5", "x"], "vw:", "sv").options, [{ letter: "w", value: "-5" }]);
  assertEquals(getopt(["-w", "", "x"], "vw:", "sv").options, [{ letter: "w", value: "" }]);
});

Deno.test("getopt() stops at the first operand, keeps a lone -, consumes --", () => {
  assertEquals(getopt(["prog", "-v"], "v", "chpst").operands, ["prog", "-v"]);
  assertEquals(getopt(["-v", "-", "x"], "v", "chpst").operands, ["-", "x"]);
  assertEquals(getopt(["-v", "--", "-x"], "v", "chpst").operands, ["-x"]);
});

Deno.test("getopt() reports runit's error lines", () => {
  assertEquals(
    assertThrows(() => getopt(["-x"], "v", "sv"), UsageError).message,
    "sv: illegal option -- x",
  );
  assertEquals(
    assertThrows(() => getopt(["-w"], "vw:", "sv"), UsageError).message,
    "sv: option requires an argument -- w",
  );
});

Deno.test("scanUlong() reads the longest decimal prefix", () => {
  assertEquals(scanUlong("12abc"), 12);
  assertEquals(scanUlong("abc"), 0);
  assertEquals(scanUlong(""), 0);
});

Deno.test("getopt() ends the options at any word starting with --, as runit's sgetopt", () => {
  // Debian's chpst --foo echo hi prints hi; sv --foo status x reads status as the command.
  assertEquals(getopt(["-v", "--foo", "-x"], "v", "chpst").operands, ["-x"]);
  assertEquals(getopt(["--help"], "v", "chpst").operands, []);
});

Deno.test("getopt() reports an illegal letter by its first byte, as C does", () => {
  // `-é` is 0xc3 0xa9: runit prints 0xc3, here as the byte's escaped form.
  assertEquals(
    assertThrows(() => getopt(["-é"], "v", "chpst"), UsageError).message,
    "chpst: illegal option -- \udcc3",
  );
  assertEquals(
    assertThrows(() => getopt(["-\udcff"], "v", "chpst"), UsageError).message,
    "chpst: illegal option -- \udcff",
  );
});
