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
