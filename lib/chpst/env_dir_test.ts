import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { envValueFromBuffer, readEnvDir } from "./env_dir.ts";
import { FatalError } from "./fatal.ts";
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
