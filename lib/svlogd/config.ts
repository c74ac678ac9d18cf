/**
 * A log directory's `config` file (spec svlogd.md §3 step 4 and §4; runit src/svlogd.c
 * logdir_open). Pure: bytes in, settings and warning texts out.
 *
 * Lines end at `\n`; nothing is trimmed; the first byte picks the kind. A final line of
 * exactly one byte without a newline is ignored, as runit's loop (`i + 1 < len`) does.
 */

import { scanUlong } from "../getopt.ts";

/** One `+`, `-`, `e` or `E` line. */
export interface ConfigPattern {
  kind: "+" | "-" | "e" | "E";
  /** The pattern after the kind letter, raw bytes. */
  pattern: Uint8Array;
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
    prefix: new Uint8Array(0),
    udp: undefined,
    udpOnly: false,
  };
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

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
  while (start + 1 < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    const kind = String.fromCharCode(line[0]!);
    const restBytes = line.subarray(1);
    const rest = latin1.decode(restBytes);
    switch (kind) {
      case "s": {
        const digits = /^[0-9]*/.exec(rest)![0];
        let size = scanUlong(rest);
        const suffix = rest[digits.length];
        if (suffix === "k") size *= 1024;
        else if (suffix === "m") size *= 1048576;
        config.sizeMax = size;
        break;
      }
      case "n":
        config.nMax = scanUlong(rest);
        break;
      case "N":
        config.nMin = scanUlong(rest);
        break;
      case "t": {
        const digits = /^[0-9]*/.exec(rest)![0];
        let seconds = scanUlong(rest);
        const suffix = rest[digits.length];
        if (suffix === "m") seconds *= 60;
        else if (suffix === "h") seconds *= 3600;
        config.timeoutSeconds = seconds;
        break;
      }
      case "!":
        if (restBytes.length > 0) config.processor = utf8.decode(restBytes);
        break;
      case "p":
        if (restBytes.length > 0) config.prefix = restBytes.slice();
        break;
      case "+":
      case "-":
      case "e":
      case "E":
        config.patterns.push({ kind, pattern: restBytes.slice() });
        break;
      case "U":
      case "u": {
        // runit sets udp-only before it reads the address (spec §4 quirk).
        if (kind === "U") config.udpOnly = true;
        const ip = scanIp4(rest);
        if (ip === undefined) {
          warnings.push(`unable to scan ip address: ${utf8.decode(restBytes)}`);
          config.udp = undefined;
          break;
        }
        let port = 514;
        if (rest[ip.length] === ":") {
          const portText = rest.slice(ip.length + 1);
          port = scanUlong(portText) % 65536;
          if (port === 0) {
            warnings.push(
              `unable to scan port number: ${utf8.decode(restBytes.subarray(ip.length + 1))}`,
            );
            config.udp = undefined;
            break;
          }
        }
        config.udp = { address: ip.address, port };
        break;
      }
      default:
        // Unknown kinds, `#` comments and empty lines are ignored.
        break;
    }
  }
  return { config, warnings };
}
