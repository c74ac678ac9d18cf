/**
 * The runsvdir host: one process supervising every service directory of a scan directory
 * (ARCHITECTURE.md §2; spec runsvdir.md "Main loop", "Scan"). Where runit forks one runsv
 * per service, this keeps one `Supervisor` object per service in the same process.
 *
 * The loop keeps runit's shape: `stat(dir)` at most once a second; a scan when the
 * directory's mtime, inode or device changed (or a scan is pending); a 5 s period when
 * idle, 1 s while something is pending. On top of it a watch on the directory scans at
 * once when an entry appears or goes (DEVIATIONS.md 14), and SIGALRM forces a rescan as
 * Debian's runsvdir does.
 *
 * Isolation: a supervisor that fails (its start-up throws, or it ends with an error) is
 * reported and started afresh a second later; the others are not touched. A supervisor
 * that ends normally (`sv x`) is started again too, as runsvdir restarts a runsv that
 * exited. A removed service gets `terminate()` (TERM to the service, then its log) and is
 * forgotten.
 *
 * Everything here is synchronous file-system work (statSync, readDirSync): it never waits
 * on Deno's blocking thread pool, which hundreds of supervisors' pipes must not starve.
 */

import { planScan, type ScanEntry } from "./scan.ts";
import { readDirectoryExact, statExact } from "../../ffi/dir.ts";
import { underCurrentDirectory } from "../fs_probe.ts";
import { useEscapedText } from "../escaped_text.ts";
import { formatTai64nText, tai64nNow } from "../tai64n.ts";

/** The part of the Supervisor contract the host uses (lib/supervise/supervisor.ts). */
export interface HostedSupervisor {
  start(): Promise<void>;
  terminate(): Promise<void>;
  readonly finished: Promise<void>;
  kill(): void;
  readonly pids: { service: number; log: number };
}

/** How a supervisor reaches its service directory, and what to release after it ends. */
export interface ServiceDirHandle {
  /** The path given to the supervisor. */
  path: string;
  /** Called once the supervisor for it has ended. */
  release(): void;
}

/** What the host needs from the outside; cmd/runsvdir.ts supplies the real ones. */
export interface HostOptions {
  /** The scan directory, as given on the command line (and as messages name it). */
  dir: string;
  /**
   * The path Deno's file APIs use for `dir` until the next call, asked before each stat of
   * it (cmd/runsvdir.ts opens a name that is not UTF-8 again by its bytes each time, as
   * runit's runsvdir changes into it by name before each scan). Default: `dir` itself.
   */
  reach?(dir: string): string;
  /** Makes a supervisor for service `name` whose directory is `path`. */
  createSupervisor(service: { name: string; path: string }): HostedSupervisor;
  /** Opens service `name` of the scan directory; throws when it cannot. */
  openServiceDir(dir: string, name: string): ServiceDirHandle;
  /** Prints `runsvdir DIR: warning: TEXT[: ERR]`. */
  warn(text: string, err?: unknown): void;
  /** Prints `runsv NAME: fatal: TEXT[: ERR]` (where a dying runsv's message would go). */
  fatal(name: string, text: string, err?: unknown): void;
  /** True for a supervisor's expected start-up failure (SupervisorFatal). */
  isFatal(err: unknown): boolean;
  /** Watch the directory for new entries (default true). */
  watch?: boolean;
  /** Idle rescan period (runit: 5 s). */
  idleMs?: number;
  /** Period while a scan is pending, and the minimum between two stats (runit: 1 s). */
  checkMs?: number;
  /** Delay before a supervisor that ended is started again. */
  restartMs?: number;
  /**
   * How long a service may take to stop before it gets SIGKILL (ARCHITECTURE.md §2;
   * sv's default wait, 7 s). Its log then gets as long again before everything left is
   * killed.
   */
  stopTimeoutMs?: number;
  /** Limit on services (runit: 1000). */
  maxServices?: number;
  /**
   * Called before services are added with the number the host will supervise, so the
   * process can make room for their fds (each holds about a dozen).
   */
  reserveServices?(count: number): void;
  /** Called after each scan (tests). */
  onScan?(): void;
}

interface Service {
  id: string;
  name: string;
  supervisor: HostedSupervisor | undefined;
  handle: ServiceDirHandle | undefined;
  /** Settles when the current supervisor's start() has settled. */
  started: Promise<void>;
  /** False once the supervisor ended or failed: the next scan starts it again. */
  running: boolean;
}

interface DirIdentity {
  mtimeMs: number;
  dev: number;
  ino: number;
}

const WATCH_DEBOUNCE_MS = 5;

/** Supervises the services of one scan directory. */
export class RunsvdirHost {
  readonly #o: HostOptions;
  readonly #services = new Map<string, Service>();
  /** Supervisors of removed services that are still stopping, by service id. */
  readonly #stopping = new Map<string, Promise<void>>();
  #check = true;
  #forced = false;
  /** The last scan could not list the directory (and said so). */
  #listingFailed = false;
  #lastStatMs = -Infinity;
  #remembered: DirIdentity | undefined;
  /** Where `dir` was reached at the last stat (HostOptions.reach). */
  #path: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watcher: Deno.FsWatcher | undefined;
  #watchedIdentity: string | undefined;
  #watchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Watches on the directories holding the symlinks that lead to `dir` (runsvchdir). */
  #linkWatchers: Deno.FsWatcher[] = [];
  #linkParents = "";
  #linkTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #ticking = false;

  constructor(options: HostOptions) {
    this.#o = options;
    this.#path = options.dir;
  }

  /** The services currently known, name by id (tests and diagnostics). */
  get services(): ReadonlyMap<string, { name: string; running: boolean }> {
    return this.#services;
  }

  /** Starts the loop: the first scan happens at once. */
  start(): void {
    this.#tick(true);
  }

  /** SIGALRM (Debian): rescan even if nothing changed, then write `.forced-rescan`. */
  forceRescan(): void {
    this.#forced = true;
    this.#schedule(0);
  }

  /**
   * Stops everything: every service is terminated (each its main service, then its log)
   * and every removed one still stopping is awaited. Resolves when all have ended.
   * `stopTimeoutMs` overrides the option for this stop (a shorter deadline set by whoever
   * will kill this process).
   */
  async stopAll(stopTimeoutMs?: number): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#watchTimer !== undefined) clearTimeout(this.#watchTimer);
    if (this.#linkTimer !== undefined) clearTimeout(this.#linkTimer);
    this.#closeWatcher();
    this.#closeLinkWatchers();
    const all = [...this.#services.values()].map((service) =>
      this.#terminate(service, stopTimeoutMs)
    );
    this.#services.clear();
    await Promise.all([...all, ...this.#stopping.values()]);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick(false);
    }, ms);
  }

  /** One iteration of runit's loop; `urgent` skips the once-a-second stat gate. */
  #tick(urgent: boolean): void {
    if (this.#stopped || this.#ticking) return;
    this.#ticking = true;
    try {
      this.#iterate(urgent);
    } catch (err) {
      // A bug here must not stop supervision: report it and carry on next period.
      this.#o.warn("unable to scan", err);
    } finally {
      this.#ticking = false;
    }
    const checkMs = this.#o.checkMs ?? 1000;
    this.#schedule(this.#check || this.#forced ? checkMs : (this.#o.idleMs ?? 5000));
  }

  #iterate(urgent: boolean): void {
    const now = performance.now();
    const checkMs = this.#o.checkMs ?? 1000;
    if (!urgent && !this.#forced && now - this.#lastStatMs < checkMs - 20) return;
    this.#lastStatMs = now;
    const dir = this.#o.dir;
    this.#path = this.#o.reach?.(dir) ?? dir;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(this.#path);
    } catch (err) {
      this.#o.warn(`unable to stat ${dir}`, err);
      return;
    }
    const identity: DirIdentity = {
      mtimeMs: info.mtime?.getTime() ?? 0,
      dev: info.dev,
      ino: info.ino ?? 0,
    };
    const changed = this.#remembered === undefined ||
      this.#remembered.mtimeMs !== identity.mtimeMs ||
      this.#remembered.dev !== identity.dev || this.#remembered.ino !== identity.ino;
    if (!(this.#check || this.#forced || changed)) return;
    if (!info.isDirectory) {
      // runit's chdir(dir) fails here.
      this.#o.warn(`unable to change directory to ${dir}`, notADirectory());
      return;
    }
    try {
      // runit's chdir(dir): a directory it cannot search. Nothing is remembered, so that
      // it is tried again each second, as runit does, until a chmod (which changes no
      // mtime, and which the watch does not see) lets it in.
      Deno.statSync(`${this.#path}/.`);
    } catch (err) {
      this.#o.warn(`unable to change directory to ${dir}`, err);
      this.#check = true;
      return;
    }
    this.#remembered = identity;
    // Only the look again that follows a change in the current second (below).
    const again = this.#check && !changed && !this.#forced;
    this.#check = false;
    const forced = this.#forced;
    this.#forced = false;
    this.#ensureWatcher(identity);
    this.#scan(again);
    // runit sleeps a second before scanning a directory changed in the current second,
    // so that later changes in that second are not missed; scanning again is the same.
    if (!forced && Date.now() - identity.mtimeMs < 1000) this.#check = true;
    if (forced) this.#writeForcedRescan();
    this.#o.onScan?.();
  }

  /**
   * Lists the directory and starts, keeps or stops a supervisor per entry. `again`: the
   * second look at a directory changed in the second of the first; a listing that fails
   * as it did then is not warned about twice (runit sleeps into the next second and looks
   * once).
   */
  #scan(again = false): void {
    const dir = this.#o.dir;
    const path = this.#path;
    let names: string[] = [];
    try {
      for (const entry of Deno.readDirSync(path)) names.push(entry.name);
      // A name Deno could not decode (U+FFFD) is listed again by its bytes, which the
      // process's text then carries (lib/escaped_text.ts): runsv NAME is reached and
      // named as runit's runsvdir reaches and names it.
      if (names.some((name) => name.includes("\ufffd"))) {
        useEscapedText();
        names = readDirectoryExact(path);
      }
    } catch (err) {
      // As runit after a failed opendir: nothing is removed, and the next try waits for
      // the directory to change (or the watch, or the forced rescan).
      if (!(again && this.#listingFailed)) this.#o.warn(`unable to open directory ${dir}`, err);
      this.#listingFailed = true;
      return;
    }
    this.#listingFailed = false;
    const entries: ScanEntry[] = [];
    for (const name of names) {
      if (name.startsWith(".")) continue;
      try {
        const info = statExact(`${path}/${name}`);
        entries.push(
          info.isDirectory
            ? { name, kind: "directory", dev: info.dev, ino: info.ino ?? 0 }
            : { name, kind: "other" },
        );
      } catch (err) {
        entries.push({ name, kind: "error", error: err });
      }
    }
    const plan = planScan(this.#services, entries, {
      ...(this.#o.maxServices === undefined ? {} : { maxServices: this.#o.maxServices }),
    });
    for (const { name, error } of plan.statErrors) this.#o.warn(`unable to stat ${name}`, error);
    for (const name of plan.tooMany) {
      this.#o.warn(`unable to start runsv ${name}: too many services.`);
    }
    for (const id of plan.remove) {
      const service = this.#services.get(id)!;
      this.#services.delete(id);
      const stopping = this.#terminate(service).finally(() => {
        this.#stopping.delete(id);
        this.#schedule(0); // it may be waiting to come back (same directory re-added)
      });
      this.#stopping.set(id, stopping);
    }
    if (plan.add.length > 0) {
      try {
        this.#o.reserveServices?.(this.#services.size + plan.add.length);
      } catch (err) {
        this.#o.warn("unable to raise the limit on open files", err);
      }
    }
    for (const { id, name } of plan.add) {
      const service: Service = {
        id,
        name,
        supervisor: undefined,
        handle: undefined,
        started: Promise.resolve(),
        running: false,
      };
      this.#services.set(id, service);
      this.#startService(service);
    }
    for (const { id, name } of plan.restart) {
      const service = this.#services.get(id)!;
      if (service.name !== name) {
        // Renamed since it was opened: the new supervisor opens it by its name now.
        service.handle?.release();
        service.handle = undefined;
        service.name = name;
      }
      this.#startService(service);
    }
    if (plan.add.length > 0 || plan.remove.length > 0) this.#check = true;
  }

  #startService(service: Service): void {
    // A removed supervisor of the same directory still holds its lock: wait for it.
    if (this.#stopping.has(service.id)) return;
    service.running = true;
    try {
      service.handle ??= this.#o.openServiceDir(this.#path, service.name);
    } catch (err) {
      // What runsv prints when it cannot chdir into its service directory.
      this.#o.fatal(service.name, "unable to change to directory", err);
      service.running = false;
      this.#retryLater();
      return;
    }
    let supervisor: HostedSupervisor;
    try {
      supervisor = this.#o.createSupervisor({ name: service.name, path: service.handle.path });
    } catch (err) {
      this.#failed(service, undefined, err);
      return;
    }
    service.supervisor = supervisor;
    let start: Promise<void>;
    try {
      start = supervisor.start();
    } catch (err) {
      start = Promise.reject(err);
    }
    service.started = start.then(
      () => {
        supervisor.finished.then(
          () => this.#ended(service, supervisor),
          (err) => this.#failed(service, supervisor, err),
        );
      },
      (err) => this.#failed(service, supervisor, err),
    );
  }

  /** The supervisor ended by itself (`sv x`): start it again, as runsvdir restarts runsv. */
  #ended(service: Service, supervisor: HostedSupervisor): void {
    if (service.supervisor !== supervisor) return;
    service.supervisor = undefined;
    service.running = false;
    this.#retryLater();
  }

  #failed(service: Service, supervisor: HostedSupervisor | undefined, err: unknown): void {
    if (supervisor !== undefined && service.supervisor !== supervisor) return;
    if (this.#o.isFatal(err)) {
      this.#o.fatal(service.name, err instanceof Error ? err.message : String(err));
    } else {
      this.#o.warn(`runsv ${service.name} failed, restarting: ${describe(err)}`);
    }
    try {
      supervisor?.kill();
    } catch {
      // it is being replaced anyway
    }
    service.supervisor = undefined;
    service.running = false;
    this.#retryLater();
  }

  #retryLater(): void {
    this.#check = true;
    this.#schedule(this.#o.restartMs ?? 1000);
  }

  /** Terminates a service's supervisor (after its start settled); releases its directory. */
  async #terminate(service: Service, stopTimeoutMs?: number): Promise<void> {
    service.running = false;
    await service.started.catch(() => {});
    const supervisor = service.supervisor;
    service.supervisor = undefined;
    if (supervisor !== undefined) {
      try {
        await this.#terminateWithin(supervisor, stopTimeoutMs ?? this.#o.stopTimeoutMs ?? 7000);
      } catch (err) {
        this.#o.warn(`runsv ${service.name} failed, restarting: ${describe(err)}`);
        try {
          supervisor.kill();
        } catch {
          // nothing more to do
        }
      }
    }
    service.handle?.release();
    service.handle = undefined;
  }

  /** terminate(), then SIGKILL for a service that ignores TERM, then kill() for the rest. */
  async #terminateWithin(supervisor: HostedSupervisor, timeoutMs: number): Promise<void> {
    let done = false;
    const ended = supervisor.terminate().finally(() => (done = true));
    const wait = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        ended.finally(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    await wait(timeoutMs);
    if (done) return await ended;
    const pid = supervisor.pids.service;
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await wait(timeoutMs);
    if (!done) supervisor.kill();
    await ended;
  }

  #ensureWatcher(identity: DirIdentity): void {
    if (this.#o.watch === false) return;
    this.#ensureLinkWatchers();
    const key = `${identity.dev}:${identity.ino}`;
    if (this.#watcher !== undefined && this.#watchedIdentity === key) return;
    this.#closeWatcher();
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(this.#path, { recursive: false });
    } catch {
      return; // no inotify: the periodic rescan still works
    }
    this.#watcher = watcher;
    this.#watchedIdentity = key;
    (async () => {
      try {
        for await (const event of watcher) {
          // Entries coming and going matter; writes to files in the directory do not.
          if (event.kind !== "modify" && event.kind !== "access") this.#onWatchEvent();
        }
      } catch {
        // closed, or the directory went away: the periodic rescan takes over
      }
      if (this.#watcher === watcher) {
        this.#watcher = undefined;
        this.#watchedIdentity = undefined;
      }
    })();
  }

  #onWatchEvent(): void {
    if (this.#stopped || this.#watchTimer !== undefined) return;
    // Coalesce a burst (mkdir + files, or many services at once) into one scan.
    this.#watchTimer = setTimeout(() => {
      this.#watchTimer = undefined;
      this.#check = true;
      this.#tick(true);
    }, WATCH_DEBOUNCE_MS);
  }

  /**
   * `dir` reached through symlinks (`/etc/service -> /etc/runit/runsvdir/current ->
   * default`): repointing one of them changes what `dir` is without touching the old
   * directory, so the directories holding those links are watched too. Their events only
   * make the host stat `dir` now; it scans when `dir` turned out to be another directory.
   */
  #ensureLinkWatchers(): void {
    const parents = symlinkParents(this.#o.dir);
    const key = parents.join("\0");
    if (key === this.#linkParents) return;
    this.#closeLinkWatchers();
    this.#linkParents = key;
    for (const parent of parents) {
      let watcher: Deno.FsWatcher;
      try {
        watcher = Deno.watchFs(parent, { recursive: false });
      } catch {
        continue;
      }
      this.#linkWatchers.push(watcher);
      (async () => {
        try {
          for await (const event of watcher) {
            if (event.kind !== "modify" && event.kind !== "access") this.#onLinkEvent();
          }
        } catch {
          // closed
        }
      })();
    }
  }

  #onLinkEvent(): void {
    if (this.#stopped || this.#linkTimer !== undefined) return;
    this.#linkTimer = setTimeout(() => {
      this.#linkTimer = undefined;
      this.#tick(true);
    }, WATCH_DEBOUNCE_MS);
  }

  #closeLinkWatchers(): void {
    for (const watcher of this.#linkWatchers) {
      try {
        watcher.close();
      } catch {
        // already closed
      }
    }
    this.#linkWatchers = [];
    this.#linkParents = "";
  }

  #closeWatcher(): void {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    this.#watchedIdentity = undefined;
    try {
      watcher?.close();
    } catch {
      // already closed
    }
  }

  /** Debian: `dir/.forced-rescan` holds `@` and the TAI64N label of the scan. */
  #writeForcedRescan(): void {
    const path = `${this.#path}/.forced-rescan`;
    try {
      Deno.writeTextFileSync(path, formatTai64nText(tai64nNow()), { mode: 0o644 });
    } catch {
      // Debian concatenates the parts without separators, and names no error.
      this.#o.warn(`failed to open./.forced-rescan${formatTai64nText(tai64nNow())}`);
    }
  }
}

/** The directories holding each symlink on the way from `path` to what it names. */
function symlinkParents(path: string): string[] {
  const parents: string[] = [];
  // Deno's lstat and readlink take UTF-8 only: such a name is found by the periodic stat.
  if (!path.isWellFormed()) return parents;
  let current = underCurrentDirectory(path);
  for (let hop = 0; hop < 16; hop++) {
    let target: string;
    try {
      if (!Deno.lstatSync(current).isSymlink) break;
      target = Deno.readLinkSync(current);
    } catch {
      break;
    }
    const slash = current.lastIndexOf("/");
    const parent = slash === -1 ? "." : current.slice(0, slash) || "/";
    if (!parents.includes(parent)) parents.push(parent);
    current = target.startsWith("/") ? target : `${parent}/${target}`;
  }
  return parents;
}

function notADirectory(): Error {
  const err = new Error("not a directory");
  (err as { code?: string }).code = "ENOTDIR";
  return err;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
