/**
 * The pure parts of the boot tooling (no QEMU here; `make test-boot` boots): kernel
 * selection and unpacking, the QEMU command line, console parsing for the boot test and
 * the boot benchmark, and the rootfs/ files' shape.
 */

import { parseStage2File } from "../../lib/runit/stage2_inprocess.ts";
import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { parseBootTimes } from "./bench_boot.ts";
import { parseSvStatus, runningWithLog, SAMPLE_SERVICES } from "./boot_check.ts";
import { bzImagePayload, compareVersions, payloadDecompressor, qemuArgs } from "./vm.ts";

const ROOTFS = new URL("../../rootfs/", import.meta.url).pathname;

Deno.test("compareVersions() orders kernel versions numerically", () => {
  const names = ["vmlinuz-6.1.0-10-amd64", "vmlinuz-6.1.0-9-amd64", "vmlinuz-5.10.0-28-amd64"];
  assertEquals(names.sort(compareVersions), [
    "vmlinuz-5.10.0-28-amd64",
    "vmlinuz-6.1.0-9-amd64",
    "vmlinuz-6.1.0-10-amd64",
  ]);
});

Deno.test("bzImagePayload() reads the payload offset and length from the setup header", () => {
  const header = new Uint8Array(0x300);
  const v = new DataView(header.buffer);
  header[0x1f1] = 39; // setup sectors
  v.setUint32(0x202, 0x53726448, true); // "HdrS"
  v.setUint32(0x248, 716, true);
  v.setUint32(0x24c, 8122480, true);
  assertEquals(bzImagePayload(header), { offset: 40 * 512 + 716, length: 8122480 });
});

Deno.test("bzImagePayload() rejects a file without the boot protocol header", () => {
  let threw = false;
  try {
    bzImagePayload(new Uint8Array(0x300));
  } catch {
    threw = true;
  }
  assert(threw);
});

Deno.test("payloadDecompressor() picks the tool from the magic bytes", () => {
  assertEquals(payloadDecompressor(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), [
    "xz",
    "-dc",
    "--single-stream",
  ]);
  assertEquals(payloadDecompressor(new Uint8Array([0x1f, 0x8b, 8, 0]))[0], "gzip");
  assertEquals(payloadDecompressor(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]))[0], "zstd");
});

Deno.test("qemuArgs() boots headless, exits on reboot, -cpu max only under TCG", () => {
  const tcg = qemuArgs({ kernel: "K", initrd: "I", accel: "tcg" });
  for (const flag of ["-nodefaults", "-no-reboot", "-kernel", "-initrd"]) {
    assert(tcg.includes(flag), flag);
  }
  assertEquals(tcg[tcg.indexOf("-accel") + 1], "tcg");
  assertEquals(tcg[tcg.indexOf("-cpu") + 1], "max");
  assertMatch(tcg.at(-1)!, /^console=ttyS0 rdinit=\/sbin\/init panic=-1 quiet$/);
  const kvm = qemuArgs({ kernel: "K", accel: "kvm", append: "x=1" });
  assertEquals(kvm.includes("-cpu"), false);
  assertEquals(kvm.includes("-initrd"), false);
  assertMatch(kvm.at(-1)!, / x=1$/);
});

Deno.test("parseSvStatus() and runningWithLog() read sv status lines", () => {
  const out = [
    "run: /etc/service/demo: (pid 112) 2s; run: log: (pid 104) 2s",
    "down: /etc/service/getty-ttyS0: 1s, normally up; run: log: (pid 104) 2s",
    "fail: /etc/service/x: runsv not running",
  ].join("\n");
  const status = parseSvStatus(out);
  assertEquals([...status.keys()], [
    "/etc/service/demo",
    "/etc/service/getty-ttyS0",
    "/etc/service/x",
  ]);
  assertEquals(runningWithLog(status.get("/etc/service/demo")!), true);
  assertEquals(runningWithLog(status.get("/etc/service/getty-ttyS0")!), false);
  assertEquals(runningWithLog("run: /etc/service/demo: (pid 1) 2s"), false);
});

Deno.test("parseBootTimes() measures from guest uptimes on the console", () => {
  const text = [
    "- runit: enter stage: /etc/runit/1",
    "rootfs: stage 1 at 6.09s",
    "bench: all-up 14.51",
    "bench: halt 16.54",
    "rootfs: stage 3 at 19.03s: stopping services",
    "[   20.123228] reboot: Power down",
  ].join("\r\n");
  const t = parseBootTimes(text)!;
  assertEquals(t.upS.toFixed(2), "8.42");
  assertEquals(t.shutdownS.toFixed(2), "3.58");
  assertEquals(t.stage1AtS, 6.09);
  assertEquals(t.stage3ToOffS.toFixed(2), "1.09");
  assertEquals(parseBootTimes("rootfs: stage 1 at 6.09s\n"), undefined);
});

Deno.test("rootfs/ has runit's stages and every sample service, logged in-process", () => {
  for (const stage of ["1", "2", "3", "ctrlaltdel"]) {
    const info = Deno.statSync(`${ROOTFS}etc/runit/${stage}`);
    assert(info.isFile && (info.mode! & 0o111) !== 0, `etc/runit/${stage} is executable`);
    assertMatch(Deno.readTextFileSync(`${ROOTFS}etc/runit/${stage}`), /^#!\/bin\/sh\n/);
  }
  assertMatch(
    Deno.readTextFileSync(`${ROOTFS}etc/runit/2`),
    /\nexec env - PATH="\$PATH" runsvdir -P \/etc\/service 'log: \.+'\n/,
  );
  // Stage 2 in process 1 says what /etc/runit/2's last line says.
  const stage2 = parseStage2File(Deno.readTextFileSync(`${ROOTFS}etc/runit/2.runsvdir`));
  const scriptPath = /^PATH=(.*)$/m.exec(Deno.readTextFileSync(`${ROOTFS}etc/runit/2`))?.[1];
  assertEquals(stage2?.env, [`PATH=${scriptPath}`]);
  assertEquals([stage2?.args.newSession, stage2?.args.dir], [true, "/etc/service"]);
  for (const name of SAMPLE_SERVICES) {
    assertEquals(Deno.readLinkSync(`${ROOTFS}etc/service/${name}`), `/etc/sv/${name}`);
    const run = Deno.statSync(`${ROOTFS}etc/sv/${name}/run`);
    assert((run.mode! & 0o111) !== 0, `${name}/run is executable`);
    assertEquals(Deno.readTextFileSync(`${ROOTFS}etc/sv/${name}/log/svlogd`), "-tt ./main\n");
  }
});
