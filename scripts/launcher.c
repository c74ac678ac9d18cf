/*
 * denit launcher: runs one applet from source with the pinned Deno. One static binary,
 * hard-linked as PREFIX/bin/NAME for every applet (scripts/install.sh builds it; without
 * a C compiler the launchers are #!/bin/sh scripts doing the same).
 *
 * Built two ways from this one file, the first that works on the machine:
 *   - freestanding (-DDENIT_FREESTANDING -nostdlib, x86-64 and arm64): its own _start and
 *     raw system calls, no C library at all. A static glibc's start-up (TLS, IRELATIVE
 *     relocations, tunables, a 680 kB image to fault in) costs ~0.3 ms of every applet's
 *     run; this binary execs Deno ~0.06 ms after its own exec (/bin/true behind a launcher,
 *     medians of 200: direct 0.66 ms, this way 0.72, static glibc 1.00, dynamic 1.12);
 *   - hosted (cc -static): the same code over glibc's syscall(), elsewhere.
 *
 * It execs, in the same process,
 *   PREFIX/lib/denit/deno run -A --cached-only [FLAGS] --no-config --no-lock ENTRY ARGS...
 * with these variables added to the environment it was given (same order, any earlier
 * ones of these names dropped; lib/launch.ts removes them all at start):
 *   DENIT_ARGV0   argv[0] exactly as the caller gave it (Deno's own argv[0] is the deno
 *                 path): usage lines then say what the caller typed, as runit's do
 *   DENIT_APPLET  the applet (none for the generic `denit` launcher)
 *   DENIT_LAUNCHER=1, DENO_DIR=PREFIX/lib/denit/cache, DENO_NO_UPDATE_CHECK=1
 *   DENIT_CALLERS=1 when the caller's DENO_* variables travel as DENIT_CALLER_DENO_*
 *   DENIT_TRIMMED_ARGS=1 when an argument ends with a carriage return, which Deno drops
 *   DENIT_SELF    the generic launcher's own path (`denit --install DIR` links to it)
 *   DENIT_CWD_FD  when the current directory has been removed: an fd on it, Deno
 *                 started in "/" (see keep_removed_cwd)
 *   DENIT_SIGNALS with SIGNALS (install.sh: every applet): "IGN:BLK", the ignored and
 *                 blocked signal sets it inherited as hex kernel masks (bit n-1 for
 *                 signal n, as SigIgn and SigBlk in /proc/PID/status). Deno ignores
 *                 SIGPIPE before any JS runs and replaces an ignored HUP, INT or TERM
 *                 later: chpst passes the state on, the others keep those ignores.
 *   DENIT_RLIMITS when it raised soft resource limits Deno cannot start under, or the
 *                 open-files one is below its hard limit (see fit_limits):
 *                 "RESOURCE:SOFT,..." in decimal, the soft limits it was given, which
 *                 the applet gives back to its children and chpst to its program.
 *   DENIT_CLOSED_FDS when the caller left any of fds 0-2 closed: their numbers ("02").
 *                 Deno opens /dev/null on them before any JavaScript runs, so chpst
 *                 learns here that `-0` has nothing to close, and closes them again
 *                 for its program (see closed_stdio).
 *
 * The applet is this file's name, never argv[0] (`chpst -b NAME` and `exec -a` change
 * argv[0]): the path the kernel ran (AT_EXECFN) with symlinks followed, so that
 * /etc/init.d/cron -> /usr/bin/sv runs sv, as the sh launcher reached through a link did.
 * A name that is no applet runs the generic dispatch (mod.ts), which goes by argv[0].
 *
 * Compile-time settings (-D): DENIT_PREFIX "PREFIX" and DENIT_TABLE "FILE", a C file
 * install.sh writes with one line per applet:
 *   { "sv", "entry/sv.js", SHORT_LIVED },
 *   { "chpst", "entry/chpst.js", SHORT_LIVED | SIGNALS | QUICK_E, "entry/chpst-quick.js" },
 * where SHORT_LIVED adds --no-code-cache --v8-flags=--single-threaded and SIGNALS passes
 * DENIT_SIGNALS (see install.sh for why); PID1, WAITS and LISTENS block signals before
 * the exec (block_runit_signals, block_wait_signals, block_listened_signals). A fourth field is a quick entry for one shape
 * of command line (QUICK_E: `-e DIR PROG...`; QUICK_ARGS: `DIR PROG...`), run with
 * --no-lazy and --jitless added to the V8 flags; it checks the command line itself and
 * loads the applet's own entry for anything it does not carry out (lib/chpst/quick.ts).
 * DENIT_PROBE builds install.sh's probe instead: it finds its own applet and exits 42.
 * If Deno cannot be run: runit's message shape on stderr and exit 111.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#ifdef DENIT_PROBE
#define DENIT_PREFIX ""
#endif
#ifndef DENIT_PREFIX
#error "build with -DDENIT_PREFIX='\"/usr/local\"' -DDENIT_TABLE='\"table.h\"'"
#endif

/* ---- system calls: the only part that differs between the two builds ---- */

#ifdef DENIT_FREESTANDING
/* sys6(): the kernel directly, shared with scripts/spawn.c. */
#include "raw_syscall.h"

/* The compiler may emit calls to these for copies and clears, even freestanding. */
void *memcpy(void *to, const void *from, size_t n) {
  char *t = to;
  const char *f = from;
  while (n--) *t++ = *f++;
  return to;
}
void *memset(void *to, int byte, size_t n) {
  char *t = to;
  while (n--) *t++ = (char)byte;
  return to;
}
#else
#include <unistd.h>
static long sys6(long number, long a, long b, long c, long d, long e, long f) {
  long result = syscall(number, a, b, c, d, e, f);
  return result == -1 ? -errno : result;
}
#endif

static long sys(long number, long a, long b, long c, long d) {
  return sys6(number, a, b, c, d, 0, 0);
}

/* ---- strings ---- */

static size_t length(const char *text) {
  size_t n = 0;
  while (text[n] != '\0') n++;
  return n;
}

static int same(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) a++, b++;
  return *a == *b;
}

static int starts_with(const char *text, const char *prefix) {
  while (*prefix != '\0') {
    if (*text++ != *prefix++) return 0;
  }
  return 1;
}

static char *copy_to(char *to, const char *from) {
  while (*from != '\0') *to++ = *from++;
  return to;
}

static const char *base_name(const char *path) {
  const char *name = path;
  for (const char *at = path; *at != '\0'; at++) {
    if (*at == '/') name = at + 1;
  }
  return name;
}

/* ---- the applet ---- */

#define SHORT_LIVED 1 /* --no-code-cache --v8-flags=--single-threaded */
#define SIGNALS 2     /* pass DENIT_SIGNALS */
#define QUICK_E 4     /* `-e DIR PROG...` runs the quick entry */
#define QUICK_ARGS 8  /* `DIR PROG...` runs the quick entry */
#define PID1 16       /* as process 1: HUP, INT, TERM and CONT blocked until runit unblocks */
#define WAITS 32      /* CHLD and TERM blocked: runsv takes them from a signalfd */
#define LISTENS 64    /* HUP, ALRM and TERM blocked until svlogd's listeners exist */

struct applet {
  const char *name;
  const char *entry; /* under PREFIX/lib/denit/src/ */
  int flags;
  /* An entry for one common shape of command line, compiled at load (--no-lazy): nearly
     all of it runs. It checks the shape again and loads `entry` for anything else. */
  const char *quick;
};

static const struct applet applets[] = {
#ifdef DENIT_TABLE
#include DENIT_TABLE
#endif
    {NULL, NULL, 0},
};

/* The generic launcher (`denit`, or a name that is no applet): mod.ts dispatches. */
static const struct applet generic = {"denit", "mod.ts", SIGNALS};

#define LIB DENIT_PREFIX "/lib/denit"

static const struct applet *find_applet(const char *name) {
  for (const struct applet *applet = applets; applet->name != NULL; applet++) {
    if (same(applet->name, name)) return applet;
  }
  return NULL;
}

/*
 * The name of the file `ran` leads to: symlinks followed to the end, as realpath(3) would
 * resolve it (a link's relative target is taken from the link's directory; links among
 * the directories on the way the kernel follows itself). On an error, `ran`'s own name.
 */
static const char *resolved_name(const char *ran) {
  static char link[PATH_MAX];
  static char paths[2][PATH_MAX];
  const char *path = ran;
  int next = 0; /* the buffer of paths[] that `path` is not in */
  for (int hops = 0; hops < 40; hops++) {
    long n = sys(SYS_readlinkat, AT_FDCWD, (long)path, (long)link, PATH_MAX - 1);
    if (n == -EINVAL) return base_name(path); /* not a link: the end */
    if (n < 0) break;
    link[n] = '\0';
    /* the link's target, or dir(path) + target for a relative one */
    size_t dir = link[0] == '/' ? 0 : (size_t)(base_name(path) - path);
    if (dir + (size_t)n >= PATH_MAX) break;
    char *to = paths[next];
    for (size_t i = 0; i < dir; i++) to[i] = path[i];
    for (size_t i = 0; i <= (size_t)n; i++) to[dir + i] = link[i];
    path = to;
    next ^= 1;
  }
  return base_name(ran);
}

/* Whether this command line has the shape of the applet's quick entry (see QUICK_*). */
static int takes_quick(const struct applet *applet, int argc, char **argv) {
  if (applet->quick == NULL) return 0;
  if (applet->flags & QUICK_E) return argc >= 4 && same(argv[1], "-e") && argv[3][0] != '-';
  if (applet->flags & QUICK_ARGS) return argc >= 3;
  return 0;
}

static const struct applet *own_applet(const char *ran) {
  if (ran == NULL) return &generic;
  const struct applet *found = find_applet(resolved_name(ran));
  return found ? found : &generic;
}

/* The kernel's signal sets, as /proc/PID/status prints them (bit n-1 for signal n). */
static void signal_masks(unsigned long long *ignored, unsigned long long *blocked) {
  /* struct kernel_sigaction for rt_sigaction(2) (x86-64 and arm64 layout) */
  struct {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long long mask;
  } action;
  *ignored = 0;
  for (int signal = 1; signal <= 64; signal++) {
    if (sys(SYS_rt_sigaction, signal, 0, (long)&action, 8) == 0 &&
        action.handler == (void *)SIG_IGN) {
      *ignored |= 1ULL << (signal - 1);
    }
  }
  *blocked = 0;
  sys(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)blocked, 8);
}

/*
 * As process 1, C runit blocks HUP, INT, TERM and CONT first thing and unblocks INT and
 * CONT only once it can act on them (HUP and TERM stay blocked). Deno installs handlers
 * of its own for HUP, INT and TERM about 500 ms after it starts; one of those signals
 * arriving between then and runit's listeners would crash Deno, and process 1 with it
 * (DENO-NOTES.md §8). Blocked here, such a signal waits: lib/runit/pid1.ts unblocks INT
 * and CONT once its listeners exist. The mask passes through the exec, and Deno's
 * threads, made by this one, start with it; stages and services get an empty mask.
 */
static void block_runit_signals(void) {
  unsigned long long mask = 1ULL << (SIGHUP - 1) | 1ULL << (SIGINT - 1) |
                            1ULL << (SIGTERM - 1) | 1ULL << (SIGCONT - 1);
  sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, 8);
}

/*
 * runsv, alone in its process, waits as C runsv does: blocked in one poll(2) on its
 * control FIFOs and a signalfd for CHLD and TERM, with no thread of Deno's between the
 * kernel and its code (lib/supervise/signal_wait.ts). A signalfd sees a signal only
 * while every thread blocks it; blocked here, before Deno makes any thread, they all do.
 * DENIT_SIGNALS still carries the mask as it was given; children get an empty one.
 */
static void block_wait_signals(void) {
  unsigned long long mask = 1ULL << (SIGCHLD - 1) | 1ULL << (SIGTERM - 1);
  sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, 8);
}

/*
 * C svlogd catches HUP, ALRM and TERM first thing; Deno runs no listener of svlogd's for
 * its first ~100-200 ms, and HUP or ALRM then kill it (their default action). Blocked
 * here, one that comes early waits: cmd/svlogd.ts unblocks them (those the caller did not
 * block itself) once its listeners exist. Processors get an empty mask.
 */
static void block_listened_signals(void) {
  unsigned long long mask = 1ULL << (SIGHUP - 1) | 1ULL << (SIGALRM - 1) |
                            1ULL << (SIGTERM - 1);
  sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, 8);
}

/*
 * A long-running applet must never open V8's inspector, which Deno arms on SIGUSR1 about
 * 500 ms after start (a root shell for any local user, DENO-NOTES.md §11). The applet
 * sets SIGUSR1 to ignored once Deno has armed it (lib/daemon_signals.ts), but a SIGUSR1
 * in between still opens the port (seen once: process 1 under a storm of random signals,
 * on a slow machine). Blocked before the exec, in every thread, it is never delivered.
 * Children get an empty mask; chpst and the other short-lived applets are left alone.
 */
static void block_inspector_signal(void) {
  unsigned long long mask = 1ULL << (SIGUSR1 - 1);
  sys(SYS_rt_sigprocmask, SIG_BLOCK, (long)&mask, 0, 8);
}

static char *hex(char *to, unsigned long long value) {
  static const char digits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) *to++ = digits[(value >> shift) & 15];
  return to;
}

/*
 * The caller's DENO_* variables (a Deno program among the services may want DENO_DIR or
 * DENO_V8_FLAGS) must neither steer the Deno that runs the applet (DENO_V8_FLAGS=--help
 * printed V8's help instead of running chpst, DENO_LOG its debug lines) nor be lost to
 * what the applet starts: they travel renamed, in place, with DENIT_CALLERS=1 added, and
 * lib/launch.ts renames them back.
 */
static const char caller_prefix[] = "DENIT_CALLER_";

static int is_callers_deno(const char *entry) { return starts_with(entry, "DENO_"); }

static int is_ours(const char *entry) {
  static const char *const names[] = {
      "DENIT_ARGV0=",  "DENIT_APPLET=", "DENIT_LAUNCHER=",       "DENIT_SELF=",
      "DENIT_SIGNALS=", "DENIT_CALLER_", "DENIT_CWD_FD=",         "DENIT_RLIMITS=",
      "DENIT_CALLERS=", "DENIT_TRIMMED_ARGS=", "DENIT_CLOSED_FDS="};
  if (entry[0] != 'D') return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (starts_with(entry, names[i])) return 1;
  }
  return 0;
}

/*
 * DENIT_CLOSED_FDS=... naming the fds of 0-2 the caller left closed, or NULL when all
 * are open. runit's tools see such an fd closed (`chpst -0` then fails with EBADF, a
 * program it starts finds it closed); Deno's start opens /dev/null on it.
 */
static char *closed_stdio(void) {
  static char text[sizeof "DENIT_CLOSED_FDS=012"];
  char *at = copy_to(text, "DENIT_CLOSED_FDS=");
  const char *digits = at;
  for (int fd = 0; fd <= 2; fd++) {
    if (sys(SYS_fcntl, fd, F_GETFD, 0, 0) == -EBADF) *at++ = (char)('0' + fd);
  }
  *at = '\0';
  return at == digits ? NULL : text;
}

/* runit's wording for the errno values an exec can plausibly give (lib/errstr.ts). */
static const char *error_text(long code) {
  switch (code) {
  case ENOENT: return "file does not exist";
  case EACCES: return "access denied";
  case EPERM: return "permission denied";
  case ENOMEM: return "out of memory";
  case ENOEXEC: return "exec format error";
  case ETXTBSY: return "text busy";
  case EIO: return "input/output error";
  case ENOTDIR: return "not a directory";
  case EISDIR: return "is a directory";
  case ELOOP: return "too many symbolic links";
  case E2BIG: return "argument list too long";
  default: return "unknown error";
  }
}

static void say(const char *text) { sys(SYS_write, 2, (long)text, (long)length(text), 0); }

static int fail(const char *prog, const char *what, long code) {
  say(prog);
  say(": fatal: unable to run: ");
  say(what);
  say(": ");
  say(error_text(code));
  say("\n");
  return 111;
}

/*
 * Deno reads the current directory's path before any JavaScript runs, and cannot start in
 * one that has been removed (C runit's tools can: a `finish` script in a deleted service
 * directory runs sv). Such a directory is kept open (not close-on-exec), Deno starts in
 * "/", and lib/launch.ts changes back into it and closes the fd. Returns the fd, or -1
 * when the directory is there (or cannot be kept: then Deno reports it).
 */
static long keep_removed_cwd(void) {
  static char path[PATH_MAX];
  if (sys(SYS_getcwd, (long)path, sizeof path, 0, 0) != -ENOENT) return -1;
  long fd = sys(SYS_openat, AT_FDCWD, (long)".", O_PATH | O_DIRECTORY, 0);
  if (fd < 0) return -1;
  if (sys(SYS_chdir, (long)"/", 0, 0, 0) != 0) {
    sys(SYS_close, fd, 0, 0, 0);
    return -1;
  }
  return fd;
}

static char *decimal(char *to, unsigned long value) {
  char digits[24];
  int n = 0;
  do digits[n++] = (char)('0' + value % 10); while ((value /= 10) != 0);
  while (n > 0) *to++ = digits[--n];
  return to;
}

/*
 * Resource limits. V8 reserves ~35 GB of address space at start, ~600 MB of it writable,
 * and Deno opens ~25 files and starts ~8 threads of its own: under the limits run scripts
 * put around a program (`chpst -m`, `softlimit -m`, `chpst -p`, `ulimit -n`) it dies
 * before any JavaScript runs,
 * with a crash report or a message about PID limits. runit's chpst and softlimit set soft
 * limits only, so Deno's process can have its soft limits raised; the applet then gives
 * the limits it was given back to every child it starts and chpst to its program
 * (DENIT_RLIMITS, lib/launch.ts). Only a hard memory limit below what Deno needs stops it
 * here, with a message that says so. The open-files limit is passed on whenever its soft limit
 * is below the hard one: Deno raises it to the hard limit at start-up in any case, and
 * runit's tools pass on the one they were given.
 */
struct limit_need {
  int resource;
  unsigned long long least; /* below this Deno does not start (measured, with a margin) */
  unsigned long long raise_to; /* the new soft limit, or the hard limit when lower */
  const char *name;
};

static const struct limit_need limit_needs[] = {
    /* V8 reserves ~35 GB at start, but Oilpan's caged heap sometimes fails to reserve
     * below 64 GiB (`chpst true` under 37-48 GiB: 5 V8 crashes in 120 runs; none in 100
     * at 64 GiB, 11-27). */
    {RLIMIT_AS, 64ULL << 30, RLIM_INFINITY, "address space"},
    {RLIMIT_DATA, 1ULL << 30, RLIM_INFINITY, "data segment"},
    {RLIMIT_STACK, 1ULL << 20, 8ULL << 20, "stack"},
    {RLIMIT_NOFILE, 64, 1024, "open files"},
    /* Threads count as processes: Deno starts ~8 (`chpst -p 4` stopped it). */
    {RLIMIT_NPROC, 64, RLIM_INFINITY, "processes"},
    /* Deno writes its caches at start (as root): `ulimit -S -f 1` killed it with SIGXFSZ. */
    {RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY, "file size"},
};

#define LIMIT_TEXT (sizeof "DENIT_RLIMITS=" + 6 * 24)

struct limit_pair {
  unsigned long long soft, hard;
};

/* Adds RESOURCE:SOFT to the DENIT_RLIMITS text that starts at `text` and ends at `at`. */
static char *pass_on(char *text, char *at, int resource, unsigned long long soft) {
  at = copy_to(at, at == text ? "DENIT_RLIMITS=" : ",");
  at = decimal(at, (unsigned long)resource);
  *at++ = ':';
  at = decimal(at, soft);
  *at = '\0';
  return at;
}

/* Raises what must be raised; writes DENIT_RLIMITS=... to `text` (empty: none to pass
 * on) and sets `*memory` when a memory limit was raised. Returns 0, or 111 after saying
 * which hard limit is too low. */
static int fit_limits(const char *prog, char *text, int *memory) {
  char *at = text;
  *at = '\0';
  *memory = 0;
  for (size_t i = 0; i < sizeof limit_needs / sizeof limit_needs[0]; i++) {
    const struct limit_need *need = &limit_needs[i];
    struct limit_pair pair;
    if (sys(SYS_prlimit64, 0, need->resource, 0, (long)&pair) != 0) continue;
    int files = need->resource == RLIMIT_NOFILE;
    int memory_limit = need->resource == RLIMIT_AS || need->resource == RLIMIT_DATA ||
                       need->resource == RLIMIT_STACK;
    if (files && pair.soft >= need->least && pair.soft < pair.hard) {
      at = pass_on(text, at, need->resource, pair.soft); /* Deno raises it itself */
      continue;
    }
    if (pair.soft >= need->least) continue; /* RLIM_INFINITY is the largest value */
    /* Below these Deno cannot start. With too few files or processes it may still (root
     * is not held to RLIMIT_NPROC; the margin is wide): it gets what the hard limit allows. */
    if (pair.hard < need->least && memory_limit) {
      char digits[24];
      say(prog);
      say(": fatal: unable to run Deno: hard limit of ");
      say(need->name);
      say(" too low: ");
      *decimal(digits, pair.hard) = '\0';
      say(digits);
      say(", it needs ");
      *decimal(digits, need->least) = '\0';
      say(digits);
      say("\n");
      return 111;
    }
    struct limit_pair raised = {need->raise_to < pair.hard ? need->raise_to : pair.hard,
                                pair.hard};
    if (raised.soft <= pair.soft) continue;
    if (sys(SYS_prlimit64, 0, need->resource, (long)&raised, 0) != 0) continue;
    if (memory_limit) *memory = 1;
    at = pass_on(text, at, need->resource, pair.soft);
  }
  return 0;
}

/* Whether an argument after argv[0] ends with a carriage return (Deno drops it). */
static int trimmed_argument(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    size_t n = length(argv[i]);
    if (n > 0 && argv[i][n - 1] == '\r') return 1;
  }
  return 0;
}

/* Fresh zeroed memory for the argument and environment blocks, or NULL. */
static void *allocate(size_t bytes) {
  long at = sys6(SYS_mmap, 0, (long)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  return at < 0 && at > -4096 ? NULL : (void *)at;
}

static int launch(int argc, char **argv, char **environ, const char *ran) {
  const struct applet *applet = own_applet(ran);
#ifdef DENIT_PROBE
  (void)argc, (void)argv, (void)environ, (void)applet;
  return 42;
#else
  static const char deno[] = LIB "/deno";
  static const char argv0_name[] = "DENIT_ARGV0=";
  static const char applet_name[] = "DENIT_APPLET=";
  static const char self_name[] = "DENIT_SELF=";
  const char *argv0 = argc > 0 && argv[0] != NULL ? argv[0] : "";
  /* First: the launcher's own allocation below needs memory the limits may not allow. */
  static char limits[LIMIT_TEXT];
  int memory_raised;
  int refused = fit_limits(applet->name, limits, &memory_raised);
  if (refused != 0) return refused;
  /* The quick entry gives back an open-files limit; memory limits are the full chpst's. */
  /* A closed fd 0-2 is the full chpst's to restore (the quick entry does not look). */
  char *closed = closed_stdio();
  const int quick = takes_quick(applet, argc, argv) && !memory_raised &&
                    !trimmed_argument(argc, argv) && closed == NULL;
  const char *entry_name = quick ? applet->quick : applet->entry;

  /* One block: the environment's and the arguments' pointers, then the joined strings. */
  size_t count = 0, text = 0;
  for (; environ[count] != NULL; count++) {
    if (is_callers_deno(environ[count])) text += sizeof caller_prefix + length(environ[count]);
  }
  text += sizeof argv0_name + length(argv0) + sizeof applet_name + length(applet->name);
  if (ran != NULL) text += sizeof self_name + length(ran);
  text += sizeof "DENIT_SIGNALS=" + 33 + sizeof LIB "/src/" + length(entry_name);
  text += sizeof "DENIT_CWD_FD=" + 24;
  char **envp = allocate((count + 13 + (size_t)argc + 12) * sizeof *envp + text);
  if (envp == NULL) return fail(applet->name, deno, ENOMEM);
  char **args = envp + count + 13;
  char *strings = (char *)(args + argc + 12);

  /* The environment: the one given, minus our names, plus ours at the end. */
  size_t e = 0;
  int renamed = 0;
  for (size_t i = 0; i < count; i++) {
    if (is_callers_deno(environ[i])) {
      envp[e++] = strings;
      strings = copy_to(copy_to(strings, caller_prefix), environ[i]) + 1;
      renamed = 1;
    } else if (!is_ours(environ[i])) {
      envp[e++] = environ[i];
    }
  }
  if (renamed) envp[e++] = "DENIT_CALLERS=1";
  /* Deno drops a carriage return that ends an argument (for scripts with CRLF lines);
   * runit's tools keep it: the applet then reads its words from /proc/self/cmdline. */
  if (trimmed_argument(argc, argv)) envp[e++] = "DENIT_TRIMMED_ARGS=1";
  envp[e++] = strings;
  strings = copy_to(copy_to(strings, argv0_name), argv0) + 1;
  if (applet != &generic) {
    envp[e++] = strings;
    strings = copy_to(copy_to(strings, applet_name), applet->name) + 1;
  } else if (ran != NULL) {
    envp[e++] = strings;
    strings = copy_to(copy_to(strings, self_name), ran) + 1;
  }
  envp[e++] = "DENIT_LAUNCHER=1";
  envp[e++] = "DENO_DIR=" LIB "/cache";
  envp[e++] = "DENO_NO_UPDATE_CHECK=1";
  if (applet->flags & SIGNALS) {
    unsigned long long ignored, blocked;
    signal_masks(&ignored, &blocked);
    envp[e++] = strings;
    strings = copy_to(strings, "DENIT_SIGNALS=");
    strings = hex(strings, ignored);
    *strings++ = ':';
    strings = hex(strings, blocked) + 1;
  }
  if (limits[0] != '\0') envp[e++] = limits;
  if (closed != NULL) envp[e++] = closed;
  const int process1 = (applet->flags & PID1) && sys(SYS_getpid, 0, 0, 0, 0) == 1;
  if (process1) block_runit_signals();
  if (applet->flags & WAITS) block_wait_signals();
  if (applet->flags & LISTENS) block_listened_signals();
  /* Process 1 is long-running, though its flags say short-lived (for `init 0`). */
  if (!(applet->flags & SHORT_LIVED) || process1) block_inspector_signal();
  long cwd_fd = keep_removed_cwd();
  if (cwd_fd >= 0) {
    envp[e++] = strings;
    strings = decimal(copy_to(strings, "DENIT_CWD_FD="), (unsigned long)cwd_fd) + 1;
  }
  envp[e] = NULL;

  /* deno run -A --cached-only [FLAGS] --no-config --no-lock ENTRY ARGS... */
  char *entry = strings;
  copy_to(copy_to(entry, LIB "/src/"), entry_name);
  int a = 0;
  args[a++] = (char *)deno;
  args[a++] = "run";
  args[a++] = "-A";
  args[a++] = "--cached-only";
  if (applet->flags & SHORT_LIVED) {
    args[a++] = "--no-code-cache";
    /* The quick entry runs ~1 ms of bytecode and execs: without a JIT V8 reserves no code
       range to set up and tear down at the exec, 0.1-0.4 ms less (bench/README.md, #6).
       The full chpst it may load runs its bytecode as well without one. */
    args[a++] = quick ? "--v8-flags=--single-threaded,--no-lazy,--jitless"
                      : "--v8-flags=--single-threaded";
  }
  args[a++] = "--no-config";
  args[a++] = "--no-lock";
  args[a++] = entry;
  for (int i = 1; i < argc; i++) args[a++] = argv[i];
  args[a] = NULL;

  long code = sys(SYS_execve, (long)deno, (long)args, (long)envp, 0);
  return fail(applet->name, deno, -code);
#endif
}

/* ---- entry ---- */

#ifdef DENIT_FREESTANDING
static void sys_exit(int code) {
  for (;;) sys(SYS_exit_group, code, 0, 0, 0);
}

/* The kernel's initial stack: argc, argv..., NULL, envp..., NULL, auxv pairs. */
__attribute__((used)) void start_c(long *stack) {
  int argc = (int)stack[0];
  char **argv = (char **)(stack + 1);
  char **environ = argv + argc + 1;
  char **end = environ;
  while (*end != NULL) end++;
  const char *ran = NULL;
  for (unsigned long *aux = (unsigned long *)(end + 1); aux[0] != AT_NULL; aux += 2) {
    if (aux[0] == AT_EXECFN) ran = (const char *)aux[1];
  }
  sys_exit(launch(argc, argv, environ, ran));
}
#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n"
        " and $-16, %rsp\n call start_c\n hlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n"
        " bl start_c\n brk #0\n");
#endif
#else
#include <sys/auxv.h>
int main(int argc, char **argv, char **envp) {
  return launch(argc, argv, envp, (const char *)getauxval(AT_EXECFN));
}
#endif
