import { assertEquals } from "../../tests/_assert.ts";
import {
  applyEnvChanges,
  byteString,
  byteStringCstr,
  byteStringText,
  execCandidates,
  keptEnviron,
  lookupEnv,
  parseEnviron,
  parseSignalState,
  rawArguments,
  rememberErrno,
  searchContinues,
  searchResult,
  signalRestore,
  utf8ByteString,
} from "./inherit.ts";

Deno.test("parseSignalState() reads SigIgn and SigBlk from /proc/PID/status text", () => {
  const status = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000008000800\n" +
    "SigIgn:\t0000000001005003\nSigCgt:\t0000000100000440\n";
  assertEquals(parseSignalState(status), { ignored: 0x1005003n, blocked: 0x8000800n });
  assertEquals(parseSignalState(""), { ignored: 0n, blocked: 0n });
});

Deno.test("signalRestore() resets Deno's ignored SIGPIPE and keeps the caller's ignores", () => {
  const inherited = { ignored: 0x1006n, blocked: 0n }; // INT, QUIT, PIPE
  assertEquals(signalRestore(inherited, { ignored: 0x1006n, blocked: 0n }), {
    ignore: [],
    reset: [13],
    setMask: false,
  });
  // Deno replaced the ignored INT with a handler: it is ignored again.
  assertEquals(signalRestore(inherited, { ignored: 0x1004n, blocked: 0n }).ignore, [2]);
  assertEquals(signalRestore(inherited, { ignored: 0x1006n, blocked: 1n }).setMask, true);
});

Deno.test("signalRestore() handles signals above 32 (real-time ones, bit 63)", () => {
  const bit = (signal: number): bigint => 1n << BigInt(signal - 1);
  const inherited = { ignored: bit(34) | bit(40) | bit(64), blocked: 0n };
  const current = { ignored: bit(35) | bit(40) | bit(13), blocked: 0n };
  assertEquals(signalRestore(inherited, current), {
    ignore: [34, 64],
    reset: [13, 35],
    setMask: false,
  });
  // 32 (glibc's, never changed by it) is not touched; 33 (glibc catches it) is set back.
  assertEquals(signalRestore({ ignored: bit(32) | bit(33), blocked: 0n }, current).ignore, [33]);
});

Deno.test("signalRestore() without the current state sets every settable signal", () => {
  const all = signalRestore({ ignored: 0x2n, blocked: 0n }, undefined);
  assertEquals(all.ignore, [2]);
  assertEquals(all.reset.length, 64 - 3 - 1);
  assertEquals(all.reset.includes(9) || all.reset.includes(32), false);
  assertEquals(all.reset.includes(33), true);
  assertEquals(all.setMask, true);
});

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

Deno.test("applyEnvChanges() replaces like pathexec_env_run (last entry moves into the hole)", () => {
  assertEquals(
    applyEnvChanges(["A=1", "B=2", "C=3"], [{ name: "A", value: "x" }, {
      name: "B",
      value: undefined,
    }]),
    ["C=3", "A=x"],
  );
  assertEquals(applyEnvChanges(["A=1"], [{ name: "NEW", value: "" }]), ["A=1", "NEW="]);
  assertEquals(applyEnvChanges(["AB=1", "A=2"], [{ name: "A", value: "3" }]), ["AB=1", "A=3"]);
});

Deno.test("applyEnvChanges(): a name with = replaces the variable before the =", () => {
  assertEquals(applyEnvChanges(["A=1"], [{ name: "A=B", value: "x" }]), ["A=B=x"]);
  assertEquals(applyEnvChanges(["A=1"], [{ name: "A=B", value: undefined }]), ["A=B"]);
});

Deno.test("execCandidates() searches PATH, empty element is ., default /bin:/usr/bin", () => {
  assertEquals(execCandidates("/bin/true", "/x"), ["/bin/true"]);
  assertEquals(execCandidates("a/b", "/x"), ["a/b"]);
  assertEquals(execCandidates("true", undefined), ["/bin/true", "/usr/bin/true"]);
  assertEquals(execCandidates("true", ""), ["./true"]);
  assertEquals(execCandidates("true", "/a::/b"), ["/a/true", "./true", "/b/true"]);
});

Deno.test("the search goes on after ENOENT/EACCES/EPERM/EISDIR and reports the remembered error", () => {
  assertEquals([2, 13, 1, 21].map(searchContinues), [true, true, true, true]);
  assertEquals(searchContinues(8), false);
  const saved = (errnos: number[]): number => searchResult(errnos.reduce(rememberErrno, 0));
  assertEquals(saved([2, 13, 2]), 13);
  assertEquals(saved([2, 2]), 2);
  assertEquals(saved([13, 21]), 21);
});

Deno.test("byte strings carry any byte through the environment unchanged", () => {
  const bytes = new Uint8Array([0x41, 0x3d, 0xff, 0x80, 0xc3, 0xa9]);
  const text = byteString(bytes);
  assertEquals(text.length, 6);
  assertEquals([...byteStringCstr(text)], [...bytes, 0]);
  assertEquals(utf8ByteString("é"), "\xc3\xa9");
  assertEquals(byteStringText("\xc3\xa9"), "é");
  assertEquals(parseEnviron(new Uint8Array([0x58, 0x3d, 0xff, 0])), ["X=\xff"]);
  // Longer than one 8192-byte chunk, every byte value, in order.
  const all = new Uint8Array(20000).map((_, i) => i % 256);
  const long = byteString(all);
  assertEquals(long.length, all.length);
  assertEquals([...byteStringCstr(long).subarray(0, all.length)], [...all]);
});

Deno.test("rawArguments() takes the exact bytes of the trailing words of cmdline", () => {
  const cmdline = new Uint8Array([
    ...new TextEncoder().encode("deno\0run\0x.ts\0-e\0"),
    0xff,
    0,
    0,
  ]);
  assertEquals(rawArguments(cmdline, ["-e", "\ufffd", ""]), ["-e", "\xff", ""]);
  assertEquals(rawArguments(cmdline, ["other"]), ["other"]);
  assertEquals(rawArguments(undefined, ["é"]), ["\xc3\xa9"]);
});
