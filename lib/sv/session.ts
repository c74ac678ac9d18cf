/**
 * One run of sv over its services: the first pass (status or control) and the waiting
 * rounds, with runit's exact output (runit 2.1.2 src/sv.c; spec sv.md). sv is a short-lived
 * single-purpose process, so unlike a supervisor it may chdir into each service directory
 * as runit's sv does (names are resolved relative to SVDIR or the cwd).
 */

import { closeFd, openFifoForWriting, writeFd } from "../../ffi/fifo.ts";
import {
  chdirExact,
  fchdir,
  O_CLOEXEC,
  O_DIRECTORY,
  O_NONBLOCK,
  O_RDONLY,
  open,
  read,
} from "../../ffi/libc.ts";
import { writeStderr, writeStdout } from "../output.ts";
import { listNames, openStartDirectory } from "../fs_probe.ts";
import { errnoOf, errText, SysError } from "../sys_error.ts";
import type { SvCommand } from "./commands.ts";
import { decodeRawStatus, formatStatusLine, type RawStatus, taiLabel } from "./status_line.ts";
import { ENOENT, ENXIO } from "../errstr.ts";
// Static imports, though only waiting commands use these: the installed sv is one bundle
// either way, and a dynamic import makes the bundler wrap every module in a closure that
// V8 parses a second time when it first runs (`sv status`, first statement to exit:
// ~0.07 ms more, medians of 40).
import { evaluateWait } from "./wait.ts";
import { ignoreInspectorSignal, keepInheritedIgnores } from "../daemon_signals.ts";
import { runCheck } from "./check_script.ts";

const STATUS_SIZE = 20;
/** sv's poll interval while waiting. */
export const POLL_MS = 420;

/** A fatal error: sv prints `fatal: …` and exits 100 (151 in LSB mode). */
export class SvFatal extends Error {
  override name = "SvFatal";
}

/**
 * Runs `call` on an entry of the current directory (listed in `names`; one listing
 * answers both of `sv status`'s probes of a service directory, `down` and `log`) and
 * returns 0 or the errno. An entry not listed is ENOENT
 * without trying: most services have no `down` and no `log`, and the first exception
 * Deno throws costs ~0.5 ms of `sv status`'s start-up-bound time.
 */
function probe(
  name: string,
  call: (path: string) => unknown,
  names: string[] | undefined = listNames("."),
): number {
  // Unlistable directory: ask directly.
  if (names !== undefined && !names.includes(name)) return ENOENT;
  try {
    call(name);
    return 0;
  } catch (err) {
    return errnoOf(err) || ENOENT;
  }
}

/** What a session needs. */
export interface SessionOptions {
  command: SvCommand;
  services: string[];
  lsb: boolean;
  svdir: string;
  /** Timeout in seconds. */
  wait: number;
}

type Read = { r: 1; status: RawStatus; termByte: number } | { r: 0 } | { r: -1 };

/**
 * Runs sv; returns the exit code. Synchronous unless the command waits: `sv status` is
 * start-up bound, and a promise chain to the exit costs it ~0.1 ms (measured).
 */
export function runSession(options: SessionOptions): number | Promise<number> {
  return new Session(options).run();
}

class Session {
  readonly #o: SessionOptions;
  #rc = 0;
  #name = "";
  #isLog = false;
  #out = "";
  /** An fd on the starting directory, when sv goes back to it. */
  #origin = -1;
  #startMs = Date.now();
  #nowMs = this.#startMs;

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  #nowLabel(): bigint {
    return taiLabel(BigInt(Math.floor(this.#nowMs / 1000)));
  }

  #outs(text: string): void {
    this.#out += text;
  }

  #flush(text = ""): void {
    this.#out += text;
    if (this.#out !== "") writeStdout(this.#out);
    this.#out = "";
  }

  /** runit out(): PREFIX NAME[/log]: TEXT[: ERR]\n */
  #line(prefix: string, text: string, err?: unknown): void {
    const suffix = err === undefined ? "" : `: ${errText(err)}`;
    this.#flush(`${prefix}${this.#name}${this.#isLog ? "/log" : ""}: ${text}${suffix}\n`);
  }

  #fail(text: string, err?: unknown): void {
    this.#rc++;
    this.#line("fail: ", text, err);
  }

  #warn(text: string, err?: unknown): void {
    this.#rc++;
    this.#line("warning: ", text, err);
  }

  #ok(text: string): void {
    this.#line("ok: ", text);
  }

  #notRunning(): void {
    if (this.#o.command.bytes[0] === "x") this.#ok("runsv not running");
    else this.#fail("runsv not running");
  }

  run(): number | Promise<number> {
    const { command } = this.#o;
    const services: (string | undefined)[] = [...this.#o.services];
    // runit's sv opens "." first, whatever follows (a starting directory the user cannot
    // read or search is fatal; a removed one is fine), and goes back to it with fchdir
    // after each service. One service and nothing to wait for leave nothing to go back
    // for: then "." is only opened and closed (no FFI: `sv status DIR` is start-up bound).
    const returns = services.length > 1 || command.waits;
    try {
      if (returns) this.#origin = open(".", O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC);
      else openStartDirectory();
    } catch (err) {
      throw new SvFatal(`unable to open current directory: ${errText(err)}`);
    }
    for (let i = 0; i < services.length; i++) {
      this.#name = services[i]!;
      if (!this.#enter(this.#name, true)) services[i] = undefined;
      else if (command.kind === "status") {
        const code = this.#status();
        if (code !== undefined) return code;
      } else if (command.kind === "control" && this.#control(command.bytes) === -1) {
        services[i] = undefined;
      }
      if (returns) this.#back();
    }
    return command.waits ? this.#wait(services) : Math.min(this.#rc, 99);
  }

  /** The waiting rounds after the first pass; `services` holds the ones still waited for. */
  async #wait(services: (string | undefined)[]): Promise<number> {
    const { command } = this.#o;
    let armed = false;
    const startLabel = taiLabel(BigInt(Math.floor(this.#startMs / 1000)));
    for (;;) {
      const elapsed = (this.#nowMs - this.#startMs) / 1000;
      let done = true;
      for (let i = 0; i < services.length; i++) {
        const name = services[i];
        if (name === undefined) continue;
        this.#name = name;
        if (!this.#enter(name, false)) {
          services[i] = undefined;
        } else {
          const read = this.#read();
          const result = read.r === -1 ? -1 : evaluateWait(
            command.bytes,
            read.r === 1 ? read.status : undefined,
            { startLabel, check: () => this.#checkScript() },
          );
          if (result !== 0) {
            if (result === 1 && read.r === 1) {
              this.#flush(`ok: ${this.#statusLine(read.status, name) ?? ""}\n`);
            }
            services[i] = undefined;
          } else {
            done = false;
          }
        }
        if (services[i] !== undefined && elapsed > this.#o.wait) {
          this.#outs(command.killOnTimeout ? "kill: " : "timeout: ");
          const read = this.#read();
          if (read.r > 0 && read.r === 1) {
            this.#outs(this.#statusLine(read.status, name) ?? "");
            this.#rc++;
          }
          this.#flush("\n");
          if (command.killOnTimeout) this.#control("k");
          services[i] = undefined;
        }
        this.#back();
      }
      if (done) break;
      if (!armed) {
        // Waiting can outlive Deno's arming of its own signal handlers (~0.5 s): an
        // inherited SIG_IGN stays, and SIGUSR1 may not open V8's inspector
        // (lib/daemon_signals.ts). Set up after the first round, which runit's sv runs
        // right after its write (it took ~40 ms before: a signal the command sent could
        // already have been handled, and the round saw runsv's answer, not the old state).
        keepInheritedIgnores([]);
        ignoreInspectorSignal();
        armed = true;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      this.#nowMs = Date.now();
    }
    return Math.min(this.#rc, 99);
  }

  /** chdir into a service; `firstPass` selects runit's (slightly different) name rule. */
  #enter(name: string, firstPass: boolean): boolean {
    const underSvdir = firstPass
      ? name !== "" && name[0] !== "/" && name[0] !== "." && !name.endsWith("/")
      : name[0] !== "/" && name[0] !== ".";
    try {
      if (underSvdir) {
        if (this.#o.svdir === "") throw Object.assign(new Error("empty"), { code: "ENOENT" });
        chdirExact(this.#o.svdir);
      }
      if (name === "") throw Object.assign(new Error("empty"), { code: "ENOENT" });
      chdirExact(name); // a name that was not UTF-8 is reached by its bytes
      return true;
    } catch (err) {
      this.#fail("unable to change to service directory", err);
      return false;
    }
  }

  #back(): void {
    try {
      fchdir(this.#origin);
    } catch (err) {
      this.#flush();
      throw new SvFatal(`unable to change to original directory: ${errText(err)}`);
    }
  }

  /** runit svstatus_get(): liveness through `ok`, then one read of `status`. */
  #read(): Read {
    let ok: number;
    try {
      ok = openFifoForWriting("supervise/ok");
    } catch (err) {
      if (errnoOf(err) === ENXIO) {
        this.#notRunning();
        return { r: 0 };
      }
      this.#warn("unable to open supervise/ok", err);
      return { r: -1 };
    }
    closeFd(ok);
    let fd: number;
    try {
      // O_NONBLOCK, as runit's open_read: a FIFO here reads as empty ("bad format") where
      // a plain open would wait for a writer for ever.
      fd = open("supervise/status", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } catch (err) {
      this.#warn("unable to open supervise/status", err);
      return { r: -1 };
    }
    const bytes = new Uint8Array(STATUS_SIZE);
    let n: number;
    try {
      n = read(fd, bytes);
    } catch (err) {
      this.#warn("unable to read supervise/status", err);
      return { r: -1 };
    } finally {
      closeFd(fd);
    }
    if (n !== STATUS_SIZE) {
      this.#warn("unable to read supervise/status: bad format");
      return { r: -1 };
    }
    return { r: 1, status: decodeRawStatus(bytes), termByte: bytes[18]! };
  }

  /** The status line, or undefined when `down` cannot be stat'ed (warning on stderr). */
  #statusLine(
    status: RawStatus,
    shownName: string,
    names?: string[] | undefined,
  ): string | undefined {
    const code = probe("down", (path) => Deno.statSync(path), names);
    if (code !== 0 && code !== ENOENT) {
      // runit's sv names the service's own down here, also for the log's (`NAME/down`).
      writeStderr(
        `warning: unable to stat ${this.#name}/down: ${errText(new SysError("stat", code))}\n`,
      );
      return undefined;
    }
    const normallyUp = code === ENOENT;
    return formatStatusLine(status, { name: shownName, nowLabel: this.#nowLabel(), normallyUp });
  }

  /** `sv status` for one service; returns an exit code when LSB mode ends sv here. */
  #status(): number | undefined {
    const read = this.#read();
    if (read.r === -1 && this.#o.lsb) return 4;
    if (read.r !== 1) return undefined;
    const names = listNames(".");
    const line = this.#statusLine(read.status, this.#name, names);
    this.#outs(line ?? "");
    const mainCode = line === undefined ? 4 : read.status.pid !== 0 ? 0 : 3;
    const logErrno = probe("log", (path) => Deno.chdir(path), names);
    const logDir = logErrno === 0;
    if (logErrno === ENOENT) {
      this.#outs("\n");
    } else if (!logDir) {
      this.#outs("; ");
      this.#isLog = true;
      this.#warn("unable to change directory", new SysError("chdir", logErrno));
      this.#isLog = false;
    }
    if (logDir) {
      this.#outs("; ");
      this.#isLog = true;
      const log = this.#read();
      // runit 2.1.2 printed the main record again as `log` after a read warning
      // (spec DEVIATIONS.md item 9): only a record actually read is printed.
      if (log.r === 1) this.#outs(`${this.#statusLine(log.status, "log") ?? ""}\n`);
      this.#isLog = false;
    }
    this.#flush();
    // LSB status: the main service decides (spec DEVIATIONS.md item 2).
    return this.#o.lsb ? mainCode : undefined;
  }

  /** runit control(): skip rule, then all bytes in one write to `control`. */
  #control(bytes: string): number {
    const read = this.#read();
    if (read.r !== 1) return -1;
    if (read.status.want === bytes[0] && (bytes[0] !== "d" || read.termByte === 1)) return 0;
    let fd: number;
    try {
      fd = openFifoForWriting("supervise/control");
    } catch (err) {
      if (errnoOf(err) === ENXIO) this.#notRunning();
      else this.#warn("unable to open supervise/control", err);
      return -1;
    }
    const data = new TextEncoder().encode(bytes);
    let written = -1;
    let error: unknown;
    try {
      written = writeFd(fd, data);
    } catch (err) {
      error = err;
    }
    closeFd(fd);
    if (written !== data.length) {
      this.#warn("unable to write to supervise/control", error);
      return -1;
    }
    return 0;
  }

  /** runit checkscript(): `./check` with stdout closed; missing or exec failure pass. */
  #checkScript(): boolean {
    try {
      Deno.statSync("check");
    } catch (err) {
      if (errnoOf(err) === ENOENT) return true;
      writeStderr(`warning: unable to stat ${this.#name}/check: ${errText(err)}\n`);
      return false;
    }
    return runCheck(this.#name);
  }
}
