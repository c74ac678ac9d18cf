import { assertEquals } from "../../tests/_assert.ts";
import { decodeStatus, encodeStatus } from "../status_record.ts";
import { close, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open } from "../../ffi/libc.ts";
import { writeStatusFiles } from "./supervise_dir.ts";

/** A service directory with `label` made in it, and its fd, for `use`; removed after. */
function withServiceDir(label: string, use: (dirFd: number, dir: string) => void): void {
  const top = Deno.makeTempDirSync();
  const dirFd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    Deno.mkdirSync(`${top}/${label}`, { recursive: true });
    use(dirFd, `${top}/${label}`);
  } finally {
    close(dirFd);
    Deno.removeSync(top, { recursive: true });
  }
}

Deno.test("writeStatusFiles() writes pid, stat and status as runsv does", () => {
  withServiceDir("supervise", (dirFd, dir) => {
    const record = {
      stamp: { seconds: 1_700_000_000n, nanoseconds: 500 },
      pid: 4242,
      paused: true,
      want: "down" as const,
      term: true,
      state: "run" as const,
    };
    const warnings: string[] = [];
    const paths = { dirFd, label: "supervise" };
    assertEquals(writeStatusFiles(paths, record, true, (t) => warnings.push(t)), true);
    assertEquals(Deno.readTextFileSync(`${dir}/pid`), "4242\n");
    assertEquals(Deno.readTextFileSync(`${dir}/stat`), "run, paused, got TERM, want down\n");
    assertEquals(decodeStatus(Deno.readFileSync(`${dir}/status`)), record);
    assertEquals(Deno.statSync(`${dir}/status`).mode! & 0o777, 0o644 & ~Deno.umask());
    // pid 0 empties the pid file; without the pid flag the pid file is left alone.
    writeStatusFiles(paths, { ...record, pid: 0, state: "down" }, true, () => {});
    assertEquals(Deno.readTextFileSync(`${dir}/pid`), "");
    writeStatusFiles(paths, { ...record, pid: 7 }, false, () => {});
    assertEquals(Deno.readTextFileSync(`${dir}/pid`), "");
    assertEquals(warnings, []);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["pid", "stat", "status"]);
  });
});

Deno.test("writeStatusFiles() warns in runit's words and abandons the update on pid.new", () => {
  withServiceDir("log/supervise", (dirFd, dir) => {
    Deno.mkdirSync(`${dir}/pid.new`);
    const warnings: string[] = [];
    const record = decodeStatus(encodeStatus({
      stamp: { seconds: 1n, nanoseconds: 0 },
      pid: 1,
      paused: false,
      want: "up",
      term: false,
      state: "run",
    }));
    const written = writeStatusFiles(
      { dirFd, label: "log/supervise" },
      record,
      true,
      (text) => warnings.push(text),
    );
    assertEquals(written, false);
    assertEquals(warnings, ["unable to open log/supervise/pid.new"]);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["pid.new"]); // nothing else
  });
});

Deno.test("the status record of Debian's runsv survives decode and encode byte for byte", () => {
  const golden = Deno.readFileSync(
    new URL("../testdata/status_run_pid32565.bin", import.meta.url),
  );
  assertEquals([...encodeStatus(decodeStatus(golden))], [...golden]);
});
