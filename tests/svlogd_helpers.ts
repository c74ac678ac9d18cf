/**
 * Helpers for the svlogd tests: run an svlogd (ours or Debian's) on given input, and
 * snapshot a log directory with timestamps normalised so both can be compared.
 */

import { bin, exists, haveDebianRunit, killAfter } from "./_helpers.ts";

export const DEBIAN_SVLOGD = "/usr/bin/svlogd";

/** Whether Debian's svlogd is installed (side-by-side cases need it). */
export function haveDebianSvlogd(): boolean {
  return exists(DEBIAN_SVLOGD) && haveDebianRunit();
}

/** Our installed svlogd launcher. */
export function ourSvlogd(): Promise<string> {
  return bin("svlogd");
}

/** The result of one finished svlogd. */
export interface SvlogdResult {
  code: number;
  stderr: string;
}

/** Runs `cmd args` in `cwd` with `stdin` as input; killed after `timeoutMs`. */
export async function runSvlogd(
  cmd: string,
  args: readonly string[],
  options: { cwd: string; stdin?: string | Uint8Array; timeoutMs?: number },
): Promise<SvlogdResult> {
  const child = new Deno.Command(cmd, {
    args: [...args],
    cwd: options.cwd,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin ?? new Uint8Array(0);
  const timer = killAfter(child, options.timeoutMs ?? 20_000);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(input).catch(() => {});
    await writer.close().catch(() => {});
    const out = await child.output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

const TAI_LABEL = /@4000000[0-9a-f]{17}/g;
const HUMAN_STAMP = /\d{4}-\d\d-\d\d[_T]\d\d:\d\d:\d\d\.\d{5}/g;

/** Replaces every svlogd stamp and `@` file name by a placeholder. */
export function normalise(text: string): string {
  return text.replace(TAI_LABEL, "@STAMP").replace(HUMAN_STAMP, "STAMP");
}

/**
 * A log directory's names in order, each with the name to show: rotated names numbered
 * in order (`@#1.s`), the rest as they are.
 */
export function shownNames(dir: string): { name: string; shown: string }[] {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  let n = 0;
  return names.map((name) => ({
    name,
    shown: /^@[0-9a-f]{24}\./.test(name) ? `@#${++n}${name.slice(25)}` : name,
  }));
}

/** A log directory's files: names (rotated names numbered in order), modes, contents. */
export function snapshot(dir: string): string[] {
  return shownNames(dir).map(({ name, shown }) => {
    const path = `${dir}/${name}`;
    const stat = Deno.lstatSync(path);
    if (stat.isDirectory) return `${shown}/`;
    const mode = ((stat.mode ?? 0) & 0o777).toString(8);
    const content = normalise(new TextDecoder().decode(Deno.readFileSync(path)));
    return `${shown} ${mode} ${JSON.stringify(content)}`;
  });
}

/** Lines of text (for readable comparisons). */
export function lines(count: number, width: number, tag = "l"): string {
  let text = "";
  for (let i = 0; i < count; i++) {
    const head = `${tag}${i}:`;
    text += head + "x".repeat(Math.max(0, width - head.length - 1)) + "\n";
  }
  return text;
}

/** A running svlogd with its stdin held open by the test. */
export interface RunningSvlogd extends AsyncDisposable {
  pid: number;
  write(text: string | Uint8Array): Promise<void>;
  closeInput(): Promise<void>;
  signal(sig: Deno.Signal): void;
  stderr(): string;
  /**
   * Resolves with the exit code (after closeInput() or a signal); rejects after
   * `timeoutMs`, svlogd then killed, so that a hang fails the test instead of stalling it.
   */
  exit(timeoutMs?: number): Promise<number>;
}

/** Starts `cmd args` in `cwd` reading from a pipe the test writes. */
export function startSvlogd(cmd: string, args: readonly string[], cwd: string): RunningSvlogd {
  const child = new Deno.Command(cmd, {
    args: [...args],
    cwd,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let err = "";
  const pump = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) err += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  let inputOpen = true;
  let finished = false;
  const status = child.status.then((s) => {
    finished = true;
    return s;
  });
  return {
    pid: child.pid,
    async write(text) {
      await writer.write(typeof text === "string" ? new TextEncoder().encode(text) : text);
    },
    async closeInput() {
      if (!inputOpen) return;
      inputOpen = false;
      await writer.close().catch(() => {});
    },
    signal(sig) {
      try {
        child.kill(sig);
      } catch {
        // gone
      }
    },
    stderr: () => err,
    async exit(timeoutMs = 20_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // gone
          }
          reject(new Error(`${cmd} did not exit within ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
      });
      try {
        const s = await Promise.race([status, late]);
        await pump;
        return s.code;
      } finally {
        clearTimeout(timer);
      }
    },
    async [Symbol.asyncDispose]() {
      if (!finished) {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }
      if (inputOpen) {
        inputOpen = false;
        await writer.close().catch(() => {});
      }
      await status;
      await pump;
    },
  };
}

/** The names in a directory that match a pattern, sorted. */
export function namesIn(dir: string, pattern: RegExp): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => pattern.test(n)).sort();
}

/** Bytes a process has read through read(2) and the like (/proc/PID/io, rchar). */
export function bytesRead(pid: number): number {
  const io = Deno.readTextFileSync(`/proc/${pid}/io`);
  return Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? 0);
}
