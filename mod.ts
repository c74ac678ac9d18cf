#!/usr/bin/env -S deno run -A
/**
 * denit's single entry point: finds the applet from argv[0] and runs it (ARCHITECTURE.md §1).
 *
 * argv[0] comes from lib/launch.ts (the launcher's `DENIT_ARGV0`, `/proc/self/cmdline`), else
 * libc's `program_invocation_short_name`. When its basename is not an applet, the symlink chain
 * it names is followed (`/etc/init.d/cron -> /usr/bin/sv -> denit` is sv in LSB mode as
 * `cron`); then the first argument is tried (`denit sv status x`, `deno run mod.ts sv …`).
 * It and lib/launch.ts are the only modules that call `Deno.exit`.
 */

import { APPLET_NAMES, APPLETS, isApplet } from "./lib/applet.ts";
import {
  applyMeta,
  guardedMain,
  launchArguments,
  returnToRemovedCwd,
  takeArgv0,
} from "./lib/launch.ts";
import { envValue } from "./lib/env.ts";
import { baseName } from "./lib/msg.ts";
import { writeStderr, writeStdout } from "./lib/output.ts";

const EXIT_UNKNOWN_APPLET = 127; // busybox's convention

/** Follows a symlink chain from `path` until a link's basename is an applet name. */
function appletThroughLinks(path: string): string | undefined {
  let current = path;
  for (let hop = 0; hop < 16 && current.includes("/"); hop++) {
    let target: string;
    try {
      target = Deno.readLinkSync(current);
    } catch {
      return undefined;
    }
    current = target.startsWith("/")
      ? target
      : current.slice(0, current.lastIndexOf("/") + 1) + target;
    const name = baseName(current);
    if (isApplet(name)) return name;
  }
  return undefined;
}

async function libcShortName(): Promise<string> {
  try {
    const { programShortName } = await import("./ffi/libc.ts");
    return programShortName();
  } catch {
    return "";
  }
}

function listApplets(): string {
  return APPLET_NAMES.join("\n") + "\n";
}

/** `denit --install DIR`: a symlink per applet name to this program, as busybox does. */
function installLinks(dir: string, self: string): number {
  for (const name of APPLET_NAMES) {
    const link = `${dir}/${name}`;
    try {
      Deno.removeSync(link);
    } catch {
      // absent is fine
    }
    Deno.symlinkSync(self, link);
  }
  return 0;
}

async function dispatch(): Promise<number> {
  returnToRemovedCwd();
  // The launcher names its applet: its file name is the applet, whatever argv[0] says.
  const fromLauncher = envValue("DENIT_APPLET");
  // The C launcher's own path (argv[0] may be a bare name found through PATH).
  const self = envValue("DENIT_SELF");
  let args: readonly string[] = launchArguments(); // before takeArgv0() settles the env
  let argv0 = takeArgv0();
  if (argv0 === "") argv0 = await libcShortName();

  let applet: string | undefined = fromLauncher !== undefined && isApplet(fromLauncher)
    ? fromLauncher
    : undefined;
  if (applet === undefined) {
    const name = baseName(argv0);
    if (isApplet(name)) applet = name;
    else applet = appletThroughLinks(argv0);
  }
  if (applet === undefined) {
    const first = args[0];
    if (first === "--list") {
      writeStdout(listApplets());
      return 0;
    }
    if (first === "--install") {
      const dir = args[1];
      if (dir === undefined) {
        writeStderr("usage: denit --install DIR\n");
        return 100;
      }
      return installLinks(dir, self ?? argv0);
    }
    if (first !== undefined && isApplet(first)) {
      applet = first;
      argv0 = first;
      args = args.slice(1);
    }
  }
  if (applet === undefined) {
    writeStderr(
      `${
        baseName(argv0) || "denit"
      }: applet not found\nusage: denit APPLET [ARGS...]\napplets:\n${listApplets()}`,
    );
    return EXIT_UNKNOWN_APPLET;
  }
  const module = await APPLETS[applet]!();
  applyMeta(module.meta);
  return await module.main(args, { argv0, name: baseName(argv0) });
}

if (import.meta.main) guardedMain(dispatch);
