/**
 * The process's argument area (what `ps` and /proc/PID/cmdline show), rewritten in place
 * as runit's runsvdir rewrites its log argument (DENO-NOTES.md §11 "Process titles").
 *
 * Deno cannot set its argv, and from source the area reads `deno run -A … entry.ts …`,
 * so the whole area [arg_start, arg_end) is overwritten. Its bounds are fields 48 and 49
 * of /proc/self/stat (1-based); a wrong index writes to a wild address and crashes Deno,
 * so the memory found there must first equal /proc/self/cmdline byte for byte, or
 * nothing is written. When the new text is shorter, the end of the area is moved down
 * with prctl(PR_SET_MM_ARG_END) (needs CAP_SYS_RESOURCE) so cmdline is exact; without
 * that the rest is NUL padding. A longer text is cut at the area's size.
 */

import { bindLibc } from "./libc.ts";

const sym = /* @__PURE__ */ bindLibc({
  // int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)
  prctl: { name: "prctl", parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
});

const PR_SET_MM = 35;
const PR_SET_MM_ARG_END = 9;
const FIELD_ARG_START = 48; // /proc/PID/stat, 1-based (proc(5))
const FIELD_ARG_END = 49;

/** Bounds of the argument area: [start, end). */
export interface ArgAreaBounds {
  start: bigint;
  end: bigint;
}

/** Reads arg_start and arg_end from a /proc/PID/stat line (the comm field may hold spaces). */
export function parseArgAreaBounds(stat: string): ArgAreaBounds {
  // Fields after "(comm)" start at field 3.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  const start = rest[FIELD_ARG_START - 3];
  const end = rest[FIELD_ARG_END - 3];
  if (start === undefined || end === undefined) throw new Error("Short /proc/self/stat");
  return { start: BigInt(start), end: BigInt(end) };
}

/** The process's argument memory, checked and writable. */
export class ArgArea {
  readonly #memory: Uint8Array;
  #end: number;
  #canShrink = true;
  readonly #start: bigint;

  private constructor(start: bigint, memory: Uint8Array) {
    this.#start = start;
    this.#memory = memory;
    this.#end = memory.length;
  }

  /** Finds and checks the area; undefined when /proc is missing or anything disagrees. */
  static open(): ArgArea | undefined {
    let bounds: ArgAreaBounds;
    let cmdline: Uint8Array;
    try {
      bounds = parseArgAreaBounds(Deno.readTextFileSync("/proc/self/stat"));
      cmdline = Deno.readFileSync("/proc/self/cmdline");
    } catch {
      return undefined;
    }
    const length = Number(bounds.end - bounds.start);
    if (bounds.start === 0n || length <= 0 || length > 1 << 20) return undefined;
    if (cmdline.length !== length) return undefined;
    const pointer = Deno.UnsafePointer.create(bounds.start);
    if (pointer === null) return undefined;
    const memory = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(pointer, length),
    );
    // Only the real argument area reads exactly as /proc/self/cmdline does.
    for (let i = 0; i < length; i++) if (memory[i] !== cmdline[i]) return undefined;
    return new ArgArea(bounds.start, memory);
  }

  /** Bytes available for arguments and their NULs. */
  get size(): number {
    return this.#memory.length;
  }

  /** Writes `args` as the process's arguments (each NUL-terminated). */
  write(args: readonly Uint8Array[]): void {
    const text = new Uint8Array(args.reduce((sum, arg) => sum + arg.length + 1, 0));
    let offset = 0;
    for (const arg of args) {
      text.set(arg, offset);
      offset += arg.length + 1;
    }
    const size = this.#memory.length;
    const used = Math.min(text.length, size);
    this.#memory.set(text.subarray(0, used));
    if (used === size) this.#memory[size - 1] = 0;
    if (used < this.#end) this.#memory.fill(0, used, this.#end);
    if (used !== this.#end && this.#canShrink) {
      // Shrinking needs CAP_SYS_RESOURCE; without it the NUL padding stays visible.
      const rc = sym.prctl(
        PR_SET_MM,
        BigInt(PR_SET_MM_ARG_END),
        this.#start + BigInt(used),
        0n,
        0n,
      );
      if (rc === 0) this.#end = used;
      else this.#canShrink = false;
    }
  }
}
