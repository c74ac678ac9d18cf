/*
 * denit's supervisors start a service without waiting for its exec (libdenit.so,
 * loaded by ffi/native.ts through Deno.dlopen).
 *
 * glibc's posix_spawn clones with CLONE_VFORK: the caller sleeps until the child has
 * exec'd. On a virtual machine that sleep is mostly waking the other vCPU for the child
 * and then this one again, 0.2 to 1.6 ms, measured inside runsv, where C runsv's fork(2)
 * returns at once and the status says "run" while the child is still exec'ing. Here the
 * child is cloned with CLONE_VM and without CLONE_VFORK: it borrows this process's memory
 * (its own stack and a copy of everything it needs, in its slot's mapping) until its
 * exec, and the caller returns with the pid at once. The kernel clears the slot's
 * `running` word when the child stops using the memory, at its exec or its exit
 * (CLONE_CHILD_CLEARTID); a later call then reuses the slot.
 *
 * A child whose set-up or exec fails records the errno in its slot and exits 111, as C
 * runsv's child does; the supervisor asks denit_spawn_failure() when it reaps the pid,
 * to print runit's message.
 *
 * The child runs on borrowed memory with the parent's thread pointer: it calls nothing in
 * the C library (raw system calls only, no errno, no stack protector). Not thread-safe:
 * denit calls it from its one JavaScript thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "raw_syscall.h"

/* The ABI version of the whole of libdenit.so (scripts/replace_file.c and
 * scripts/line_copy.c too) that denit_library_version() reports; ffi/native.ts checks it. */
#define DENIT_LIBRARY_VERSION 5

/* Flags of denit_spawn(). */
#define SPAWN_SETSID 1
#define SPAWN_SETPGROUP 2

/* Children that may be between clone and exec at once, plus failures not yet asked for. */
#define SLOTS 256
#define STACK_BYTES (32 * 1024)
#define EXIT_EXEC_FAILED 111
#define KEPT_MAPPINGS 4

struct slot {
  /* Nonzero from before the clone until the kernel clears it (CLONE_CHILD_CLEARTID). */
  volatile int running;
  /* The errno of a failed set-up step or exec, written by the child before it exits. */
  volatile int failure;
  int pid;
  void *memory;
  size_t bytes;
};

/* A soft resource limit the child sets before its exec (the hard one is left as it is). */
struct child_limit {
  long long resource;
  unsigned long long soft;
};

#define MAX_LIMITS 16

/* What the child needs, in its mapping above its stack. */
struct request {
  struct slot *slot;
  const char *path;
  char **argv;
  char **envp;
  const char *cwd;
  int flags;
  int pgroup;
  int limit_count;
  struct child_limit limits[MAX_LIMITS];
  unsigned long long ignored; /* bit n-1: signal n starts ignored */
  int dup_count;
  int dups[]; /* from, to, from, to, ...; to < 0: close from */
};

static struct slot slots[SLOTS];

extern char **environ;

static int child(void *arg) {
  struct request *request = arg;
  /* The kernel's struct sigaction with every field zero is SIG_DFL, no flags, no mask, on
   * every architecture: Deno ignores SIGPIPE and handles others; children get defaults,
   * but for the signals the caller asks to start ignored (its own caller's SIG_IGN, which
   * runit's children inherit): SIG_IGN is handler 1. */
  unsigned long default_action[4] = {0, 0, 0, 0};
  unsigned long ignore_action[4] = {1, 0, 0, 0};
  unsigned long empty_mask = 0;
  long rc = 0;
  for (long signal_number = 1; signal_number <= 64; signal_number++) {
    /* SIGKILL and SIGSTOP refuse (EINVAL): nothing to do for them. */
    int ignore = (request->ignored >> (signal_number - 1)) & 1;
    sys6(SYS_rt_sigaction, signal_number, (long)(ignore ? ignore_action : default_action), 0,
         8, 0, 0);
  }
  if (request->flags & SPAWN_SETSID) {
    rc = sys6(SYS_setsid, 0, 0, 0, 0, 0, 0);
  } else if (request->flags & SPAWN_SETPGROUP) {
    rc = sys6(SYS_setpgid, 0, request->pgroup, 0, 0, 0, 0);
  }
  for (int i = 0; rc >= 0 && i < request->dup_count; i++) {
    int from = request->dups[2 * i];
    int to = request->dups[2 * i + 1];
    /* As posix_spawn's dup2 action: the same fd only loses close-on-exec. */
    if (to < 0) {
      rc = sys6(SYS_close, from, 0, 0, 0, 0, 0);
      if (rc == -EBADF) rc = 0; /* as posix_spawn's close action */
    } else {
      rc = from == to ? sys6(SYS_fcntl, to, F_SETFD, 0, 0, 0, 0)
                      : sys6(SYS_dup3, from, to, 0, 0, 0, 0);
    }
  }
  for (int i = 0; rc >= 0 && i < request->limit_count; i++) {
    /* The soft limit the caller gave the launcher, which raised it for Deno. */
    unsigned long long pair[2];
    rc = sys6(SYS_prlimit64, 0, request->limits[i].resource, 0, (long)pair, 0, 0);
    if (rc < 0) break;
    pair[0] = request->limits[i].soft < pair[1] ? request->limits[i].soft : pair[1];
    rc = sys6(SYS_prlimit64, 0, request->limits[i].resource, (long)pair, 0, 0, 0);
  }
  if (rc >= 0 && request->cwd != NULL) rc = sys6(SYS_chdir, (long)request->cwd, 0, 0, 0, 0, 0);
  if (rc >= 0) {
    sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&empty_mask, 0, 8, 0, 0);
    rc = sys6(SYS_execve, (long)request->path, (long)request->argv, (long)request->envp, 0, 0,
              0);
  }
  request->slot->failure = (int)-rc;
  sys6(SYS_exit_group, EXIT_EXEC_FAILED, 0, 0, 0, 0, 0);
  return EXIT_EXEC_FAILED;
}

static int running(struct slot *slot) {
  return __atomic_load_n(&slot->running, __ATOMIC_ACQUIRE) != 0;
}

/* Gives a finished slot back. The first KEPT_MAPPINGS slots keep their mapping for the
 * next child (an mmap, its page faults and an munmap are ~50 µs of a ~130 µs spawn). */
static void release(struct slot *slot) {
  slot->pid = 0;
  slot->failure = 0;
  if (slot - slots >= KEPT_MAPPINGS && slot->memory != NULL) {
    munmap(slot->memory, slot->bytes);
    slot->memory = NULL;
  }
}

/* Releases the slots of children that have exec'd; a failure waits to be asked for. */
static void sweep(void) {
  for (int i = 0; i < SLOTS; i++) {
    struct slot *slot = &slots[i];
    /* `running` first: the child writes `failure` before its exit clears `running`. */
    if (slot->pid != 0 && !running(slot) && slot->failure == 0) release(slot);
  }
}

/* A slot with a mapping of at least `bytes`, or NULL when all are in use. */
static struct slot *free_slot(size_t bytes) {
  for (int i = 0; i < SLOTS; i++) {
    struct slot *slot = &slots[i];
    if (slot->pid != 0 || running(slot)) continue;
    if (slot->memory != NULL && slot->bytes >= bytes) return slot;
    if (slot->memory != NULL) munmap(slot->memory, slot->bytes);
    slot->memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slot->memory == MAP_FAILED) {
      slot->memory = NULL;
      errno = ENOMEM;
      return NULL;
    }
    slot->bytes = bytes;
    return slot;
  }
  errno = 0;
  return NULL;
}

static size_t align(size_t n) { return (n + 15) & ~(size_t)15; }

static size_t list_bytes(char *const list[], size_t *count) {
  size_t bytes = 0;
  *count = 0;
  for (; list[*count] != NULL; (*count)++) bytes += strlen(list[*count]) + 1;
  return bytes;
}

/* Copies a NULL-terminated list into `pointers` and its strings to `*text`. */
static void copy_list(char *const list[], size_t count, char **pointers, char **text) {
  for (size_t i = 0; i < count; i++) {
    size_t length = strlen(list[i]) + 1;
    memcpy(*text, list[i], length);
    pointers[i] = *text;
    *text += length;
  }
  pointers[count] = NULL;
}

int denit_library_version(void) { return DENIT_LIBRARY_VERSION; }

/*
 * Starts `path` with `argv` and `envp` (copied; NULL: this process's environment, which
 * Deno keeps in the C library's `environ`), in `cwd` when not NULL, with the fd pairs
 * in `dups` dup'd in order (a pair whose second is negative closes the first), SIG_DFL
 * for every signal but those of `ignored` (bit n-1 for signal n: SIG_IGN) and an empty
 * signal mask, in a new session (SPAWN_SETSID) or process
 * group `pgroup` (SPAWN_SETPGROUP), with the soft limits in `limits` (resource, soft
 * pairs; at most MAX_LIMITS). Returns the pid; -errno when no process could be made; 0
 * when every slot is in use (the caller then uses posix_spawn).
 */
int denit_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                const int *dups, int dup_count, int flags, int pgroup,
                const long long *limits, int limit_count, unsigned long long ignored) {
  if (limit_count < 0 || limit_count > MAX_LIMITS) return -EINVAL;
  sweep();
  if (envp == NULL) envp = environ;

  size_t argc, envc;
  size_t text = list_bytes(argv, &argc) + list_bytes(envp, &envc) + strlen(path) + 1 +
                (cwd != NULL ? strlen(cwd) + 1 : 0);
  size_t head = align(sizeof(struct request) + 2 * sizeof(int) * (size_t)dup_count);
  size_t pointers = (argc + 1 + envc + 1) * sizeof(char *);
  struct slot *slot = free_slot(STACK_BYTES + head + pointers + text);
  if (slot == NULL) return errno == 0 ? 0 : -errno;
  char *memory = slot->memory;

  /* The stack grows down from STACK_BYTES; the request starts there. */
  struct request *request = (struct request *)(memory + STACK_BYTES);
  request->slot = slot;
  request->flags = flags;
  request->pgroup = pgroup;
  request->limit_count = limit_count;
  request->ignored = ignored;
  for (int i = 0; i < limit_count; i++) {
    request->limits[i].resource = limits[2 * i];
    request->limits[i].soft = (unsigned long long)limits[2 * i + 1];
  }
  request->dup_count = dup_count;
  for (int i = 0; i < 2 * dup_count; i++) request->dups[i] = dups[i];
  request->argv = (char **)((char *)request + head);
  request->envp = request->argv + argc + 1;
  char *cursor = (char *)(request->envp + envc + 1);
  copy_list(argv, argc, request->argv, &cursor);
  copy_list(envp, envc, request->envp, &cursor);
  request->path = strcpy(cursor, path);
  cursor += strlen(path) + 1;
  request->cwd = cwd != NULL ? strcpy(cursor, cwd) : NULL;

  slot->running = 1;
  slot->failure = 0;
  /* Every signal blocked across the clone, so that none runs a handler of this process in
   * the child before it has set them to SIG_DFL (the child unblocks before its exec). */
  uint64_t all = ~(uint64_t)0, saved = 0;
  sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&saved, 8, 0, 0);
  int pid = clone(child, memory + STACK_BYTES, CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD,
                  request, NULL, NULL, &slot->running);
  int clone_errno = errno;
  sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, 8, 0, 0);
  if (pid < 0) {
    slot->running = 0;
    release(slot);
    return -clone_errno;
  }
  slot->pid = pid;
  return pid;
}

/*
 * Waits until child `pid` has exec'd or failed to (posix_spawn's wait, for a start that
 * must report its exec's error): 0 when it exec'd, else the errno of the failed step,
 * the child (which exits 111) then reaped and its slot freed.
 */
int denit_spawn_wait(int pid) {
  for (int i = 0; pid > 0 && i < SLOTS; i++) {
    struct slot *slot = &slots[i];
    if (slot->pid != pid) continue;
    /* The kernel clears `running` and wakes this futex at the child's exec or exit. */
    for (int value; (value = __atomic_load_n(&slot->running, __ATOMIC_ACQUIRE)) != 0;) {
      sys6(SYS_futex, (long)&slot->running, FUTEX_WAIT, value, 0, 0, 0);
    }
    int failure = slot->failure;
    if (failure != 0) {
      /* As posix_spawn: the caller gets the error, and the child that exits 111 is
       * reaped here (the JavaScript thread's reaper cannot run during this call). */
      sys6(SYS_wait4, pid, 0, 0, 0, 0, 0);
      release(slot);
    }
    return failure;
  }
  return 0;
}

/*
 * The errno with which child `pid`'s set-up or exec failed, once it has exited; 0 when
 * it exec'd or is unknown. Frees its slot: ask once, when the pid is reaped.
 */
int denit_spawn_failure(int pid) {
  for (int i = 0; pid > 0 && i < SLOTS; i++) {
    struct slot *slot = &slots[i];
    if (slot->pid != pid || running(slot)) continue;
    int failure = slot->failure;
    release(slot);
    return failure;
  }
  return 0;
}
