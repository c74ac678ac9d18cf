import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  bindLibcAll,
  close,
  cstr,
  errno,
  getpid,
  kill,
  mkfifo,
  O_RDONLY,
  open,
  pipe,
  programShortName,
  read,
  waitpid,
  WNOHANG,
  write,
} from "./libc.ts";
import { SysError } from "../lib/sys_error.ts";
import { EBADF } from "../lib/errstr.ts";

Deno.test("getpid() equals Deno.pid", () => {
  assertEquals(getpid(), Deno.pid);
});

Deno.test("open() of a missing path throws SysError ENOENT", () => {
  const err = assertThrows(() => open("/nonexistent/denit/path", O_RDONLY), SysError);
  assertEquals(err.code, "ENOENT");
  assertEquals(err.message, "open /nonexistent/denit/path: file does not exist");
});

Deno.test("kill() of an unused pid throws SysError ESRCH", () => {
  const err = assertThrows(() => kill(999_999_999, 0), SysError);
  assertEquals(err.code, "ESRCH");
});

Deno.test("mkfifo() on an existing path throws SysError EEXIST", () => {
  const dir = Deno.makeTempDirSync();
  try {
    mkfifo(`${dir}/fifo`, 0o600);
    assertEquals(Deno.statSync(`${dir}/fifo`).isFifo, true);
    const err = assertThrows(() => mkfifo(`${dir}/fifo`, 0o600), SysError);
    assertEquals(err.code, "EEXIST");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("errno stays right across many failing calls", () => {
  for (let i = 0; i < 200; i++) {
    assertEquals(assertThrows(() => open("/nonexistent", O_RDONLY), SysError).code, "ENOENT");
    assertEquals(assertThrows(() => kill(999_999_999, 0), SysError).code, "ESRCH");
  }
  void errno();
});

Deno.test("pipe(), write() and read() move bytes", () => {
  const [r, w] = pipe();
  try {
    assertEquals(write(w, new TextEncoder().encode("abc")), 3);
    const buf = new Uint8Array(8);
    assertEquals(read(r, buf), 3);
    assertEquals(new TextDecoder().decode(buf.subarray(0, 3)), "abc");
  } finally {
    close(r);
    close(w);
  }
});

Deno.test("programShortName() is deno under deno test", () => {
  assertEquals(programShortName(), "deno");
});

Deno.test("waitpid() with no children returns null", () => {
  assertEquals(waitpid(-1, WNOHANG), null);
});

Deno.test("the very first failing call of a fresh process reports its own errno", async () => {
  // A dlopen of the errno reader after the failure used to clobber errno (ENOENT read
  // where open(2) of a FIFO without reader had failed with ENXIO).
  const dir = Deno.makeTempDirSync();
  try {
    mkfifo(`${dir}/fifo`, 0o600);
    const script = `${dir}/probe.ts`;
    const fifo = new URL("./fifo.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      script,
      `import { openFifoForWriting } from "${fifo}";\n` +
        `try { openFifoForWriting(Deno.args[0]); } catch (err) { console.log((err as { code: string }).code); }\n`,
    );
    for (let i = 0; i < 3; i++) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", "--no-config", script, `${dir}/fifo`],
        // Unit tests elsewhere in this process may chdir (workers share the cwd).
        cwd: dir,
        stdout: "piped",
        stderr: "inherit",
      }).output();
      assertEquals(new TextDecoder().decode(out.stdout).trim(), "ENXIO");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a group bound without fast calls returns what it declares, and errno", () => {
  const slow = bindLibcAll({
    getpid: { parameters: [], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    getenv: { parameters: ["buffer"], result: "pointer" },
    strlen: { parameters: ["buffer"], result: "usize" },
  }, { fastCalls: false });
  assertEquals(slow.getpid(), Deno.pid);
  assertEquals(slow.write(-1, new Uint8Array(1), 1n), -1n);
  assertEquals(errno(), EBADF);
  assertEquals(slow.getenv(cstr("DENIT_NO_SUCH_VARIABLE")), null);
  // strlen is an IFUNC in glibc: its static is the resolved function, not the resolver.
  assertEquals(slow.strlen(cstr("seven\u00e9")), 7n);
});
