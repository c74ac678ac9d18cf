/**
 * sv's command words (runit 2.1.2 src/sv.c main(); spec sv.md "Commands"): mostly the
 * first character decides, some full words are compared exactly.
 */

/** What one command word means. */
export interface SvCommand {
  /** "status" prints; "control" writes `bytes`; "check" only waits. */
  kind: "status" | "control" | "check";
  /** The bytes written to `supervise/control` in one write; for waiting, the conditions. */
  bytes: string;
  /** Waits for the bytes to take effect (always, or only with -v). */
  waits: boolean;
  /** force-* and the capital forms: on timeout print `kill: ` and write `k`. */
  killOnTimeout: boolean;
}

/**
 * Parses a command word; undefined means usage. `verbose` is -v (or -w); `lsb` is the
 * init-script mode, where only the exact word `status` prints status.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./commands.ts";
 * parseCommand("restart", false, false)?.bytes; // "tcu"
 * parseCommand("tXYZ", false, false)?.bytes; // "t"
 * ```
 */
export function parseCommand(
  word: string,
  verbose: boolean,
  lsb: boolean,
): SvCommand | undefined {
  const control = (bytes: string, waits: boolean, kill = false): SvCommand => ({
    kind: "control",
    bytes,
    waits,
    killOnTimeout: kill,
  });
  switch (word[0]) {
    case "x":
    case "e":
      return control("x", verbose);
    case "X":
    case "E":
      return control("x", true, true);
    case "D":
      return control("d", true, true);
    case "T":
      return control("tc", true, true);
    case "c":
      if (word === "check") return { kind: "check", bytes: "C", waits: true, killOnTimeout: false };
      return control("c", verbose);
    case "t":
      if (word === "try-restart") return control("tc", true);
      return control("t", verbose);
    case "u":
    case "d":
    case "o":
    case "p":
    case "h":
    case "a":
    case "i":
    case "k":
    case "q":
    case "1":
    case "2":
      return control(word[0], verbose);
    case "s":
      if (word === "shutdown") return control("x", true);
      if (word === "start") return control("u", true);
      if (word === "stop") return control("d", true);
      if (lsb && word !== "status") return undefined;
      return { kind: "status", bytes: "", waits: false, killOnTimeout: false };
    case "r":
      if (word === "restart") return control("tcu", true);
      if (word === "reload") return control("h", true);
      return undefined;
    case "f":
      if (word === "force-reload") return control("tc", true, true);
      if (word === "force-restart") return control("tcu", true, true);
      if (word === "force-shutdown") return control("x", true, true);
      if (word === "force-stop") return control("d", true, true);
      return undefined;
    default:
      return undefined;
  }
}
