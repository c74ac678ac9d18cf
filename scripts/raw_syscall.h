/*
 * One system call without the C library: the number and up to six arguments in the
 * kernel's registers. Returns the result, or -errno, as the kernel does; errno is not
 * touched (no thread-local storage is read or written). Used by the freestanding launcher
 * and by the child half of scripts/spawn.c, which runs on borrowed memory before exec.
 */
#ifndef DENIT_RAW_SYSCALL_H
#define DENIT_RAW_SYSCALL_H

static inline long sys6(long number, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
#else
#error "no freestanding system calls for this architecture: denit needs x86-64 or arm64 for this file"
#endif
}

#endif
