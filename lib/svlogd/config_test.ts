import { assertEquals } from "../../tests/_assert.ts";
import { defaultConfig, parseConfig } from "./config.ts";

const parse = (text: string): ReturnType<typeof parseConfig> =>
  parseConfig(new TextEncoder().encode(text));
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

Deno.test("parseConfig() of empty input gives the defaults", () => {
  assertEquals(parse("").config, defaultConfig());
  assertEquals(parse("").warnings, []);
});

Deno.test("parseConfig() reads sizes with k/m suffixes and ignores other suffixes", () => {
  assertEquals(parse("s1k\n").config.sizeMax, 1024);
  assertEquals(parse("s2m\n").config.sizeMax, 2 * 1048576);
  assertEquals(parse("s100x\n").config.sizeMax, 100);
  assertEquals(parse("s\n").config.sizeMax, 0);
  assertEquals(parse("s0").config.sizeMax, 0);
});

Deno.test("parseConfig() reads timeouts: m is minutes, h hours, anything else seconds", () => {
  assertEquals(parse("t5m\n").config.timeoutSeconds, 300);
  assertEquals(parse("t2h\n").config.timeoutSeconds, 7200);
  assertEquals(parse("t10s\n").config.timeoutSeconds, 10);
  assertEquals(parse("t1d\n").config.timeoutSeconds, 1);
});

Deno.test("parseConfig() keeps n, N, processor, prefix and patterns in order", () => {
  const { config } = parse("n3\nN1\n!gzip\npPFX: \n-*\n+*ok*\ne*err*\nE*x*\n# c\n\nzzz\n");
  assertEquals(config.nMax, 3);
  assertEquals(config.nMin, 1);
  assertEquals(config.processor, "gzip");
  assertEquals(text(config.prefix), "PFX: ");
  assertEquals(
    config.patterns.map((p) => p.kind + text(p.pattern)),
    ["-*", "+*ok*", "e*err*", "E*x*"],
  );
});

Deno.test("parseConfig() ignores a bare ! and a bare p, and later scalars win", () => {
  const { config } = parse("!\np\ns5\ns7\n");
  assertEquals(config.processor, undefined);
  assertEquals(config.prefix.length, 0);
  assertEquals(config.sizeMax, 7);
});

Deno.test("parseConfig() handles a final line without newline, except a 1-byte one", () => {
  assertEquals(parse("s5\nn4").config.nMax, 4);
  assertEquals(parse("s5\n-").config.patterns, []);
  assertEquals(parse("-*").config.patterns.length, 1);
});

Deno.test("parseConfig() reads UDP targets with runit's warnings", () => {
  assertEquals(parse("u127.0.0.1:15514\n").config.udp, { address: "127.0.0.1", port: 15514 });
  assertEquals(parse("u127.0.0.1x\n").config.udp, { address: "127.0.0.1", port: 514 });
  assertEquals(parse("u300.1.2.3\n").config.udp?.address, "44.1.2.3");
  const bogus = parse("Ubogus\n");
  assertEquals(bogus.warnings, ["unable to scan ip address: bogus"]);
  assertEquals(bogus.config.udp, undefined);
  assertEquals(bogus.config.udpOnly, true);
  const zero = parse("U127.0.0.1:0\n");
  assertEquals(zero.warnings, ["unable to scan port number: 0"]);
  assertEquals(zero.config.udpOnly, true);
  assertEquals(parse("u127.0.0.1:\n").warnings, ["unable to scan port number: "]);
});

Deno.test("parseConfig() never throws on random bytes", () => {
  for (let i = 0; i < 500; i++) parseConfig(crypto.getRandomValues(new Uint8Array(i)));
});

Deno.test("parseConfig() computes numbers as runit's unsigned longs; t through 32 bits", () => {
  assertEquals(parse("s18446744073709551617\n").config.sizeMax, 1);
  assertEquals(parse("n18446744073709551618\n").config.nMax, 2);
  assertEquals(parse("t4294967297\n").config.timeoutSeconds, 1);
  assertEquals(parse("t597h\n").config.timeoutSeconds, 597 * 3600);
});

Deno.test("parseConfig() reads a line as a C string; NUL in a pattern line starts another", () => {
  const bytes = (...parts: (string | number)[]) =>
    new Uint8Array(
      parts.flatMap((p) => typeof p === "number" ? [p] : [...new TextEncoder().encode(p)]),
    );
  assertEquals(text(parseConfig(bytes("pAB", 0, "CD\n")).config.prefix), "AB");
  assertEquals(parseConfig(bytes("!cat", 0, "x\n")).config.processor, "cat");
  const split = parseConfig(bytes("+x", 0, "-*\n-*\n+a", 0, "b\n")).config.patterns;
  assertEquals(split.map((p) => `${p.kind}${text(p.pattern)}`), ["+x", "-*", "-*", "+a"]);
});

Deno.test("parseConfig() u lines add up: a bad address or port keeps an earlier good line", () => {
  const bogus = parse("u127.0.0.1:5000\nubogus\n");
  assertEquals(bogus.config.udp, { address: "127.0.0.1", port: 5000 });
  assertEquals(bogus.warnings, ["unable to scan ip address: bogus"]);
  const badPort = parse("u127.0.0.1:5000\nu127.0.0.2:0\n");
  assertEquals(badPort.config.udp, { address: "127.0.0.2", port: 5000 });
  assertEquals(badPort.warnings, ["unable to scan port number: 0"]);
  // 65536 reads as a number, no warning, and is port 0 once truncated: UDP off.
  assertEquals(parse("u127.0.0.1:65536\n"), { config: defaultConfig(), warnings: [] });
  assertEquals(parse("u127.0.0.1:x\n").config.udp, undefined);
  assertEquals(parse("u1.2.3.4\n").config.udp, { address: "1.2.3.4", port: 514 });
});
