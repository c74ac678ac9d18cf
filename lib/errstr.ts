/**
 * runit's own texts for errno values (runit src/error_str.c; spec chpst.md Appendix A and
 * supervise-protocol.md §14), and errno names for {@linkcode SysError}.
 *
 * runit never prints libc's strerror: EACCES is "access denied", EPERM "permission
 * denied". Where two names share a value (EAGAIN, EWOULDBLOCK) the first row wins.
 */

// Named errno values (Linux numbering), for the modules that test for one.

/** Operation not permitted (runit: "permission denied"). */
export const EPERM = 1;
/** No such file or directory. */
export const ENOENT = 2;
/** Interrupted system call. */
export const EINTR = 4;
/** No such device or address (a FIFO with no reader). */
export const ENXIO = 6;
/** Bad file descriptor. */
export const EBADF = 9;
/** No child processes. */
export const ECHILD = 10;
/** Try again (EWOULDBLOCK). */
export const EAGAIN = 11;
/** Out of memory. */
export const ENOMEM = 12;
/** Permission denied (runit: "access denied"). */
export const EACCES = 13;
/** Not a directory. */
export const ENOTDIR = 20;
/** Is a directory. */
export const EISDIR = 21;
/** Invalid argument. */
export const EINVAL = 22;
/** No space left on device. */
export const ENOSPC = 28;
/** Function not implemented. */
export const ENOSYS = 38;

// The tables are text, made into Maps on first use: most runs never print an error, and
// building them at load cost ~0.2 ms of every applet's start-up (measured). Text, not Map
// literals: a string costs V8's parser a scan, a literal of ~200 pairs is code, compiled
// whole when a bundle runs with --no-lazy (chpst's quick entry, scripts/launcher.c: ~0.5 ms
// of its start-up, marks, medians of 40).

/** errno value → runit text (Linux numbering), one "VALUE TEXT" per line. */
const RUNIT_TEXTS_TABLE = `
4 interrupted system call
12 out of memory
2 file does not exist
26 text busy
5 input/output error
17 file already exists
110 timed out
115 operation in progress
11 temporary failure
32 broken pipe
1 permission denied
13 access denied
6 device not configured
71 protocol error
21 is a directory
111 connection refused
20 not a directory
3 no such process
7 argument list too long
8 exec format error
9 file descriptor not open
10 no child processes
35 operation would cause deadlock
14 bad address
15 not a block device
16 device busy
18 cross-device link
19 device does not support operation
22 invalid argument
23 system cannot open more files
24 process cannot open more files
25 not a tty
27 file too big
28 out of disk space
29 unseekable descriptor
30 read-only file system
31 too many links
33 input out of range
34 output out of range
114 operation already in progress
88 not a socket
89 destination address required
90 message too long
91 incorrect protocol type
92 protocol not available
93 protocol not supported
94 socket type not supported
95 operation not supported
96 protocol family not supported
97 address family not supported
98 address already used
99 address not available
100 network down
101 network unreachable
102 network reset
103 connection aborted
104 connection reset
105 out of buffer space
106 already connected
107 not connected
108 socket shut down
109 too many references
40 symbolic link loop
36 file name too long
112 host down
113 host unreachable
39 directory not empty
87 too many users
122 disk quota exceeded
116 stale NFS file handle
66 too many levels of remote in path
37 no locks available
38 system call not available
60 not a stream device
62 timer expired
63 out of stream resources
42 no message of desired type
74 bad message type
43 identifier removed
64 machine not on network
67 link severed
68 advertise error
69 srmount error
70 communication error
72 multihop attempted
78 remote address changed
`;

/** errno value → symbolic name (Linux x86_64 numbering), one "VALUE NAME" per line. */
const ERRNO_NAMES_TABLE = `
1 EPERM
2 ENOENT
3 ESRCH
4 EINTR
5 EIO
6 ENXIO
7 E2BIG
8 ENOEXEC
9 EBADF
10 ECHILD
11 EAGAIN
12 ENOMEM
13 EACCES
14 EFAULT
15 ENOTBLK
16 EBUSY
17 EEXIST
18 EXDEV
19 ENODEV
20 ENOTDIR
21 EISDIR
22 EINVAL
23 ENFILE
24 EMFILE
25 ENOTTY
26 ETXTBSY
27 EFBIG
28 ENOSPC
29 ESPIPE
30 EROFS
31 EMLINK
32 EPIPE
33 EDOM
34 ERANGE
36 ENAMETOOLONG
37 ENOLCK
38 ENOSYS
39 ENOTEMPTY
40 ELOOP
42 ENOMSG
43 EIDRM
44 ECHRNG
45 EL2NSYNC
46 EL3HLT
47 EL3RST
48 ELNRNG
49 EUNATCH
50 ENOCSI
51 EL2HLT
52 EBADE
53 EBADR
54 EXFULL
55 ENOANO
56 EBADRQC
57 EBADSLT
59 EBFONT
60 ENOSTR
61 ENODATA
62 ETIME
63 ENOSR
64 ENONET
65 ENOPKG
66 EREMOTE
67 ENOLINK
68 EADV
69 ESRMNT
70 ECOMM
71 EPROTO
72 EMULTIHOP
73 EDOTDOT
74 EBADMSG
75 EOVERFLOW
76 ENOTUNIQ
77 EBADFD
78 EREMCHG
79 ELIBACC
80 ELIBBAD
81 ELIBSCN
82 ELIBMAX
83 ELIBEXEC
84 EILSEQ
85 ERESTART
86 ESTRPIPE
87 EUSERS
88 ENOTSOCK
89 EDESTADDRREQ
90 EMSGSIZE
91 EPROTOTYPE
92 ENOPROTOOPT
93 EPROTONOSUPPORT
94 ESOCKTNOSUPPORT
96 EPFNOSUPPORT
97 EAFNOSUPPORT
98 EADDRINUSE
99 EADDRNOTAVAIL
100 ENETDOWN
101 ENETUNREACH
102 ENETRESET
103 ECONNABORTED
104 ECONNRESET
105 ENOBUFS
106 EISCONN
107 ENOTCONN
108 ESHUTDOWN
109 ETOOMANYREFS
110 ETIMEDOUT
111 ECONNREFUSED
112 EHOSTDOWN
113 EHOSTUNREACH
114 EALREADY
115 EINPROGRESS
116 ESTALE
117 EUCLEAN
118 ENOTNAM
119 ENAVAIL
120 EISNAM
121 EREMOTEIO
122 EDQUOT
123 ENOMEDIUM
124 EMEDIUMTYPE
125 ECANCELED
126 ENOKEY
127 EKEYEXPIRED
128 EKEYREVOKED
129 EKEYREJECTED
130 EOWNERDEAD
131 ENOTRECOVERABLE
132 ERFKILL
`;

/** A map from "NUMBER TEXT" lines; a later line of the same number wins, as in a Map. */
function numberedLines(table: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const line of table.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) map.set(Number(line.slice(0, space)), line.slice(space + 1));
  }
  return map;
}

/** errno value → runit text. */
function runitTexts(): ReadonlyMap<number, string> {
  return numberedLines(RUNIT_TEXTS_TABLE);
}

/** errno value → symbolic name. */
function errnoNames(): ReadonlyMap<number, string> {
  return numberedLines(ERRNO_NAMES_TABLE);
}

let RUNIT_TEXTS: ReadonlyMap<number, string> | undefined;
let ERRNO_NAMES: ReadonlyMap<number, string> | undefined;
let ERRNO_VALUES: ReadonlyMap<string, number> | undefined;

/**
 * runit's text for an errno value.
 *
 * @example
 * ```ts
 * import { errstr } from "./errstr.ts";
 * errstr(2); // "file does not exist"
 * ```
 */
export function errstr(errno: number): string {
  if (errno === 0) return "no error";
  return (RUNIT_TEXTS ??= runitTexts()).get(errno) ?? "unknown error";
}

/** The symbolic name of an errno value ("ENOENT"), or "E" + the number when unknown. */
export function errnoName(errno: number): string {
  return (ERRNO_NAMES ??= errnoNames()).get(errno) ?? `E${errno}`;
}

/** The errno value of a symbolic name, or undefined. */
export function errnoValue(name: string): number | undefined {
  ERRNO_VALUES ??= new Map([...(ERRNO_NAMES ??= errnoNames())].map(([v, n]) => [n, v]));
  return ERRNO_VALUES.get(name === "EWOULDBLOCK" ? "EAGAIN" : name);
}
