import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { UsageError } from "../sys_error.ts";
import { parseSvlogdArgs, VersionRequest } from "./options.ts";

const parse = (...args: string[]): ReturnType<typeof parseSvlogdArgs> =>
  parseSvlogdArgs(args, "svlogd");

Deno.test("parseSvlogdArgs() counts -t up to 3", () => {
  assertEquals(parse("-t", "d").stamp, 1);
  assertEquals(parse("-tt", "d").stamp, 2);
  assertEquals(parse("-ttt", "d").stamp, 3);
  assertEquals(parse("-tttt", "d").stamp, 3);
  assertEquals(parse("-ttv", "d").verbose, true);
});

Deno.test("parseSvlogdArgs() rejects what runit rejects", () => {
  assertThrows(() => parse(), UsageError);
  assertThrows(() => parse("-r", "ab", "d"), UsageError);
  assertThrows(() => parse("-r", "", "d"), UsageError);
  assertThrows(() => parse("-l", "5", "-b", "5", "d"), UsageError);
  assertThrows(() => parse("-l", "1024", "d"), UsageError);
  assertEquals(
    assertThrows(() => parse("-x", "d"), UsageError).message,
    "svlogd: illegal option -- x",
  );
  assertEquals(
    assertThrows(() => parse("-l"), UsageError).message,
    "svlogd: option requires an argument -- l",
  );
  assertThrows(() => parse("-V", "d"), VersionRequest);
});

Deno.test("parseSvlogdArgs() reads -l/-b as decimal prefixes, 0 meaning the default", () => {
  assertEquals(parse("-l", "5", "-b", "6", "d").lineMax, 5);
  assertEquals(parse("-l", "abc", "d").lineMax, 1000);
  assertEquals(parse("-b0", "d").bufferSize, 1024);
  assertEquals(parse("-l", "2000", "-b", "4000", "d").lineMax, 2000);
});

Deno.test("parseSvlogdArgs() replacement: -r sets the byte, -R defaults it to _", () => {
  assertEquals(parse("d").replaceWith, undefined);
  assertEquals(parse("-r", ".", "d").replaceWith, 0x2e);
  assertEquals(parse("-R", "o", "d").replaceWith, 0x5f);
  assertEquals(parse("-R", "o", "-r", "X", "d").replaceWith, 0x58);
  assertEquals(parse("-r", "X", "-R", "o", "d").replaceWith, 0x58);
  assertEquals([...parse("-R", "ab", "d").replaceBytes], [0x61, 0x62]);
});

Deno.test("parseSvlogdArgs() keeps operands as given, stopping at the first one", () => {
  assertEquals(parse("-t", "a", "-v", "b").dirs, ["a", "-v", "b"]);
  assertEquals(parse("--", "-x").dirs, ["-x"]);
});

Deno.test("parseSvlogdArgs() acts on each option where it stands, as runit's getopt loop", () => {
  assertThrows(() => parse("-V", "-h", "d"), VersionRequest);
  const badR = assertThrows(() => parse("-r", "", "-h", "d"), UsageError);
  assertEquals(badR.message, "");
  const illegal = assertThrows(() => parse("-h", "-V", "d"), UsageError);
  assertEquals(illegal.message, "svlogd: illegal option -- h");
});

Deno.test("parseSvlogdArgs() computes -l and -b as unsigned longs, modulo 2^64", () => {
  assertEquals(parse("-l", "18446744073709551616", "d").lineMax, 1000);
  assertThrows(() => parse("-b", "18446744073709551617", "d"), UsageError);
  assertEquals(parse("-b", "1000000000000", "d").bufferSize, 1e12);
});

Deno.test("parseSvlogdArgs() takes -r as one byte, also one that is not UTF-8", () => {
  // lib/escaped_text.ts's form of the byte 0xff, as takeExactArguments() gives it.
  assertEquals(parse("-r", "\udcff", "d").replaceWith, 0xff);
  assertEquals(Array.from(parse("-R", "a\udcfe", "d").replaceBytes), [0x61, 0xfe]);
});
