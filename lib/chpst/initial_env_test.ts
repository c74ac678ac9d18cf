import { assertEquals } from "../../tests/_assert.ts";
import { keptEnviron, lookupEnv, parseEnviron } from "./initial_env.ts";

Deno.test("parseEnviron() splits a NUL-terminated block", () => {
  assertEquals(parseEnviron(new TextEncoder().encode("A=1\0B=x=y\0\0")), ["A=1", "B=x=y"]);
  assertEquals(parseEnviron(new Uint8Array()), []);
});

Deno.test("keptEnviron() keeps initial values and order of variables still present", () => {
  const initial = ["PATH=", "DENIT_ARGV0=/bin/chpst", "HOME=/root"];
  const now = new Set(["PATH", "HOME", "DENO_NODE_SHIM_ACTIVE"]);
  assertEquals(keptEnviron(initial, (n) => now.has(n)), ["PATH=", "HOME=/root"]);
});

Deno.test("lookupEnv() finds a variable's value, empty included", () => {
  assertEquals(lookupEnv(["PATH=", "A=1"], "PATH"), "");
  assertEquals(lookupEnv(["PATHX=1"], "PATH"), undefined);
  assertEquals(lookupEnv(["A=1"], "PATH"), undefined);
});
