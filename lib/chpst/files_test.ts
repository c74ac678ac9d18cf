import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import {
  type AccountDb,
  envValueFromBuffer,
  findGroupEntry,
  findPasswdEntry,
  parseNumericSpec,
  readEnvDir,
  readEnvDirQuick,
  resolveAccount,
  resolveUserSpec,
} from "./files.ts";
import { FatalError } from "./request.ts";
import { errText } from "../sys_error.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function valueOf(text: string): string | undefined {
  const { value } = envValueFromBuffer(enc.encode(text));
  return value === undefined ? undefined : dec.decode(value);
}

Deno.test("envValueFromBuffer() keeps the first line, cuts trailing blanks, NUL becomes newline", () => {
  assertEquals(valueOf("val1  \t \nsecond line\n"), "val1");
  assertEquals(valueOf(""), undefined);
  assertEquals(valueOf("\n"), "");
  assertEquals(valueOf("a\0b\0c\n"), "a\nb\nc");
  assertEquals(valueOf("  lead"), "  lead");
  assertEquals(valueOf("p=q\r\n"), "p=q\r");
});

Deno.test("envValueFromBuffer() leaves the buffer a vanished entry reuses (runit quirk)", () => {
  const first = envValueFromBuffer(enc.encode("hello  "));
  const again = envValueFromBuffer(first.buffer);
  assertEquals(dec.decode(again.value), "hello\n");
});

function withDir(files: Record<string, string | null>, fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "denit-envdir-" });
  try {
    for (const [name, content] of Object.entries(files)) {
      if (content === null) Deno.mkdirSync(`${dir}/${name}`);
      else Deno.writeTextFileSync(`${dir}/${name}`, content);
    }
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("readEnvDir() reads every entry but dot files and returns to the start directory", () => {
  withDir({ A: "1\n", EMPTY: "", ".hidden": "x" }, (dir) => {
    const cwd = Deno.cwd();
    const changes = readEnvDir(dir, { strict: false, verbose: false, warn: () => {} });
    assertEquals(Deno.cwd(), cwd);
    assertEquals(
      changes.sort((a, b) => a.name.localeCompare(b.name)),
      [{ name: "A", value: "1" }, { name: "EMPTY", value: undefined }],
    );
  });
});

Deno.test("readEnvDir() skips a subdirectory for chpst -e, warns with -v, fails for envdir", () => {
  withDir({ SUB: null, A: "x" }, (dir) => {
    const warnings: string[] = [];
    const opts = {
      verbose: true,
      warn: (t: string, e: unknown) => warnings.push(`${t}: ${errText(e)}`),
    };
    assertEquals(readEnvDir(dir, { ...opts, strict: false }), [{ name: "A", value: "x" }]);
    assertEquals(warnings, [`unable to read ${dir}/SUB: is a directory`]);
    const err = assertThrows(() => readEnvDir(dir, { ...opts, strict: true }), FatalError);
    assertEquals(
      `${err.message}: ${errText(err.reason)}`,
      `unable to read ${dir}/SUB: is a directory`,
    );
  });
});

Deno.test("readEnvDir() of a missing directory is 'unable to switch to directory'", () => {
  const err = assertThrows(
    () => readEnvDir("/nonexistent-denit", { strict: false, verbose: false, warn: () => {} }),
    FatalError,
  );
  assertEquals(
    `${err.message}: ${errText(err.reason)}`,
    "unable to switch to directory: /nonexistent-denit: file does not exist",
  );
});

const PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/bin/sh\n" +
  "bad:x:abc:1::/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const GROUP = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n";

const db: AccountDb = {
  user: (name) => findPasswdEntry(PASSWD, name),
  group: (name) => findGroupEntry(GROUP, name),
};

Deno.test("parseNumericSpec() follows runit's uidgids_set()", () => {
  assertEquals(parseNumericSpec(":1:2:3"), { uid: 1, gids: [2, 3] });
  assertEquals(parseNumericSpec(":1:"), { uid: 1, gids: [0] });
  assertEquals(parseNumericSpec(":1:2:"), { uid: 1, gids: [2, 0] });
  assertEquals(parseNumericSpec(":5:6:7"), { uid: 5, gids: [6, 7] });
  for (const bad of [":1", ":x", ":1:2:3x", ":1:a"]) assertEquals(parseNumericSpec(bad), "invalid");
});

Deno.test("parseNumericSpec() allows at most 60 groups", () => {
  const sixty = Array.from({ length: 60 }, (_, i) => i + 1);
  assertEquals(parseNumericSpec(`:1:${sixty.join(":")}`), { uid: 1, gids: sixty });
  assertEquals(parseNumericSpec(`:1:${sixty.join(":")}:61`), "invalid");
});

Deno.test("resolveUserSpec() looks up user and groups by name", () => {
  assertEquals(resolveUserSpec("daemon", db), { uid: 1, gids: [1] });
  assertEquals(resolveUserSpec("daemon:nogroup:daemon", db), { uid: 1, gids: [65534, 1] });
  assertEquals(resolveUserSpec("nouser", db), "unknown");
  assertEquals(resolveUserSpec("daemon:", db), "unknown");
  assertEquals(resolveUserSpec("daemon:nosuchgroup", db), "unknown");
  assertEquals(resolveUserSpec("bad", db), "unknown");
});

Deno.test("resolveAccount() takes the name whole, no colon forms", () => {
  assertEquals(resolveAccount("nobody", db), { uid: 65534, gids: [65534] });
  assertEquals(resolveAccount("nobody:nogroup", db), "unknown");
});

Deno.test("resolveUserSpec() lets a reader error through", () => {
  const broken: AccountDb = {
    user: () => {
      throw new Deno.errors.NotFound("no passwd");
    },
    group: () => undefined,
  };
  assertThrows(() => resolveUserSpec("nobody", broken), Deno.errors.NotFound);
  assertEquals(resolveUserSpec(":1:1", broken), { uid: 1, gids: [1] });
});

Deno.test("readEnvDirQuick() gives readEnvDir()'s changes in the common case, else nothing", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const quiet = { strict: false, verbose: false, warn: () => {} };
    const write = (name: string, text: string) => Deno.writeTextFileSync(`${dir}/${name}`, text);
    Deno.mkdirSync(`${dir}/plain`);
    for (const [name, text] of [["A", "a  \nb"], ["E", ""], ["N", "x\0y"], [".h", "z"]]) {
      write(`plain/${name}`, text!);
    }
    assertEquals(readEnvDirQuick(`${dir}/plain`), readEnvDir(`${dir}/plain`, quiet));
    assertEquals(readEnvDirQuick(`${dir}/plain`)?.length, 3);
    // What needs runit's rules, or fails: readEnvDir's to report.
    Deno.mkdirSync(`${dir}/sub/S`, { recursive: true });
    write("sub/A", "1");
    Deno.mkdirSync(`${dir}/dangling`);
    write("dangling/A", "1");
    Deno.symlinkSync("nowhere", `${dir}/dangling/Z`);
    Deno.mkdirSync(`${dir}/empty`);
    Deno.mkdirSync(`${dir}/dots`);
    write("dots/.a", "1");
    for (const name of ["sub", "dangling", "empty", "dots", "missing", "plain/A"]) {
      assertEquals(readEnvDirQuick(`${dir}/${name}`), undefined, name);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("findPasswdEntry() and findGroupEntry() read lines as glibc's files backend", () => {
  const passwd = "#c:x:5:5::/:\n sp:x:6:6::/:\n\tplus:x:+11:0::/:\nws:x: 13:0::/:\n" +
    "neg:x:-1:0::/:\nbig:x:99999999999:0::/:\nbad:x:1x:0::/:\nnz:x:-0:0::/:\n";
  assertEquals(findPasswdEntry(passwd, "#c"), undefined); // a comment
  assertEquals(findPasswdEntry(passwd, "sp"), { uid: 6, gid: 6 }); // leading blanks skipped
  assertEquals(findPasswdEntry(passwd, " sp"), undefined);
  assertEquals(findPasswdEntry(passwd, "plus"), { uid: 11, gid: 0 }); // strtoul's sign
  assertEquals(findPasswdEntry(passwd, "ws"), { uid: 13, gid: 0 }); // and its blanks
  // Past 32 bits, -1 too: no entry for Debian's chpst (4294967295 is one; setuid fails).
  assertEquals(findPasswdEntry(passwd, "neg"), undefined);
  assertEquals(findPasswdEntry(passwd, "big"), undefined);
  assertEquals(findPasswdEntry(passwd, "bad"), undefined);
  assertEquals(findPasswdEntry(passwd, "nz"), { uid: 0, gid: 0 });
  const group = "#cg:x:7:\n  spg:x:8:\n";
  assertEquals(findGroupEntry(group, "#cg"), undefined);
  assertEquals(findGroupEntry(group, "spg"), 8);
});
