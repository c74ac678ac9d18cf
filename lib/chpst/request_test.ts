import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import {
  ChpstUsageError,
  parseChpst,
  parseLimit,
  parseNice,
  parsePersonality,
  personalityOf,
  planSteps,
  quickSteps,
  scanUlong64,
  softLimitFor,
} from "./request.ts";
import { UsageError } from "../sys_error.ts";

Deno.test("parseLimit() takes digits only, empty as 0, and wraps like an unsigned long", () => {
  assertEquals(parseLimit("100", false), 100n);
  assertEquals(parseLimit("", false), 0n);
  assertEquals(parseLimit("18446744073709551617", false), 1n);
  assertEquals(parseLimit("18446744073709551615", false), -1n);
  assertEquals(parseLimit("9223372036854775808", false), -(1n << 63n));
  for (const bad of ["abc", "-1", "1k", "=", " 1"]) {
    assertThrows(() => parseLimit(bad, false), UsageError);
  }
});

Deno.test("parseLimit() accepts softlimit's = as the hard limit", () => {
  assertEquals(parseLimit("=", true), -1n);
  assertThrows(() => parseLimit("==", true), UsageError);
});

Deno.test("softLimitFor() clamps to the hard limit and skips values below -1", () => {
  assertEquals(softLimitFor(100n, 20000n), 100n);
  assertEquals(softLimitFor(99999999n, 20000n), 20000n);
  assertEquals(softLimitFor(-1n, 20000n), 20000n);
  assertEquals(softLimitFor(-2n, 20000n), undefined);
  assertEquals(softLimitFor(-(1n << 63n), 20000n), undefined);
  assertEquals(softLimitFor(5n, (1n << 64n) - 1n), 5n);
});

Deno.test("parseNice() handles -, + and empty", () => {
  assertEquals(parseNice("5"), 5);
  assertEquals(parseNice("+2"), 2);
  assertEquals(parseNice("-3"), -3);
  assertEquals(parseNice(""), 0);
  assertEquals(parseNice("-"), 0);
  for (const bad of ["x", "--3", "+-1", "1.5"]) assertThrows(() => parseNice(bad), UsageError);
});

Deno.test("scanUlong64() rejects non-digits", () => {
  assertEquals(scanUlong64("12a"), undefined);
  assertEquals(scanUlong64("007"), 7n);
});

Deno.test("personalityOf() strips one leading d and knows the personalities", () => {
  assertEquals(personalityOf("envdir"), { prog: "envdir", personality: "envdir" });
  assertEquals(personalityOf("/x/denvdir"), { prog: "envdir", personality: "envdir" });
  assertEquals(personalityOf("dfoo"), { prog: "foo", personality: "chpst" });
  assertEquals(personalityOf("chpst"), { prog: "chpst", personality: "chpst" });
  assertEquals(personalityOf("ddenvdir"), { prog: "denvdir", personality: "chpst" });
  // Names an object has from its prototype are no personalities.
  assertEquals(personalityOf("toString").personality, "chpst");
  assertEquals(personalityOf("dconstructor").personality, "chpst");
});

Deno.test("parseChpst() takes bundled flags, attached and separate values, last wins", () => {
  const r = parseChpst(
    ["-vP0", "-unobody", "-u", "daemon", "-n-3", "-o", "5", "-o7", "x", "-v"],
    "chpst",
  );
  assertEquals(r.verbose && r.newSession && r.closeStdin, true);
  assertEquals(r.setUser, "daemon");
  assertEquals(r.nice, -3);
  assertEquals(r.limits.nofile, 7n);
  assertEquals(r.argv, ["x", "-v"]);
});

Deno.test("parseChpst(): -m sets four limits, a later -d overrides data", () => {
  const r = parseChpst(["-m", "100", "-d", "50", "true"], "chpst");
  assertEquals(r.limits, { data: 50n, stack: 100n, memlock: 100n, as: 100n });
});

Deno.test("parseChpst() usage errors", () => {
  const usage = (args: string[]): string =>
    assertThrows(() => parseChpst(args, "chpst"), ChpstUsageError).message;
  assertEquals(usage([]), "");
  assertEquals(usage(["-v"]), "");
  assertEquals(usage(["-u"]), "chpst: option requires an argument -- u");
  assertEquals(usage(["-z", "true"]), "chpst: illegal option -- z");
  assertEquals(usage(["-l", "a", "-L", "b", "true"]), "");
  assertEquals(usage(["-o", "abc", "true"]), "");
  assertEquals(usage(["-n", "x", "true"]), "");
  assertEquals(usage(["-V", "true"]), "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $");
});

Deno.test("parseChpst(): -- ends options, a lone - is the program", () => {
  assertEquals(parseChpst(["--", "-x"], "chpst").argv, ["-x"]);
  assertEquals(parseChpst(["-", "x"], "chpst").argv, ["-", "x"]);
});

Deno.test("setlock: waiting only with -n, -x quiet, last of each pair wins", () => {
  assertEquals(parsePersonality("setlock", ["lk", "cmd"], "setlock").lock, {
    file: "lk",
    wait: false,
  });
  assertEquals(parsePersonality("setlock", ["-nN", "lk", "cmd"], "setlock").lock?.wait, false);
  const r = parsePersonality("setlock", ["-Nn", "-Xx", "lk", "cmd", "a"], "setlock");
  assertEquals([r.lock?.wait, r.quiet, r.argv], [true, true, ["cmd", "a"]]);
  const err = assertThrows(() => parsePersonality("setlock", ["-z"], "dsetlock"), ChpstUsageError);
  assertEquals([err.message, err.usage], ["dsetlock: illegal option -- z", "setlock"]);
  assertThrows(() => parsePersonality("setlock", ["lk"], "setlock"), ChpstUsageError);
});

Deno.test("softlimit: = means the hard limit, a bad number prints chpst's usage", () => {
  const r = parsePersonality("softlimit", ["-o", "=", "-m", "5", "-a", "6", "x"], "softlimit");
  assertEquals(r.limits, { nofile: -1n, data: 5n, stack: 5n, memlock: 5n, as: 6n });
  const bad = assertThrows(
    () => parsePersonality("softlimit", ["-m", "abc", "x"], "softlimit"),
    ChpstUsageError,
  );
  assertEquals(bad.usage, "chpst");
  const unknown = assertThrows(
    () => parsePersonality("softlimit", ["-z", "1"], "softlimit"),
    ChpstUsageError,
  );
  assertEquals([unknown.message, unknown.usage], ["softlimit: illegal option -- z", "softlimit"]);
});

Deno.test("positional personalities take no options", () => {
  assertEquals(parsePersonality("setuidgid", ["-u", "x"], "setuidgid").setUser, "-u");
  assertEquals(parsePersonality("envdir", ["d", "p", "a"], "envdir").argv, ["p", "a"]);
  assertThrows(() => parsePersonality("envuidgid", ["nobody"], "envuidgid"), ChpstUsageError);
  assertThrows(() => parsePersonality("pgrphack", [], "pgrphack"), ChpstUsageError);
});

Deno.test("planSteps() puts the steps in runit's order whatever the option order", () => {
  const r = parseChpst(
    [
      "-o",
      "5",
      "-2",
      "-L",
      "lk",
      "-u",
      "nobody",
      "-U",
      "daemon",
      "-n",
      "3",
      "-C",
      "sub",
      "-/",
      "root",
      "-e",
      "env",
      "-P",
      "-b",
      "name",
      "prog",
      "arg",
    ],
    "chpst",
  );
  assertEquals(planSteps(r).map((s) => s.op), [
    "setsid",
    "envdir",
    "chroot",
    "chdir",
    "nice",
    "envuser",
    "setuser",
    "lock",
    "close",
    "limit",
    "exec",
  ]);
  assertEquals(planSteps(r).at(-1), {
    op: "exec",
    file: "prog",
    argv: ["name", "arg"],
    quiet: false,
  });
});

Deno.test("planSteps() applies limits in slimit()'s order", () => {
  const r = parseChpst([
    "-t",
    "1",
    "-r",
    "2",
    "-c",
    "3",
    "-f",
    "4",
    "-p",
    "5",
    "-o",
    "6",
    "-m",
    "7",
    "x",
  ], "chpst");
  assertEquals(
    planSteps(r).flatMap((s) => s.op === "limit" ? [s.name] : []),
    ["data", "stack", "memlock", "as", "nofile", "nproc", "fsize", "core", "rss", "cpu"],
  );
});

Deno.test("options take effect in order: an earlier bad value wins over a later illegal option", () => {
  const first = (args: string[]): ChpstUsageError =>
    assertThrows(() => parseChpst(args, "chpst"), ChpstUsageError);
  assertEquals(first(["-o", "abc", "-z", "true"]).message, "");
  assertEquals(first(["-z", "-o", "abc", "true"]).message, "chpst: illegal option -- z");
  assertEquals(first(["-V", "-z"]).message, "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $");
  assertEquals(first(["-l", "a", "-l", "b", "-z"]).message, "");
  const soft = assertThrows(
    () => parsePersonality("softlimit", ["-m", "x", "-z"], "softlimit"),
    ChpstUsageError,
  );
  assertEquals([soft.message, soft.usage], ["", "chpst"]);
});

Deno.test("quickSteps() is planSteps() for every command line it takes, and takes the two forms", () => {
  const words = ["-e", "env", "true", "-v", "--", "-", "", "-eenv", "-u", "x", "-P", "a b"];
  const names = ["chpst", "dchpst", "envdir", "denvdir", "setlock", "envuidgid", "other"];
  let taken = 0;
  const lines: string[][] = [[]];
  for (let length = 1; length <= 4; length++) {
    for (const line of lines.filter((l) => l.length === length - 1)) {
      for (const word of words) lines.push([...line, word]);
    }
  }
  for (const name of names) {
    const { personality } = personalityOf(name);
    for (const args of lines) {
      const quick = quickSteps(args, name);
      if (quick === undefined) continue;
      taken++;
      const request = personality === "chpst"
        ? parseChpst(args, name)
        : parsePersonality(personality, args, name);
      assertEquals(quick, planSteps(request), `${name} ${JSON.stringify(args)}`);
    }
  }
  assertEquals(quickSteps(["-e", "e", "p", "-v"], "chpst")?.[1].argv, ["p", "-v"]);
  assertEquals(quickSteps(["e", "-p"], "envdir")?.[0], {
    op: "envdir",
    dir: "e",
    strict: true,
    verbose: false,
  });
  assertEquals(quickSteps(["-e", "e", "--", "p"], "chpst"), undefined);
  assertEquals(quickSteps(["e", "p"], "setuidgid"), undefined);
  assertEquals(taken > 1000, true, `${taken} command lines taken`);
});
