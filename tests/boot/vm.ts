/**
 * Boots the rootfs image under QEMU and drives its serial console: the kernel (Debian's,
 * unpacked once to an ELF that QEMU boots through PVH), the accelerator (KVM when a short
 * probe boot proves it works, else TCG), the command line, and a `Vm` object that reads
 * the console, waits for patterns with deadlines, types commands and times lines.
 *
 * Used by scripts/boot-vm.sh (which only wants the command line), scripts/test-boot.sh
 * and scripts/bench-boot.sh. Host-side tooling: it starts QEMU with Deno.Command.
 */

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const BUILD = `${REPO}/build`;
const QBOOT = "/usr/share/qemu/qboot.rom";
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Which accelerator QEMU uses. */
export type Accel = "kvm" | "tcg";

/** The newest Debian kernel in /boot (`linux-image-amd64`), or $KERNEL. */
export function findKernel(): string {
  const fromEnv = Deno.env.get("KERNEL");
  if (fromEnv) return fromEnv;
  const names = [...Deno.readDirSync("/boot")]
    .map((e) => e.name)
    .filter((n) => n.startsWith("vmlinuz-"))
    .sort(compareVersions);
  const last = names.at(-1);
  if (last === undefined) {
    throw new Error("no /boot/vmlinuz-* (apt-get install linux-image-amd64)");
  }
  return `/boot/${last}`;
}

/** Orders "vmlinuz-6.1.0-9-amd64" before "vmlinuz-6.1.0-10-amd64". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (i % 2 === 1 && !Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Where the compressed kernel payload sits inside a bzImage (boot protocol ≥ 2.08). */
export function bzImagePayload(header: Uint8Array): { offset: number; length: number } {
  const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
  // "HdrS" at 0x202 marks the boot protocol header; fields are little-endian.
  if (v.getUint32(0x202, true) !== 0x53726448) throw new Error("not a bzImage");
  const setupSects = header[0x1f1] || 4; // 0 means 4 (boot protocol)
  const payloadOffset = v.getUint32(0x248, true); // relative to the protected-mode code
  const payloadLength = v.getUint32(0x24c, true);
  return { offset: (setupSects + 1) * 512 + payloadOffset, length: payloadLength };
}

/** The decompressor for a payload, from its magic bytes. */
export function payloadDecompressor(magic: Uint8Array): string[] {
  const hex = [...magic.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex === "fd377a58") return ["xz", "-dc", "--single-stream"];
  if (hex.startsWith("1f8b")) return ["gzip", "-dc"];
  if (hex === "28b52ffd") return ["zstd", "-dcq"];
  if (hex === "894c5a4f") return ["lzop", "-dc"];
  if (hex.startsWith("5d00")) return ["xz", "--format=lzma", "-dc"];
  throw new Error(`unknown kernel payload compression (magic ${hex})`);
}

/**
 * The kernel as an uncompressed ELF (build/vmlinux-VERSION), extracted once: QEMU boots it
 * through PVH, which skips the decompressor (~5 s per boot under TCG). Falls back to the
 * bzImage when extraction is impossible.
 */
export async function uncompressedKernel(bzImage: string): Promise<string> {
  const out = `${BUILD}/vmlinux-${bzImage.split("/").pop()!.replace(/^vmlinuz-/, "")}`;
  try {
    if (Deno.statSync(out).mtime! >= Deno.statSync(bzImage).mtime!) return out;
  } catch {
    // not extracted yet
  }
  let elf: Uint8Array;
  try {
    const image = Deno.readFileSync(bzImage);
    const { offset, length } = bzImagePayload(image);
    const payload = image.subarray(offset, offset + length);
    const [cmd, ...args] = payloadDecompressor(payload);
    Deno.mkdirSync(BUILD, { recursive: true });
    const child = new Deno.Command(cmd!, { args, stdin: "piped", stdout: "piped", stderr: "null" })
      .spawn();
    const writer = child.stdin.getWriter();
    const writing = writer.write(payload).then(() => writer.close()).catch(() => {});
    const result = await child.output();
    await writing;
    elf = result.stdout;
  } catch {
    return bzImage; // no decompressor installed (xz-utils): boot the slower bzImage
  }
  if (!(elf[0] === 0x7f && elf[1] === 0x45 && elf[2] === 0x4c && elf[3] === 0x46)) {
    return bzImage;
  }
  // A private temporary name: concurrent runs may extract at the same time.
  Deno.writeFileSync(`${out}.${Deno.pid}.tmp`, elf);
  Deno.renameSync(`${out}.${Deno.pid}.tmp`, out);
  return out;
}

/** Options for one boot. */
export interface BootOptions {
  kernel: string;
  /** The initramfs; none for the KVM probe, which only needs the kernel to start. */
  initrd?: string;
  accel: Accel;
  /** Extra kernel command line words. */
  append?: string;
  memory?: string;
}

/** QEMU's argument vector for a headless boot with the serial console on stdio. */
export function qemuArgs(o: BootOptions): string[] {
  const args = [
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-serial",
    "mon:stdio",
    "-no-reboot",
    "-m",
    o.memory ?? "1G",
    "-smp",
    "1",
    "-accel",
    o.accel,
  ];
  // -cpu max under KVM aborts on hosts whose KVM cannot set every MSR; TCG wants it.
  if (o.accel === "tcg") args.push("-cpu", "max");
  if (exists(QBOOT)) args.push("-bios", QBOOT);
  args.push("-kernel", o.kernel);
  if (o.initrd !== undefined) args.push("-initrd", o.initrd);
  const append = `console=ttyS0 rdinit=/sbin/init panic=-1 quiet ${o.append ?? ""}`.trim();
  args.push("-append", append);
  return args;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * KVM or TCG. $ACCEL wins; otherwise KVM only when /dev/kvm opens and a probe boot of the
 * kernel (no initrd: it must reach the root-mount panic) finishes within the probe time.
 * The answer is cached per host boot in build/accel.
 */
export async function chooseAccel(kernel: string): Promise<Accel> {
  const forced = Deno.env.get("ACCEL");
  if (forced === "kvm" || forced === "tcg") return forced;
  try {
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
  } catch {
    return "tcg";
  }
  const bootId = readText("/proc/sys/kernel/random/boot_id").trim();
  const cacheFile = `${BUILD}/accel`;
  const key = `${bootId} ${kernel}`;
  const cached = readText(cacheFile).split("\n");
  if (cached[0] === key && (cached[1] === "kvm" || cached[1] === "tcg")) return cached[1];
  const probeSeconds = Number(Deno.env.get("KVM_PROBE_SECONDS") ?? "20");
  const vm = Vm.start({ kernel, accel: "kvm" }, { quiet: true });
  let accel: Accel = "tcg";
  try {
    await vm.expect(/Kernel panic|Unable to mount root|reboot: /, probeSeconds * 1000);
    accel = "kvm";
  } catch {
    accel = "tcg";
  } finally {
    await vm.kill();
  }
  Deno.mkdirSync(BUILD, { recursive: true });
  Deno.writeTextFileSync(cacheFile, `${key}\n${accel}\n`);
  return accel;
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** A line of console output and when the host saw it (ms since the VM started). */
export interface ConsoleLine {
  atMs: number;
  text: string;
}

/** Raised when the console did not show what was expected in time. */
export class ConsoleTimeout extends Error {
  override name = "ConsoleTimeout";
}

/** A running QEMU with its serial console on a pipe. */
export class Vm {
  readonly lines: ConsoleLine[] = [];
  #buffer = "";
  #consumed = 0;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #started = performance.now();
  #waiters = new Set<() => void>();
  #exit: Promise<Deno.CommandStatus>;
  #exited = false;
  #echo: ((text: string) => void) | undefined;
  #transcript: Deno.FsFile | undefined;

  private constructor(
    o: BootOptions,
    opts: { quiet?: boolean; echo?: (text: string) => void; transcript?: string },
  ) {
    this.#echo = opts.echo;
    if (opts.transcript !== undefined) {
      this.#transcript = Deno.openSync(opts.transcript, {
        write: true,
        create: true,
        truncate: true,
      });
    }
    this.#child = new Deno.Command("qemu-system-x86_64", {
      args: qemuArgs(o),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#pump(this.#child.stdout);
    this.#pump(this.#child.stderr);
    this.#exit = this.#child.status.then((s) => {
      this.#exited = true;
      this.#wake();
      return s;
    });
  }

  /** Starts QEMU. */
  static start(
    o: BootOptions,
    opts: { quiet?: boolean; echo?: (text: string) => void; transcript?: string } = {},
  ): Vm {
    return new Vm(o, opts);
  }

  /** Milliseconds since QEMU was started. */
  now(): number {
    return performance.now() - this.#started;
  }

  /** Everything the console printed so far. */
  get text(): string {
    return this.#buffer;
  }

  /** True once QEMU has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    try {
      for await (const chunk of stream) {
        const text = dec.decode(chunk, { stream: true });
        this.#buffer += text;
        this.#echo?.(text);
        this.#transcript?.writeSync(chunk);
        const at = this.now();
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        for (const line of parts) this.lines.push({ atMs: at, text: line.replace(/\r$/, "") });
        this.#wake();
      }
    } catch {
      // QEMU went away
    }
    if (partial !== "") this.lines.push({ atMs: this.now(), text: partial });
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Waits until `pattern` matches console output not consumed by an earlier expect, and
   * returns the match; the output up to the match's end is consumed.
   */
  async expect(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    const re = new RegExp(pattern.source, pattern.flags.replace("g", ""));
    while (true) {
      const rest = this.#buffer.slice(this.#consumed);
      const m = re.exec(rest);
      if (m !== null) {
        this.#consumed += m.index + m[0].length;
        return m;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.#exited) {
        const tail = rest.slice(-600);
        const why = this.#exited ? "QEMU exited" : `no match within ${timeoutMs / 1000} s`;
        throw new ConsoleTimeout(`${why} waiting for ${pattern}; console tail:\n${tail}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        const waiters = this.#waiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Types text on the serial console. */
  async send(text: string): Promise<void> {
    await this.#writer.write(enc.encode(text));
  }

  /**
   * Runs a shell command at a logged-in prompt and returns its output and exit status.
   * Markers are split in the typed line ("@@BEG""tag") so the terminal's echo of the
   * command never matches them, however the line editor redraws it.
   */
  async run(command: string, timeoutMs: number): Promise<{ out: string; status: number }> {
    const tag = `${Math.floor(Math.random() * 1e9)}`;
    await this.send(`echo "@@BEG""${tag}"; ${command}; echo "@@END""${tag} $?"\n`);
    const m = await this.expect(
      new RegExp(`@@BEG${tag}\r?\n([\\s\\S]*?)@@END${tag} (\\d+)`),
      timeoutMs,
    );
    return { out: m[1]!.replace(/\r/g, "").trimEnd(), status: Number(m[2]) };
  }

  /** Waits for QEMU to exit (true) or the deadline to pass (false). */
  async waitExit(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.#exit.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  /** Stops QEMU (TERM, then KILL) and releases its pipes. */
  async kill(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already gone
      }
      if (!(await this.waitExit(5000))) {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    await this.#exit;
    try {
      await this.#writer.close();
    } catch {
      // the pipe is already closed
    }
    this.#transcript?.close();
    this.#transcript = undefined;
  }
}

/** The kernel (extracted) and accelerator every boot script uses. */
export async function bootSetup(): Promise<{ kernel: string; accel: Accel }> {
  const kernel = await uncompressedKernel(findKernel());
  return { kernel, accel: await chooseAccel(kernel) };
}

// `deno run -A tests/boot/vm.ts command IMAGE`: QEMU's arguments, one per line, for
// scripts/boot-vm.sh, which execs QEMU itself so the console gets the terminal.
if (import.meta.main) {
  const [what, initrd] = Deno.args;
  if (what !== "command" || initrd === undefined) {
    Deno.stderr.writeSync(enc.encode("usage: vm.ts command IMAGE\n"));
    Deno.exit(100);
  }
  const { kernel, accel } = await bootSetup();
  Deno.stderr.writeSync(enc.encode(`boot-vm: kernel ${kernel}, accelerator ${accel}\n`));
  const args = qemuArgs({ kernel, initrd, accel, append: Deno.env.get("APPEND") ?? "" });
  Deno.stdout.writeSync(enc.encode(args.join("\n") + "\n"));
}
