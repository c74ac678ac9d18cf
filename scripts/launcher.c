/*
 * denit launcher: runs one applet from source with the pinned Deno (scripts/install.sh
 * builds it with `cc -static -Os`; without a C compiler the launchers are #!/bin/sh
 * scripts doing the same). One static binary, hard-linked as PREFIX/bin/NAME for every
 * applet: no dynamic loader, ~0.2 ms where sh costs ~0.6 ms.
 *
 * It execs, in the same process,
 *   PREFIX/lib/denit/deno run -A --cached-only [FLAGS] --no-config --no-lock ENTRY ARGS...
 * with these variables added to the environment it was given (same order, any earlier
 * ones of these names dropped; lib/launch.ts removes them all at start):
 *   DENIT_ARGV0   argv[0] exactly as the caller gave it (Deno's own argv[0] is the deno
 *                 path): usage lines then say what the caller typed, as runit's do
 *   DENIT_APPLET  the applet (none for the generic `denit` launcher)
 *   DENIT_LAUNCHER=1, DENO_DIR=PREFIX/lib/denit/cache, DENO_NO_UPDATE_CHECK=1
 *   DENIT_SELF    the generic launcher's own path (`denit --install DIR` links to it)
 *   DENIT_SIGNALS for the chpst family: "IGN:BLK", the ignored and blocked signal sets
 *                 it inherited as hex kernel masks (bit n-1 for signal n, as SigIgn and
 *                 SigBlk in /proc/PID/status). Deno ignores SIGPIPE before any JS runs,
 *                 so chpst would otherwise read /proc/self/status to pass on the state
 *                 it got.
 *
 * The applet is this file's name, never argv[0] (`chpst -b NAME` and `exec -a` change
 * argv[0]): the path the kernel ran (AT_EXECFN) with symlinks resolved, so that
 * /etc/init.d/cron -> /usr/bin/sv runs sv, as the sh launcher reached through a link did.
 * A name that is no applet runs the generic dispatch (mod.ts), which goes by argv[0].
 *
 * Compile-time settings (-D): DENIT_PREFIX "PREFIX" and DENIT_TABLE "FILE", a C file
 * install.sh writes with one line per applet:
 *   { "sv", "entry/sv.js", SHORT_LIVED },
 * where SHORT_LIVED adds --no-code-cache --v8-flags=--single-threaded and SIGNALS passes
 * DENIT_SIGNALS (see install.sh for why). If Deno cannot be run: runit's message shape on
 * stderr and exit 111.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef DENIT_PREFIX
#error "build with -DDENIT_PREFIX='\"/usr/local\"' -DDENIT_TABLE='\"table.h\"'"
#endif

#define SHORT_LIVED 1 /* --no-code-cache --v8-flags=--single-threaded */
#define SIGNALS 2     /* pass DENIT_SIGNALS */

struct applet {
  const char *name;
  const char *entry; /* under PREFIX/lib/denit/src/ */
  int flags;
};

static const struct applet applets[] = {
#include DENIT_TABLE
};

/* The generic launcher (`denit`, or a name that is no applet): mod.ts dispatches. */
static const struct applet generic = {"denit", "mod.ts", SIGNALS};

#define LIB DENIT_PREFIX "/lib/denit"

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static const struct applet *find_applet(const char *name) {
  for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++) {
    if (strcmp(applets[i].name, name) == 0) return &applets[i];
  }
  return NULL;
}

/* The applet this file stands for: the basename of what the kernel ran, links followed. */
static const struct applet *own_applet(const char **self) {
  static char resolved[PATH_MAX];
  const char *ran = (const char *)getauxval(AT_EXECFN);
  *self = ran;
  if (ran == NULL) return &generic;
  const char *name = realpath(ran, resolved) ? base_name(resolved) : base_name(ran);
  const struct applet *found = find_applet(name);
  return found ? found : &generic;
}

/* The kernel's signal sets, as /proc/PID/status prints them (bit n-1 for signal n). */
static void signal_masks(unsigned long long *ignored, unsigned long long *blocked) {
  /* struct kernel_sigaction for rt_sigaction(2); glibc's sigaction refuses 32 and 33 */
  struct {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long long mask;
  } action;
  *ignored = 0;
  for (int signal = 1; signal <= 64; signal++) {
    if (syscall(SYS_rt_sigaction, signal, NULL, &action, 8) == 0 &&
        action.handler == (void *)SIG_IGN) {
      *ignored |= 1ULL << (signal - 1);
    }
  }
  *blocked = 0;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, blocked, 8);
}

static char *hex(char *to, unsigned long long value) {
  static const char digits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) *to++ = digits[(value >> shift) & 15];
  return to;
}

/*
 * The caller's own DENO_DIR and DENO_NO_UPDATE_CHECK (a Deno program among the services)
 * must survive ours: they travel renamed, in place, and lib/launch.ts renames them back.
 */
static const char caller_prefix[] = "DENIT_CALLER_";

static int is_callers_deno(const char *entry) {
  return strncmp(entry, "DENO_DIR=", 9) == 0 || strncmp(entry, "DENO_NO_UPDATE_CHECK=", 21) == 0;
}

static int is_ours(const char *entry) {
  static const char *const names[] = {"DENIT_ARGV0=",  "DENIT_APPLET=",  "DENIT_LAUNCHER=",
                                      "DENIT_SELF=",   "DENIT_SIGNALS=", "DENIT_CALLER_",
                                      "DENO_DIR=",     "DENO_NO_UPDATE_CHECK="};
  if (entry[0] != 'D') return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strncmp(entry, names[i], strlen(names[i])) == 0) return 1;
  }
  return 0;
}

static char *joined(const char *name, const char *value) {
  size_t n = strlen(name), v = strlen(value);
  char *text = malloc(n + v + 1);
  if (text == NULL) return NULL;
  memcpy(text, name, n);
  memcpy(text + n, value, v + 1);
  return text;
}

/* runit's wording for the errno values an exec can plausibly give (lib/errstr.ts). */
static const char *error_text(int code) {
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

static void say(const char *text) { (void)!write(2, text, strlen(text)); }

static int fail(const char *prog, const char *what, int code) {
  say(prog);
  say(": fatal: unable to run: ");
  say(what);
  say(": ");
  say(error_text(code));
  say("\n");
  return 111;
}

extern char **environ;

int main(int argc, char **argv) {
  const char *self;
  const struct applet *applet = own_applet(&self);
  static const char deno[] = LIB "/deno";

  /* The environment: the one given, minus our names, plus ours at the end. */
  size_t count = 0;
  while (environ[count] != NULL) count++;
  char **envp = malloc((count + 8) * sizeof *envp);
  if (envp == NULL) return fail(applet->name, deno, ENOMEM);
  size_t e = 0;
  for (size_t i = 0; i < count; i++) {
    if (is_callers_deno(environ[i])) envp[e++] = joined(caller_prefix, environ[i]);
    else if (!is_ours(environ[i])) envp[e++] = environ[i];
  }
  envp[e++] = joined("DENIT_ARGV0=", argc > 0 && argv[0] != NULL ? argv[0] : "");
  if (applet != &generic) envp[e++] = joined("DENIT_APPLET=", applet->name);
  else if (self != NULL) envp[e++] = joined("DENIT_SELF=", self);
  envp[e++] = "DENIT_LAUNCHER=1";
  envp[e++] = "DENO_DIR=" LIB "/cache";
  envp[e++] = "DENO_NO_UPDATE_CHECK=1";
  char signals[sizeof "DENIT_SIGNALS=" + 33];
  if (applet->flags & SIGNALS) {
    unsigned long long ignored, blocked;
    signal_masks(&ignored, &blocked);
    char *at = stpcpy(signals, "DENIT_SIGNALS=");
    at = hex(at, ignored);
    *at++ = ':';
    at = hex(at, blocked);
    *at = '\0';
    envp[e++] = signals;
  }
  envp[e] = NULL;
  for (size_t i = 0; i < e; i++) {
    if (envp[i] == NULL) return fail(applet->name, deno, ENOMEM);
  }

  /* deno run -A --cached-only [FLAGS] --no-config --no-lock ENTRY ARGS... */
  char **args = malloc((argc + 12) * sizeof *args);
  char *entry = joined(LIB "/src/", applet->entry);
  if (args == NULL || entry == NULL) return fail(applet->name, deno, ENOMEM);
  int a = 0;
  args[a++] = (char *)deno;
  args[a++] = "run";
  args[a++] = "-A";
  args[a++] = "--cached-only";
  if (applet->flags & SHORT_LIVED) {
    args[a++] = "--no-code-cache";
    args[a++] = "--v8-flags=--single-threaded";
  }
  args[a++] = "--no-config";
  args[a++] = "--no-lock";
  args[a++] = entry;
  for (int i = 1; i < argc; i++) args[a++] = argv[i];
  args[a] = NULL;

  execve(deno, args, envp);
  return fail(applet->name, deno, errno);
}
