/**
 * A log directory's `config` file (spec svlogd.md §3 step 4 and §4; runit src/svlogd.c
 * logdir_open). Pure: bytes in, settings and warning texts out.
 *
 * Lines end at `\n`; nothing is trimmed; the first byte picks the kind. A final line of
 * exactly one byte without a newline is ignored, as runit's loop (`i + 1 < len`) does.
 * runit reads each line as a C string: a NUL ends it, and in a pattern line it starts
 * another instruction (`+x\0-*` is `+x` then `-*`), as runit keeps patterns NUL-separated.
 * Texts keep bytes that are not UTF-8 (lib/escaped_text.ts). Numbers are C's unsigned longs (2^64 + 1 is 1); the `t` seconds then go through a
 * 32-bit unsigned int, as in runit.
 */

import { scanUlongWrapping } from "../getopt.ts";
import { decodeEscaped } from "../escaped_text.ts";

/** One `+`, `-`, `e` or `E` line. */
export interface ConfigPattern {
  kind: "+" | "-" | "e" | "E";
  /** The pattern after the kind letter, raw bytes. */
  pattern: Uint8Array;
  /** Where the pattern starts in {@linkcode LogDirConfig.program}. */
  at: number;
}

/** Where `u`/`U` lines send selected lines. */
export interface UdpTarget {
  /** Dotted IPv4 address, each part already reduced modulo 256. */
  address: string;
  port: number;
}

/** A log directory's settings. */
export interface LogDirConfig {
  /** `s`: size limit of `current` in bytes; 0 turns size rotation off. */
  sizeMax: number;
  /** `n`: most old files to keep; 0 keeps all. */
  nMax: number;
  /** `N`: fewest old files to keep when the disk is full. */
  nMin: number;
  /** `t`: rotate a non-empty `current` older than this many seconds; 0 is off. */
  timeoutSeconds: number;
  /** `!`: processor command, run with `/bin/sh -c`. */
  processor: string | undefined;
  /** Pattern lines in config order. */
  patterns: ConfigPattern[];
  /**
   * runit's `inst`: every pattern line, each ending with a NUL. A `+` that ends a pattern
   * can make runit's pmatch read on into the next instruction (lib/svlogd/pattern.ts).
   */
  program: Uint8Array;
  /** `p`: prefix bytes written before each line. */
  prefix: Uint8Array;
  /** `u`/`U`: UDP target. */
  udp: UdpTarget | undefined;
  /** `U`: lines go by UDP only (set even when the address is bad: runit's quirk). */
  udpOnly: boolean;
}

/** The defaults every open and every SIGHUP starts from (spec §3 step 4). */
export function defaultConfig(): LogDirConfig {
  return {
    sizeMax: 1_000_000,
    nMax: 10,
    nMin: 10,
    timeoutSeconds: 0,
    processor: undefined,
    patterns: [],
    program: new Uint8Array(0),
    prefix: new Uint8Array(0),
    udp: undefined,
    udpOnly: false,
  };
}

const latin1 = new TextDecoder("latin1");

/** The NUL-separated pieces of `bytes` (C strings one after another). */
function splitAtNul(bytes: Uint8Array): { piece: Uint8Array; at: number }[] {
  const pieces: { piece: Uint8Array; at: number }[] = [];
  let from = 0;
  for (;;) {
    const nul = bytes.indexOf(0, from);
    if (nul === -1) break;
    pieces.push({ piece: bytes.subarray(from, nul), at: from });
    from = nul + 1;
  }
  pieces.push({ piece: bytes.subarray(from), at: from });
  return pieces;
}

/** djb's ip4_scan: four decimal parts joined by dots; returns the length scanned or 0. */
function scanIp4(text: string): { address: string; length: number } | undefined {
  const parts: number[] = [];
  let pos = 0;
  for (let i = 0; i < 4; i++) {
    if (i > 0) {
      if (text[pos] !== ".") return undefined;
      pos++;
    }
    const digits = /^[0-9]*/.exec(text.slice(pos))![0];
    if (digits === "") return undefined;
    parts.push(Number(BigInt(digits) % 256n));
    pos += digits.length;
  }
  return { address: parts.join("."), length: pos };
}

/**
 * Parses `config` bytes over the defaults. Warnings are the texts runit prints after
 * `svlogd: warning: ` (no newline).
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config.ts";
 * const { config } = parseConfig(new TextEncoder().encode("s1k\nn2\nt5m\n"));
 * config.sizeMax; // 1024
 * config.timeoutSeconds; // 300
 * ```
 */
export function parseConfig(bytes: Uint8Array): { config: LogDirConfig; warnings: string[] } {
  const config = defaultConfig();
  const warnings: string[] = [];
  let start = 0;
  // `u`/`U` lines add up as runit's struct does: a bad address or port keeps what an
  // earlier line set, and UDP is on while the port is not 0 (a port of 65536 is 0).
  let udpAddress = "0.0.0.0";
  let udpPort = 0;
  const program: number[] = [];
  while (start + 1 < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const whole = bytes.subarray(start, end);
    start = end + 1;
    const nul = whole.indexOf(0);
    const line = nul === -1 ? whole : whole.subarray(0, nul);
    const kind = String.fromCharCode(whole[0]!);
    const restBytes = line.subarray(1);
    const rest = latin1.decode(restBytes);
    switch (kind) {
      case "s": {
        const { value, digits } = scanUlongWrapping(rest);
        const unit = { k: 1024n, m: 1048576n }[rest[digits]!] ?? 1n;
        config.sizeMax = Number(BigInt.asUintN(64, value * unit));
        break;
      }
      case "n":
        config.nMax = Number(scanUlongWrapping(rest).value);
        break;
      case "N":
        config.nMin = Number(scanUlongWrapping(rest).value);
        break;
      case "t": {
        const { value, digits } = scanUlongWrapping(rest);
        const unit = { m: 60n, h: 3600n }[rest[digits]!] ?? 1n;
        config.timeoutSeconds = Number(BigInt.asUintN(32, value * unit));
        break;
      }
      case "!":
        if (restBytes.length > 0) config.processor = decodeEscaped(restBytes);
        break;
      case "p":
        if (restBytes.length > 0) config.prefix = restBytes.slice();
        break;
      case "+":
      case "-":
      case "e":
      case "E":
        for (const { piece, at } of splitAtNul(whole)) {
          const letter = String.fromCharCode(piece[0] ?? 0);
          if (letter === "+" || letter === "-" || letter === "e" || letter === "E") {
            const pattern = piece.slice(1);
            config.patterns.push({ kind: letter, pattern, at: program.length + at + 1 });
          }
        }
        for (const b of whole) program.push(b);
        program.push(0);
        break;
      case "U":
      case "u": {
        // runit sets udp-only before it reads the address (spec §4 quirk).
        if (kind === "U") config.udpOnly = true;
        const ip = scanIp4(rest);
        if (ip === undefined) {
          warnings.push(`unable to scan ip address: ${decodeEscaped(restBytes)}`);
          break;
        }
        udpAddress = ip.address;
        if (rest[ip.length] !== ":") {
          udpPort = 514;
          break;
        }
        const port = scanUlongWrapping(rest.slice(ip.length + 1)).value;
        if (port === 0n) {
          warnings.push(
            `unable to scan port number: ${decodeEscaped(restBytes.subarray(ip.length + 1))}`,
          );
          break;
        }
        udpPort = Number(port % 65536n);
        break;
      }
      default:
        // Unknown kinds, `#` comments and empty lines are ignored.
        break;
    }
  }
  config.udp = udpPort === 0 ? undefined : { address: udpAddress, port: udpPort };
  config.program = new Uint8Array(program);
  return { config, warnings };
}
