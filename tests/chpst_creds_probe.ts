/**
 * Run by tests/chpst_exec_test.ts in its own Deno process (it drops privileges): checks
 * that every open fd of Deno's own is close-on-exec, then calls setgroups, setgid and
 * setuid as chpst -u does, with the blocking pool busy, and prints every thread's
 * credentials (/proc/self/task/TID/status) as JSON.
 */

import { setgid, setgroups, setuid } from "../ffi/exec.ts";

const O_CLOEXEC = 0o2000000;
// fds the test runner itself inherited (not close-on-exec there either) are not Deno's.
const inherited = new Set((Deno.env.get("PROBE_INHERITED") ?? "").split(",").map(Number));
const leaking: number[] = [];
for (const entry of Deno.readDirSync("/proc/self/fd")) {
  const fd = Number(entry.name);
  if (fd <= 2 || inherited.has(fd)) continue;
  let info: string;
  try {
    info = Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
  } catch {
    continue; // the directory fd of this very listing
  }
  const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)![1]!, 8);
  if ((flags & O_CLOEXEC) === 0) leaking.push(fd);
}

// Keep pool threads alive across the switch.
const pending = Array.from({ length: 4 }, () => Deno.readFile("/proc/self/status"));
setgroups([65534, 100]);
setgid(65534);
setuid(65534);
await Promise.all(pending);
const threads: { tid: string; uid: string; gid: string; groups: string }[] = [];
for (const task of Deno.readDirSync("/proc/self/task")) {
  const status = Deno.readTextFileSync(`/proc/self/task/${task.name}/status`);
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)![1]!;
  threads.push({ tid: task.name, uid: field("Uid"), gid: field("Gid"), groups: field("Groups") });
}
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ leaking, threads }) + "\n"));
