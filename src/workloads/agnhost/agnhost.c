// agnhost: kemu's built-in stand-in for the Kubernetes e2e test image
// registry.k8s.io/e2e-test-images/agnhost. It implements the subcommands that
// networking workloads use -- netexec, serve-hostname and pause -- with the
// upstream flags, endpoints, response bodies, status codes, log lines and exit
// codes, as a small C program so that hundreds of pods cost ~1 MB each.
//
//   agnhost netexec [--http-port=8080] [--udp-port=8081] [--sctp-port=-1]
//                   [--delay-shutdown=0] [--http-override=PATH]
//                   [--udp-listen-addresses=IP,...]
//   agnhost serve-hostname [--http=true] [--tcp] [--udp] [--close] [--port=9376]
//   agnhost pause [--delay-shutdown=0]
//
// Design: one thread, one epoll loop, non-blocking sockets, HTTP/1.1 with
// keep-alive and pipelining. Handlers that may block (/dial, /shell) run in a
// forked helper whose result comes back through a pipe, so the server keeps
// answering meanwhile. Logs use Go's log format ("2006/01/02 15:04:05 msg") on
// stdout, flushed once per loop iteration.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define MAX_HEADERS 100
#define MAX_HEADER_BYTES ((1u << 20) + 4096) // Go's DefaultMaxHeaderBytes + slack
#define MAX_BODY (64u << 20)
#define DIAL_TIMEOUT_NS (5LL * 1000000000LL) // upstream: 5s client timeout / read deadline
#define NS 1000000000LL

// ---------------------------------------------------------------------------
// Small growable byte buffer (always NUL-terminated once allocated).

typedef struct {
  char *p;
  size_t len, cap;
} buf;

static void die_oom(void) {
  static const char m[] = "agnhost: out of memory\n";
  if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */ }
  _exit(1);
}

static void buf_reserve(buf *b, size_t extra) {
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return;
  size_t n = b->cap ? b->cap : 128;
  while (n < need) n *= 2;
  char *p = realloc(b->p, n);
  if (!p) die_oom();
  b->p = p;
  b->cap = n;
}
static void buf_add(buf *b, const void *s, size_t n) {
  buf_reserve(b, n);
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}
static void buf_adds(buf *b, const char *s) { buf_add(b, s, strlen(s)); }
static void buf_addc(buf *b, char c) { buf_add(b, &c, 1); }
static void buf_clear(buf *b) {
  b->len = 0;
  if (b->p) b->p[0] = 0;
}
static void buf_set(buf *b, const char *s, size_t n) {
  buf_clear(b);
  buf_add(b, s, n);
}
static const char *bstr(const buf *b) { return b->p ? b->p : ""; }
static void buf_free(buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
static void buf_vprintf(buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  buf_reserve(b, 64);
  int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  if (n >= 0 && (size_t)n >= b->cap - b->len) {
    buf_reserve(b, (size_t)n);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap2);
  }
  va_end(ap2);
  if (n > 0) b->len += (size_t)n;
}
__attribute__((format(printf, 2, 3))) static void buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

// ---------------------------------------------------------------------------
// Globals, time, logging.

static int64_t g_start_ns;
static char g_hostname[256];
static int g_maxfd = 2;
static buf g_logbuf;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void track_fd(int fd) {
  if (fd > g_maxfd) g_maxfd = fd;
}

static void log_to(FILE *f, const char *fmt, va_list ap) {
  static time_t last;
  static char stamp[32];
  time_t t = time(NULL);
  if (t != last || !stamp[0]) {
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S ", &tm);
    last = t;
  }
  buf_clear(&g_logbuf);
  buf_vprintf(&g_logbuf, fmt, ap);
  if (g_logbuf.len == 0 || g_logbuf.p[g_logbuf.len - 1] != '\n') buf_addc(&g_logbuf, '\n');
  fputs(stamp, f);
  fwrite(g_logbuf.p, 1, g_logbuf.len, f);
}

// Go's log.Printf, written to stdout so `kemu logs` shows it.
__attribute__((format(printf, 1, 2))) static void logm(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_to(stdout, fmt, ap);
  va_end(ap);
}

// Go's log.Fatalf: message on stderr, exit status 1.
__attribute__((format(printf, 1, 2), noreturn)) static void fatal(const char *fmt, ...) {
  fflush(stdout);
  va_list ap;
  va_start(ap, fmt);
  log_to(stderr, fmt, ap);
  va_end(ap);
  fflush(stderr);
  _exit(1);
}

static void quit(int code) {
  fflush(stdout);
  fflush(stderr);
  _exit(code);
}

static void lower_first(char *s) {
  if (s[0] >= 'A' && s[0] <= 'Z') s[0] = (char)(s[0] + 32);
}

// strerror in Go's spelling ("connection refused").
static const char *errstr(int e) {
  static char b[128];
  snprintf(b, sizeof b, "%s", strerror(e));
  lower_first(b);
  return b;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// ---------------------------------------------------------------------------
// Go-compatible formatting helpers.

// Decodes one UTF-8 sequence; returns its length, or 0 if invalid.
static int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned c = s[0];
  int len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    len = 2, v = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, v = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if ((size_t)len > n) return 0;
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

// strconv.Quote
static void go_quote(buf *o, const char *s, size_t n) {
  buf_addc(o, '"');
  for (size_t i = 0; i < n;) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x80) {
      const char *esc = NULL;
      switch (ch) {
      case '\a': esc = "\\a"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\v': esc = "\\v"; break;
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      }
      if (esc) buf_adds(o, esc);
      else if (ch < 0x20 || ch == 0x7f) buf_printf(o, "\\x%02x", ch);
      else buf_addc(o, (char)ch);
      i++;
      continue;
    }
    uint32_t cp;
    int len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (!len) {
      buf_printf(o, "\\x%02x", ch);
      i++;
    } else {
      if (cp < 0xa0 || cp == 0xad) buf_printf(o, "\\u%04x", (unsigned)cp);
      else buf_add(o, s + i, (size_t)len);
      i += (size_t)len;
    }
  }
  buf_addc(o, '"');
}

// encoding/json string encoding (with Go's default HTML escaping).
static void json_str(buf *o, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_addc(o, '"');
  for (size_t i = 0; i < n;) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x80) {
      if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != '<' && ch != '>' && ch != '&') {
        buf_addc(o, (char)ch);
      } else {
        switch (ch) {
        case '"': buf_adds(o, "\\\""); break;
        case '\\': buf_adds(o, "\\\\"); break;
        case '\b': buf_adds(o, "\\b"); break;
        case '\f': buf_adds(o, "\\f"); break;
        case '\n': buf_adds(o, "\\n"); break;
        case '\r': buf_adds(o, "\\r"); break;
        case '\t': buf_adds(o, "\\t"); break;
        default: {
          char e[7] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0};
          buf_adds(o, e);
        }
        }
      }
      i++;
      continue;
    }
    uint32_t cp;
    int len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (!len) {
      buf_adds(o, "\\ufffd");
      i++;
    } else if (cp == 0x2028 || cp == 0x2029) {
      buf_printf(o, "\\u%04x", (unsigned)cp);
      i += (size_t)len;
    } else {
      buf_add(o, s + i, (size_t)len);
      i += (size_t)len;
    }
  }
  buf_addc(o, '"');
}

// strconv.Atoi; on failure writes Go's error text into err (if given).
static int go_atoi(const char *s, long long *out, buf *err) {
  const char *p = s;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = (*p++ == '-');
  int range = 0;
  unsigned long long v = 0;
  if (!*p) goto syntax;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') goto syntax;
    if (v > (ULLONG_MAX - 9) / 10) range = 1;
    else v = v * 10 + (unsigned)(*p - '0');
  }
  if (range || v > (unsigned long long)LLONG_MAX + (unsigned long long)neg) {
    if (err) {
      buf_adds(err, "strconv.Atoi: parsing ");
      go_quote(err, s, strlen(s));
      buf_adds(err, ": value out of range");
    }
    return -1;
  }
  *out = neg ? (long long)(0 - v) : (long long)v;
  return 0;
syntax:
  if (err) {
    buf_adds(err, "strconv.Atoi: parsing ");
    go_quote(err, s, strlen(s));
    buf_adds(err, ": invalid syntax");
  }
  return -1;
}

// time.ParseDuration (value in ns).
static int go_parse_duration(const char *s, int64_t *out) {
  int neg = 0;
  if (*s == '-' || *s == '+') neg = (*s++ == '-');
  if (!strcmp(s, "0")) {
    *out = 0;
    return 0;
  }
  if (!*s) return -1;
  long double total = 0;
  while (*s) {
    if (!(isdigit((unsigned char)*s) || *s == '.')) return -1;
    long double v = 0, scale = 1;
    int pre = 0, post = 0;
    while (isdigit((unsigned char)*s)) v = v * 10 + (*s++ - '0'), pre = 1;
    if (*s == '.') {
      s++;
      while (isdigit((unsigned char)*s)) scale /= 10, v += (*s++ - '0') * scale, post = 1;
    }
    if (!pre && !post) return -1;
    const char *u = s;
    while (*s && *s != '.' && !isdigit((unsigned char)*s)) s++;
    size_t ul = (size_t)(s - u);
    long double unit;
    if (ul == 2 && !strncmp(u, "ns", 2)) unit = 1;
    else if ((ul == 2 && !strncmp(u, "us", 2)) || (ul == 3 && (!strncmp(u, "\xc2\xb5s", 3) || !strncmp(u, "\xce\xbcs", 3)))) unit = 1e3;
    else if (ul == 2 && !strncmp(u, "ms", 2)) unit = 1e6;
    else if (ul == 1 && *u == 's') unit = 1e9;
    else if (ul == 1 && *u == 'm') unit = 60e9;
    else if (ul == 1 && *u == 'h') unit = 3600e9;
    else return -1;
    total += v * unit;
    if (total > 9.2233720368547758e18L) return -1;
  }
  *out = (int64_t)(neg ? -total : total);
  return 0;
}

static void trim_frac(char *f) {
  size_t l = strlen(f);
  while (l > 0 && f[l - 1] == '0') f[--l] = 0;
}

// time.Duration.String
static void go_duration(buf *o, int64_t d) {
  if (d == 0) {
    buf_adds(o, "0s");
    return;
  }
  if (d < 0) buf_addc(o, '-');
  uint64_t u = d < 0 ? (uint64_t)(-(d + 1)) + 1 : (uint64_t)d;
  char frac[16];
  if (u < (uint64_t)NS) {
    uint64_t unit;
    int digits;
    const char *suf;
    if (u < 1000) unit = 1, digits = 0, suf = "ns";
    else if (u < 1000000) unit = 1000, digits = 3, suf = "\xc2\xb5s";
    else unit = 1000000, digits = 6, suf = "ms";
    buf_printf(o, "%llu", (unsigned long long)(u / unit));
    if (digits) {
      snprintf(frac, sizeof frac, "%0*llu", digits, (unsigned long long)(u % unit));
      trim_frac(frac);
      if (frac[0]) buf_printf(o, ".%s", frac);
    }
    buf_adds(o, suf);
    return;
  }
  uint64_t secs = u / NS, h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
  if (h) buf_printf(o, "%lluh%llum", (unsigned long long)h, (unsigned long long)m);
  else if (m) buf_printf(o, "%llum", (unsigned long long)m);
  buf_printf(o, "%llu", (unsigned long long)s);
  snprintf(frac, sizeof frac, "%09llu", (unsigned long long)(u % NS));
  trim_frac(frac);
  if (frac[0]) buf_printf(o, ".%s", frac);
  buf_addc(o, 's');
}

// fmt's %v of time.Now(): "2006-01-02 15:04:05.999999999 -0700 MST m=+0.000000001"
static void go_now(buf *o) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  buf_printf(o, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
  if (ts.tv_nsec) {
    char frac[16];
    snprintf(frac, sizeof frac, "%09ld", ts.tv_nsec);
    trim_frac(frac);
    buf_printf(o, ".%s", frac);
  }
  long off = tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  buf_printf(o, " %c%02ld%02ld %s", sign, off / 3600, off % 3600 / 60, tm.tm_zone ? tm.tm_zone : "UTC");
  int64_t mono = now_ns() - g_start_ns;
  buf_printf(o, " m=+%lld.%09lld", (long long)(mono / NS), (long long)(mono % NS));
}

// ---------------------------------------------------------------------------
// Addresses and sockets.

typedef union {
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
  struct sockaddr_storage ss;
} sockaddr_any;

// Go's net.Addr.String(): "1.2.3.4:80", "[::1]:80" (IPv4-mapped shown as IPv4).
static void format_addr(const sockaddr_any *a, char *out, size_t n) {
  char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  if (a->sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof ip);
    snprintf(out, n, "%s:%u", ip, ntohs(a->in.sin_port));
  } else if (a->sa.sa_family == AF_INET6) {
    if (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr)) {
      inet_ntop(AF_INET, &a->in6.sin6_addr.s6_addr[12], ip, sizeof ip);
      snprintf(out, n, "%s:%u", ip, ntohs(a->in6.sin6_port));
      return;
    }
    inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof ip);
    if (a->in6.sin6_scope_id) {
      char ifn[IF_NAMESIZE];
      size_t l = strlen(ip);
      if (if_indextoname(a->in6.sin6_scope_id, ifn)) snprintf(ip + l, sizeof ip - l, "%%%s", ifn);
      else snprintf(ip + l, sizeof ip - l, "%%%u", a->in6.sin6_scope_id);
    }
    snprintf(out, n, "[%s]:%u", ip, ntohs(a->in6.sin6_port));
  } else {
    snprintf(out, n, "?");
  }
}

// Opens a listening (stream) or bound (datagram) socket on port, on the wildcard
// address (dual-stack when possible) or on addr. On failure fills err with
// Go's message ("listen tcp :8080: bind: address already in use").
static int open_listener(int type, int proto, const char *net, long port, const char *addr, buf *err) {
  sockaddr_any a;
  int families[2], nf = 0;
  memset(&a, 0, sizeof a);
  if (addr && *addr) {
    if (inet_pton(AF_INET, addr, &a.in.sin_addr) == 1) families[nf++] = AF_INET;
    else if (inet_pton(AF_INET6, addr, &a.in6.sin6_addr) == 1) families[nf++] = AF_INET6;
    else {
      buf_printf(err, "listen %s %s:%ld: invalid address", net, addr, port);
      return -1;
    }
  } else {
    families[nf++] = AF_INET6;
    families[nf++] = AF_INET;
  }
  int last_err = 0;
  const char *op = "socket";
  for (int i = 0; i < nf; i++) {
    int fam = families[i];
    int fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) {
      last_err = errno, op = "socket";
      continue;
    }
    int one = 1, zero = 0;
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_any b;
    memset(&b, 0, sizeof b);
    socklen_t bl;
    if (fam == AF_INET6) {
      if (!(addr && *addr)) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      b.in6.sin6_family = AF_INET6;
      b.in6.sin6_port = htons((uint16_t)port);
      b.in6.sin6_addr = (addr && *addr) ? a.in6.sin6_addr : in6addr_any;
      bl = sizeof b.in6;
    } else {
      b.in.sin_family = AF_INET;
      b.in.sin_port = htons((uint16_t)port);
      b.in.sin_addr.s_addr = (addr && *addr) ? a.in.sin_addr.s_addr : htonl(INADDR_ANY);
      bl = sizeof b.in;
    }
    if (bind(fd, &b.sa, bl) < 0) {
      last_err = errno, op = "bind";
      close(fd);
      if (last_err == EADDRINUSE || last_err == EACCES) break; // no point trying IPv4
      continue;
    }
    if (type == SOCK_STREAM && listen(fd, 4096) < 0) {
      last_err = errno, op = "listen";
      close(fd);
      continue;
    }
    track_fd(fd);
    return fd;
  }
  if (addr && *addr) buf_printf(err, "listen %s %s%s%s:%ld: %s: %s", net, strchr(addr, ':') ? "[" : "", addr,
                                strchr(addr, ':') ? "]" : "", port, op, errstr(last_err));
  else buf_printf(err, "listen %s :%ld: %s: %s", net, port, op, errstr(last_err));
  return -1;
}

// ---------------------------------------------------------------------------
// Event loop objects.

enum { T_DEAD, T_HTTP_LISTEN, T_HTTP_CONN, T_UDP, T_SCTP_LISTEN, T_SCTP_CONN, T_RAW_LISTEN, T_RAW_UDP, T_JOB, T_SIGNAL };

struct ev {
  int type;
  int fd;
};

struct conn {
  struct ev ev;
  buf in, out;
  size_t out_off;
  uint32_t events;
  char peer[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
  unsigned waiting : 1;   // a handler is still running (job, /exit wait)
  unsigned dead : 1;      // socket already closed, struct kept for the job
  unsigned close_after : 1;
  unsigned peer_eof : 1;
  unsigned sent_continue : 1;
  // the request being answered
  unsigned req_head : 1;
  unsigned req_keep : 1;
  unsigned req_minor : 1;
  struct conn *prev, *next;
};

struct job {
  struct ev ev;
  pid_t pid;
  struct conn *c;
  buf out;
};

struct pend_exit {
  struct conn *c;
  int code;
  int64_t timeout, deadline;
  struct pend_exit *next;
};

struct hdr {
  const char *n, *v;
  size_t nl, vl;
};

struct req {
  const char *method;
  size_t mlen;
  const char *target;
  size_t tlen;
  int minor;
  struct hdr h[MAX_HEADERS];
  int nh;
  char *body;
  size_t blen;
  const char *query;
  size_t qlen;
  int head, keepalive, form_body;
  const char *peer;
  size_t total;
};

struct resp {
  int status;
  buf hdrs; // handler-set headers, already in Go's (sorted) order
  buf body;
  int has_ct, conn_close;
};

static int g_ep = -1;
static struct conn *g_conns;
static int g_nconns;
static struct conn *g_graveyard;
static struct ev g_http_listeners[2];
static int g_nhttp;
static int g_reserve_fd = -1;
static struct resp R;
static buf g_path, g_tmp, g_tmp2;

enum { APP_NETEXEC, APP_SERVE_HOSTNAME };
static int g_app;
static void (*g_handler)(struct conn *, struct req *);

// netexec state
static int g_ready, g_term;
static int64_t g_term_deadline = -1;
static int g_shutting_down, g_shutdown_code;
static int64_t g_shutdown_deadline = -1;
static struct pend_exit *g_pend;

// flags
static long long f_http_port = 8080, f_udp_port = 8081, f_sctp_port = -1, f_delay_shutdown = 0;
static const char *f_tls_cert = "", *f_tls_key = "", *f_http_override = "", *f_udp_listen = "";
static int f_sh_http = 1, f_sh_tcp = 0, f_sh_udp = 0, f_sh_close = 0;
static long long f_sh_port = 9376;

static void ep_add(struct ev *e, uint32_t events) {
  struct epoll_event ee = {.events = events, .data.ptr = e};
  if (epoll_ctl(g_ep, EPOLL_CTL_ADD, e->fd, &ee) < 0) fatal("epoll_ctl: %s", errstr(errno));
}
static void ep_del(int fd) {
  struct epoll_event ee = {0};
  epoll_ctl(g_ep, EPOLL_CTL_DEL, fd, &ee);
}

// ---------------------------------------------------------------------------
// HTTP helpers.

static const char *status_text(int code) {
  switch (code) {
  case 100: return "Continue";
  case 101: return "Switching Protocols";
  case 102: return "Processing";
  case 103: return "Early Hints";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 203: return "Non-Authoritative Information";
  case 204: return "No Content";
  case 205: return "Reset Content";
  case 206: return "Partial Content";
  case 207: return "Multi-Status";
  case 208: return "Already Reported";
  case 226: return "IM Used";
  case 300: return "Multiple Choices";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 305: return "Use Proxy";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 402: return "Payment Required";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 407: return "Proxy Authentication Required";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Request Entity Too Large";
  case 414: return "Request URI Too Long";
  case 415: return "Unsupported Media Type";
  case 416: return "Requested Range Not Satisfiable";
  case 417: return "Expectation Failed";
  case 418: return "I'm a teapot";
  case 421: return "Misdirected Request";
  case 422: return "Unprocessable Entity";
  case 423: return "Locked";
  case 424: return "Failed Dependency";
  case 425: return "Too Early";
  case 426: return "Upgrade Required";
  case 428: return "Precondition Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 451: return "Unavailable For Legal Reasons";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  case 506: return "Variant Also Negotiates";
  case 507: return "Insufficient Storage";
  case 508: return "Loop Detected";
  case 510: return "Not Extended";
  case 511: return "Network Authentication Required";
  }
  return "";
}

static int ci_prefix(const char *s, size_t n, const char *pre) {
  size_t l = strlen(pre);
  return n >= l && !strncasecmp(s, pre, l);
}

// A subset of Go's http.DetectContentType, enough for what handlers write.
static const char *sniff(const char *d, size_t n) {
  if (n > 512) n = 512;
  const unsigned char *u = (const unsigned char *)d;
  size_t i = 0;
  while (i < n && (u[i] == '\t' || u[i] == '\n' || u[i] == '\f' || u[i] == '\r' || u[i] == ' ')) i++;
  static const char *html[] = {"<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT",
                               "<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--"};
  for (size_t k = 0; k < sizeof html / sizeof html[0]; k++) {
    size_t l = strlen(html[k]);
    if (n - i > l && !strncasecmp(d + i, html[k], l) && (d[i + l] == ' ' || d[i + l] == '>'))
      return "text/html; charset=utf-8";
  }
  if (n - i >= 5 && !memcmp(d + i, "<?xml", 5)) return "text/xml; charset=utf-8";
  if (n >= 5 && !memcmp(d, "%PDF-", 5)) return "application/pdf";
  if (n >= 2 && u[0] == 0xfe && u[1] == 0xff) return "text/plain; charset=utf-16be";
  if (n >= 2 && u[0] == 0xff && u[1] == 0xfe) return "text/plain; charset=utf-16le";
  if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) return "text/plain; charset=utf-8";
  if (n >= 6 && (!memcmp(d, "GIF87a", 6) || !memcmp(d, "GIF89a", 6))) return "image/gif";
  if (n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
  if (n >= 3 && u[0] == 0xff && u[1] == 0xd8 && u[2] == 0xff) return "image/jpeg";
  if (n >= 4 && !memcmp(d, "PK\x03\x04", 4)) return "application/zip";
  if (n >= 3 && !memcmp(d, "\x1f\x8b\x08", 3)) return "application/x-gzip";
  for (size_t k = 0; k < n; k++) {
    unsigned char c = u[k];
    if (c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f))
      return "application/octet-stream";
  }
  return "text/plain; charset=utf-8";
}

static int unhex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding (plus=1: '+' means space, as in query strings).
static int url_unescape(const char *s, size_t n, int plus, buf *out) {
  buf_reserve(out, n);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n) return -1;
      int h = unhex((unsigned char)s[i + 1]), l = unhex((unsigned char)s[i + 2]);
      if (h < 0 || l < 0) return -1;
      buf_addc(out, (char)(h * 16 + l));
      i += 2;
    } else if (c == '+' && plus) {
      buf_addc(out, ' ');
    } else {
      buf_addc(out, c);
    }
  }
  return 0;
}

// url.Values.Get on a raw query string (Go >= 1.17 semantics: pairs containing
// ';' or bad escapes are skipped).
static int query_get(const char *q, size_t ql, const char *key, buf *out) {
  static buf k;
  const char *p = q, *end = q + ql;
  size_t klen = strlen(key);
  while (p && p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    if (!amp) amp = end;
    if (amp > p && !memchr(p, ';', (size_t)(amp - p))) {
      const char *eq = memchr(p, '=', (size_t)(amp - p));
      const char *ke = eq ? eq : amp;
      buf_clear(&k);
      if (url_unescape(p, (size_t)(ke - p), 1, &k) == 0 && k.len == klen && !memcmp(bstr(&k), key, klen)) {
        buf_clear(out);
        if (!eq || url_unescape(eq + 1, (size_t)(amp - eq - 1), 1, out) == 0) return 1;
      }
    }
    p = amp + 1;
  }
  buf_clear(out);
  return 0;
}

// Request.FormValue: urlencoded POST/PUT/PATCH body first, then the URL query.
static int form_value(struct req *r, const char *key, buf *out) {
  if (r->form_body && query_get(r->body, r->blen, key, out)) return 1;
  return query_get(r->query, r->qlen, key, out);
}

static const struct hdr *req_header(const struct req *r, const char *name) {
  size_t l = strlen(name);
  for (int i = 0; i < r->nh; i++)
    if (r->h[i].nl == l && !strncasecmp(r->h[i].n, name, l)) return &r->h[i];
  return NULL;
}

static int has_token(const struct hdr *h, const char *tok) {
  if (!h) return 0;
  size_t tl = strlen(tok);
  const char *p = h->v, *end = h->v + h->vl;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
    const char *s = p;
    while (p < end && *p != ',') p++;
    const char *e = p;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if ((size_t)(e - s) == tl && !strncasecmp(s, tok, tl)) return 1;
  }
  return 0;
}

static int is_token_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

// textproto.CanonicalMIMEHeaderKey
static void canon_key(const char *n, size_t nl, buf *out) {
  buf_clear(out);
  for (size_t i = 0; i < nl; i++)
    if (!is_token_char((unsigned char)n[i])) {
      buf_add(out, n, nl);
      return;
    }
  int upper = 1;
  for (size_t i = 0; i < nl; i++) {
    char c = n[i];
    if (upper && c >= 'a' && c <= 'z') c = (char)(c - 32);
    else if (!upper && c >= 'A' && c <= 'Z') c = (char)(c + 32);
    buf_addc(out, c);
    upper = c == '-';
  }
}

// path.Clean
static void path_clean(const char *p, size_t n, buf *out) {
  buf_clear(out);
  if (n == 0) {
    buf_addc(out, '.');
    return;
  }
  int rooted = p[0] == '/';
  size_t r = 0, dotdot = 0;
  if (rooted) {
    buf_addc(out, '/');
    r = 1, dotdot = 1;
  }
  while (r < n) {
    if (p[r] == '/') {
      r++;
    } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
      r++;
    } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
      r += 2;
      if (out->len > dotdot) {
        out->len--;
        while (out->len > dotdot && out->p[out->len] != '/') out->len--;
        out->p[out->len] = 0;
      } else if (!rooted) {
        if (out->len > 0) buf_addc(out, '/');
        buf_adds(out, "..");
        dotdot = out->len;
      }
    } else {
      if ((rooted && out->len != 1) || (!rooted && out->len != 0)) buf_addc(out, '/');
      for (; r < n && p[r] != '/'; r++) buf_addc(out, p[r]);
    }
  }
  if (out->len == 0) buf_addc(out, '.');
}

static void resp_reset(void) {
  R.status = 200;
  buf_clear(&R.hdrs);
  buf_clear(&R.body);
  R.has_ct = R.conn_close = 0;
}

// http.Error
__attribute__((format(printf, 2, 3))) static void http_error(int code, const char *fmt, ...) {
  R.status = code;
  buf_clear(&R.hdrs);
  buf_adds(&R.hdrs, "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n");
  R.has_ct = 1;
  buf_clear(&R.body);
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&R.body, fmt, ap);
  va_end(ap);
  buf_addc(&R.body, '\n');
}

static void body_set(const char *s, size_t n) { buf_set(&R.body, s, n); }
static void body_sets(const char *s) { body_set(s, strlen(s)); }

// http.Redirect (Go's behaviour, including the relative-path cleanup and body).
static void http_redirect(struct req *r, const char *url, size_t ulen, int code) {
  buf *u = &g_tmp;
  buf_set(u, url, ulen);
  int has_scheme = 0, parse_ok = 1;
  size_t i = 0;
  if (ulen && isalpha((unsigned char)url[0])) {
    for (i = 1; i < ulen && (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.'); i++) {
    }
    if (i < ulen && url[i] == ':') has_scheme = 1;
  }
  if (ulen >= 2 && url[0] == '/' && url[1] == '/') has_scheme = 1;
  for (i = 0; i < ulen; i++) {
    unsigned char c = (unsigned char)url[i];
    if (c < 0x20 || c == 0x7f) parse_ok = 0;
    if (c == '%' && (i + 2 >= ulen || unhex((unsigned char)url[i + 1]) < 0 || unhex((unsigned char)url[i + 2]) < 0))
      parse_ok = 0;
  }
  if (parse_ok && !has_scheme) {
    if (ulen == 0 || url[0] != '/') {
      const char *old = bstr(&g_path);
      const char *slash = strrchr(old, '/');
      buf_clear(u);
      buf_add(u, old, slash ? (size_t)(slash - old + 1) : 0);
      buf_add(u, url, ulen);
    }
    char *q = memchr(u->p, '?', u->len);
    size_t plen = q ? (size_t)(q - u->p) : u->len;
    buf query = {0};
    if (q) buf_add(&query, q, u->len - plen);
    int trailing = plen > 0 && u->p[plen - 1] == '/';
    path_clean(u->p, plen, &g_tmp2);
    if (trailing && g_tmp2.p[g_tmp2.len - 1] != '/') buf_addc(&g_tmp2, '/');
    buf_set(u, g_tmp2.p, g_tmp2.len);
    if (query.len) buf_add(u, query.p, query.len);
    buf_free(&query);
  }
  int get = r->mlen == 3 && !memcmp(r->method, "GET", 3);
  int head = r->mlen == 4 && !memcmp(r->method, "HEAD", 4);
  R.status = code;
  if (get || head) {
    buf_adds(&R.hdrs, "Content-Type: text/html; charset=utf-8\r\n");
    R.has_ct = 1;
  }
  buf_adds(&R.hdrs, "Location: ");
  for (i = 0; i < u->len; i++) {
    unsigned char c = (unsigned char)u->p[i];
    if (c >= 0x80) buf_printf(&R.hdrs, "%%%02x", c);
    else buf_addc(&R.hdrs, (c == '\r' || c == '\n') ? ' ' : (char)c);
  }
  buf_adds(&R.hdrs, "\r\n");
  if (get) {
    buf_adds(&R.body, "<a href=\"");
    for (i = 0; i < u->len; i++) {
      char c = u->p[i];
      switch (c) {
      case '&': buf_adds(&R.body, "&amp;"); break;
      case '<': buf_adds(&R.body, "&lt;"); break;
      case '>': buf_adds(&R.body, "&gt;"); break;
      case '"': buf_adds(&R.body, "&#34;"); break;
      case '\'': buf_adds(&R.body, "&#39;"); break;
      default: buf_addc(&R.body, c);
      }
    }
    buf_printf(&R.body, "\">%s</a>.\n\n", status_text(code));
  }
}

// ---------------------------------------------------------------------------
// Connections.

static void conn_set_events(struct conn *c, uint32_t ev) {
  if (c->dead || c->events == ev) return;
  struct epoll_event ee = {.events = ev, .data.ptr = c};
  epoll_ctl(g_ep, EPOLL_CTL_MOD, c->ev.fd, &ee);
  c->events = ev;
}

static void conn_free(struct conn *c) {
  if (!c->dead) {
    ep_del(c->ev.fd);
    close(c->ev.fd);
    c->dead = 1;
  }
  if (c->prev) c->prev->next = c->next;
  else g_conns = c->next;
  if (c->next) c->next->prev = c->prev;
  g_nconns--;
  buf_free(&c->in);
  buf_free(&c->out);
  c->ev.type = T_DEAD; // events later in this epoll batch must skip it
  c->next = g_graveyard;
  g_graveyard = c;
}

// The peer is gone. Keep the struct while a handler still refers to it.
static void conn_kill(struct conn *c) {
  if (c->waiting) {
    if (!c->dead) {
      ep_del(c->ev.fd);
      close(c->ev.fd);
      c->dead = 1;
    }
  } else {
    conn_free(c);
  }
}

static struct conn *conn_new(int fd, int type, const sockaddr_any *peer) {
  struct conn *c = calloc(1, sizeof *c);
  if (!c) die_oom();
  c->ev.type = type;
  c->ev.fd = fd;
  format_addr(peer, c->peer, sizeof c->peer);
  c->events = EPOLLIN;
  ep_add(&c->ev, EPOLLIN);
  c->next = g_conns;
  if (g_conns) g_conns->prev = c;
  g_conns = c;
  g_nconns++;
  return c;
}

static void conn_process(struct conn *c);

static void conn_flush(struct conn *c) {
  if (c->dead) return;
  while (c->out_off < c->out.len) {
    ssize_t n = send(c->ev.fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      conn_set_events(c, EPOLLOUT);
      return;
    }
    conn_kill(c);
    return;
  }
  c->out_off = 0;
  buf_free(&c->out);
  if (c->close_after && !c->waiting) {
    shutdown(c->ev.fd, SHUT_WR);
    conn_free(c);
    return;
  }
  conn_set_events(c, (c->waiting || c->peer_eof) ? 0 : EPOLLIN);
}

static void send_response(struct conn *c) {
  if (c->dead) return;
  int status = R.status;
  // WriteHeader with a 1xx code (other than 101) sends an interim response.
  if (status >= 100 && status < 200 && status != 101) {
    buf_printf(&c->out, "HTTP/1.%d %d %s\r\n", c->req_minor, status, status_text(status));
    buf_add(&c->out, bstr(&R.hdrs), R.hdrs.len);
    buf_adds(&c->out, "\r\n");
    status = 200;
  }
  int allowed = !((status >= 100 && status < 200) || status == 204 || status == 304);
  int close = c->close_after || !c->req_keep || R.conn_close || g_shutting_down;
  buf *o = &c->out;
  const char *text = status_text(status);
  if (*text) buf_printf(o, "HTTP/1.%d %d %s\r\n", c->req_minor, status, text);
  else buf_printf(o, "HTTP/1.%d %03d status code %d\r\n", c->req_minor, status, status);
  buf_add(o, bstr(&R.hdrs), R.hdrs.len);
  static time_t last;
  static char date[64];
  time_t t = time(NULL);
  if (t != last) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    last = t;
  }
  buf_adds(o, date);
  if (allowed && (!c->req_head || R.body.len > 0)) buf_printf(o, "Content-Length: %zu\r\n", R.body.len);
  if (allowed && R.body.len > 0 && !R.has_ct) buf_printf(o, "Content-Type: %s\r\n", sniff(R.body.p, R.body.len));
  if (close && c->req_minor == 1 && !R.conn_close) buf_adds(o, "Connection: close\r\n");
  if (!close && c->req_minor == 0) buf_adds(o, "Connection: keep-alive\r\n");
  buf_adds(o, "\r\n");
  if (allowed && !c->req_head && R.body.len) buf_add(o, R.body.p, R.body.len);
  if (close) c->close_after = 1;
}

// Responses the Go server writes itself for unparsable requests.
static void send_raw_error(struct conn *c, int code) {
  const char *detail = "";
  if (code == 505) detail = ": unsupported protocol version";
  else if (code == 501) detail = ": unsupported transfer encoding";
  buf_printf(&c->out,
             "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n%d %s%s", code,
             status_text(code), code, status_text(code), detail);
  c->close_after = 1;
}

static void consume(struct conn *c, size_t n) {
  if (n >= c->in.len) {
    buf_free(&c->in);
    return;
  }
  memmove(c->in.p, c->in.p + n, c->in.len - n);
  c->in.len -= n;
  c->in.p[c->in.len] = 0;
}

// Chunked transfer coding: 1 = complete (decoded in place at p), 0 = need
// more, -1 = malformed.
static int chunked_decode(char *p, size_t n, size_t *consumed, size_t *outlen, size_t limit) {
  size_t i = 0, total = 0;
  for (int pass = 0; pass < 2; pass++) {
    i = 0;
    total = 0;
    for (;;) {
      char *nl = memchr(p + i, '\n', n - i);
      if (!nl) return 0;
      size_t size = 0;
      int digits = 0;
      size_t j = i;
      for (; p + j < nl; j++) {
        int h = unhex((unsigned char)p[j]);
        if (h < 0) break;
        if (size > (SIZE_MAX >> 5)) return -1;
        size = size * 16 + (size_t)h, digits++;
      }
      if (!digits) return -1;
      i = (size_t)(nl - p) + 1;
      if (size == 0) {
        for (;;) { // trailer section
          char *e = memchr(p + i, '\n', n - i);
          if (!e) return 0;
          size_t ll = (size_t)(e - (p + i));
          i = (size_t)(e - p) + 1;
          if (ll == 0 || (ll == 1 && p[i - 2] == '\r')) break;
        }
        break;
      }
      if (total + size > limit) return -1;
      if (n - i < size + 1) return 0;
      if (pass) memmove(p + total, p + i, size);
      total += size;
      i += size;
      if (p[i] == '\r') {
        if (n - i < 2) return 0;
        i++;
      }
      if (p[i] != '\n') return -1;
      i++;
    }
  }
  *consumed = i;
  *outlen = total;
  return 1;
}

static int parse_target(struct req *r, const char *t, size_t tl) {
  const char *p = t, *end = t + tl;
  if (tl == 1 && *t == '*') {
    buf_set(&g_path, "*", 1);
    r->query = "";
    r->qlen = 0;
    return 0;
  }
  int absolute = 0;
  if (ci_prefix(t, tl, "http://")) p += 7, absolute = 1;
  else if (ci_prefix(t, tl, "https://")) p += 8, absolute = 1;
  if (absolute)
    while (p < end && *p != '/' && *p != '?') p++;
  const char *q = memchr(p, '?', (size_t)(end - p));
  const char *pe = q ? q : end;
  buf_clear(&g_path);
  if (pe == p && absolute) buf_addc(&g_path, '/');
  else if (url_unescape(p, (size_t)(pe - p), 0, &g_path) < 0) return -1;
  if (g_path.len == 0 || g_path.p[0] != '/') return -1;
  r->query = q ? q + 1 : "";
  r->qlen = q ? (size_t)(end - q - 1) : 0;
  return 0;
}

// Parses one request from c->in: 1 = complete, 0 = need more, -code = error.
static int parse_request(struct conn *c, struct req *r) {
  char *base = c->in.p, *end = c->in.p + c->in.len;
  char *s = base;
  while (s < end && (*s == '\r' || *s == '\n')) s++;
  char *line = s, *hdr_end = NULL;
  int lineno = 0;
  r->nh = 0;
  while (!hdr_end) {
    char *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl) return c->in.len > MAX_HEADER_BYTES ? -431 : 0;
    if ((size_t)(nl - base) > MAX_HEADER_BYTES) return -431;
    char *le = nl;
    if (le > line && le[-1] == '\r') le--;
    if (lineno == 0) {
      char *sp1 = memchr(line, ' ', (size_t)(le - line));
      if (!sp1 || sp1 == line) return -400;
      char *sp2 = memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1));
      if (!sp2 || sp2 == sp1 + 1) return -400;
      r->method = line;
      r->mlen = (size_t)(sp1 - line);
      for (size_t i = 0; i < r->mlen; i++)
        if (!is_token_char((unsigned char)line[i])) return -400;
      r->target = sp1 + 1;
      r->tlen = (size_t)(sp2 - sp1 - 1);
      const char *proto = sp2 + 1;
      size_t pl = (size_t)(le - proto);
      if (pl == 8 && !memcmp(proto, "HTTP/1.1", 8)) r->minor = 1;
      else if (pl == 8 && !memcmp(proto, "HTTP/1.0", 8)) r->minor = 0;
      else if (pl > 5 && !memcmp(proto, "HTTP/", 5)) return -505;
      else return -400;
    } else if (le == line) {
      hdr_end = nl + 1;
    } else if (*line == ' ' || *line == '\t') {
      // obsolete line folding: ignore
    } else {
      char *colon = memchr(line, ':', (size_t)(le - line));
      if (!colon || colon == line) return -400;
      for (char *k = line; k < colon; k++)
        if (!is_token_char((unsigned char)*k)) return -400;
      char *v = colon + 1, *ve = le;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      if (r->nh < MAX_HEADERS) {
        struct hdr *h = &r->h[r->nh++];
        h->n = line, h->nl = (size_t)(colon - line), h->v = v, h->vl = (size_t)(ve - v);
      }
    }
    lineno++;
    line = nl + 1;
  }
  r->head = r->mlen == 4 && !memcmp(r->method, "HEAD", 4);
  const struct hdr *conn_h = req_header(r, "Connection");
  if (r->minor == 1) r->keepalive = !has_token(conn_h, "close");
  else r->keepalive = has_token(conn_h, "keep-alive");
  if (r->minor == 1 && !req_header(r, "Host")) return -4001;

  const struct hdr *te = req_header(r, "Transfer-Encoding");
  const struct hdr *cl = req_header(r, "Content-Length");
  size_t avail = (size_t)(end - hdr_end);
  r->body = hdr_end;
  r->blen = 0;
  if (te) {
    if (!(te->vl == 7 && !strncasecmp(te->v, "chunked", 7))) return -501;
    size_t consumed = 0, outlen = 0;
    int rc = chunked_decode(hdr_end, avail, &consumed, &outlen, MAX_BODY);
    if (rc < 0) return -400;
    if (rc == 0) goto need_body;
    r->blen = outlen;
    r->total = (size_t)(hdr_end - base) + consumed;
  } else if (cl) {
    unsigned long long n = 0;
    if (cl->vl == 0) return -400;
    for (size_t i = 0; i < cl->vl; i++) {
      if (cl->v[i] < '0' || cl->v[i] > '9') return -400;
      n = n * 10 + (unsigned)(cl->v[i] - '0');
      if (n > MAX_BODY) return -413;
    }
    if (avail < n) goto need_body;
    r->blen = (size_t)n;
    r->total = (size_t)(hdr_end - base) + r->blen;
  } else {
    r->total = (size_t)(hdr_end - base);
  }
  r->form_body = 0;
  if ((r->mlen == 4 && !memcmp(r->method, "POST", 4)) || (r->mlen == 3 && !memcmp(r->method, "PUT", 3)) ||
      (r->mlen == 5 && !memcmp(r->method, "PATCH", 5))) {
    const struct hdr *ct = req_header(r, "Content-Type");
    if (ct && ci_prefix(ct->v, ct->vl, "application/x-www-form-urlencoded")) r->form_body = 1;
  }
  r->peer = c->peer;
  return 1;
need_body:
  if (!c->sent_continue && r->minor == 1 && has_token(req_header(r, "Expect"), "100-continue")) {
    buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
    c->sent_continue = 1;
  }
  return 0;
}

static void handle_request(struct conn *c, struct req *r) {
  c->req_head = (unsigned)r->head;
  c->req_keep = (unsigned)r->keepalive;
  c->req_minor = (unsigned)r->minor;
  resp_reset();
  struct req ov;
  if (*f_http_override) {
    // Served as if it were a fresh GET request for the override URL: no
    // headers, no remote address, no body.
    memset(&ov, 0, sizeof ov);
    ov.method = "GET";
    ov.mlen = 3;
    ov.target = f_http_override;
    ov.tlen = strlen(f_http_override);
    ov.minor = 1;
    ov.peer = "";
    if (parse_target(&ov, ov.target, ov.tlen) < 0) {
      http_error(500, "override request failed: parse %s: invalid URL", f_http_override);
      send_response(c);
      return;
    }
    r = &ov;
  } else if (parse_target(r, r->target, r->tlen) < 0) {
    send_raw_error(c, 400);
    return;
  }
  if (g_path.len == 1 && g_path.p[0] == '*') {
    if (r->mlen == 7 && !memcmp(r->method, "OPTIONS", 7)) send_response(c);
    else send_raw_error(c, 400);
    return;
  }
  // ServeMux redirects requests for unclean paths to the cleaned path.
  path_clean(g_path.p, g_path.len, &g_tmp2);
  if (g_path.p[g_path.len - 1] == '/' && strcmp(g_tmp2.p, "/")) buf_addc(&g_tmp2, '/');
  if (strcmp(g_tmp2.p, g_path.p)) {
    buf loc = {0};
    for (size_t i = 0; i < g_tmp2.len; i++) {
      unsigned char ch = (unsigned char)g_tmp2.p[i];
      if (isalnum(ch) || strchr("-._~!$&'()*+,;=:@/", ch)) buf_addc(&loc, (char)ch);
      else buf_printf(&loc, "%%%02X", ch);
    }
    if (r->qlen) {
      buf_addc(&loc, '?');
      buf_add(&loc, r->query, r->qlen);
    }
    http_redirect(r, loc.p, loc.len, 301);
    buf_free(&loc);
    send_response(c);
    return;
  }
  g_handler(c, r);
  if (R.status < 0) { // Go's server recovers the handler panic and drops the connection
    c->close_after = 1;
    buf_clear(&c->in);
    return;
  }
  if (!c->waiting) send_response(c);
}

static void conn_process(struct conn *c) {
  while (!c->dead && !c->waiting && !c->close_after && c->in.len) {
    struct req r;
    int rc = parse_request(c, &r);
    if (rc == 0) break;
    if (rc < 0) {
      if (rc == -4001) {
        buf_adds(&c->out, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: "
                          "close\r\n\r\n400 Bad Request: missing required Host header");
        c->close_after = 1;
      } else {
        send_raw_error(c, -rc);
      }
      buf_clear(&c->in);
      break;
    }
    c->sent_continue = 0;
    size_t used = r.total;
    handle_request(c, &r);
    if (c->dead) return;
    consume(c, used);
  }
  if (c->peer_eof && !c->waiting) c->close_after = 1;
  conn_flush(c);
}

static void conn_on_event(struct conn *c, uint32_t ev) {
  if (ev & EPOLLERR) {
    conn_kill(c);
    return;
  }
  if (ev & EPOLLOUT) {
    conn_flush(c);
    if (c->ev.type == T_DEAD || c->dead) return;
    if (c->out.len == 0) conn_process(c);
    return;
  }
  if (ev & (EPOLLIN | EPOLLHUP)) {
    if (c->waiting && !(ev & EPOLLIN)) {
      conn_kill(c);
      return;
    }
    for (int i = 0; i < 8; i++) {
      // Buffers start at 4 KB and are freed whenever they drain, so idle
      // keep-alive connections cost only their struct.
      buf_reserve(&c->in, c->in.cap ? (c->in.cap - c->in.len > 1024 ? 0 : c->in.cap) : 4095);
      size_t avail = c->in.cap - c->in.len - 1;
      ssize_t n = read(c->ev.fd, c->in.p + c->in.len, avail);
      if (n > 0) {
        c->in.len += (size_t)n;
        c->in.p[c->in.len] = 0;
        if ((size_t)n < avail) break;
        continue;
      }
      if (n == 0) {
        c->peer_eof = 1;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      conn_kill(c);
      return;
    }
    if (c->peer_eof && c->in.len == 0 && !c->waiting && c->out.len == 0) {
      conn_free(c);
      return;
    }
    if (c->waiting) {
      conn_set_events(c, 0);
      return;
    }
    conn_process(c);
  }
}

static void on_http_listen(struct ev *l, int type) {
  for (int i = 0; i < 64; i++) {
    sockaddr_any a;
    socklen_t al = sizeof a;
    int fd = accept4(l->fd, &a.sa, &al, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && g_reserve_fd >= 0) {
        logm("http: Accept error: accept: %s", errstr(errno));
        close(g_reserve_fd);
        int x = accept(l->fd, NULL, NULL);
        if (x >= 0) close(x);
        g_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
      return;
    }
    track_fd(fd);
    if (type == T_HTTP_CONN) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    conn_new(fd, type, &a);
  }
}

// ---------------------------------------------------------------------------
// Forked helpers for handlers that may block.

typedef void (*job_fn)(int out);

static void close_fds_except(int keep) {
#ifdef SYS_close_range
  if (keep > 3 && syscall(SYS_close_range, 3, keep - 1, 0) == 0 &&
      syscall(SYS_close_range, keep + 1, ~0U, 0) == 0)
    return;
#endif
  for (int fd = 3; fd <= g_maxfd; fd++)
    if (fd != keep) close(fd);
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void start_job(struct conn *c, job_fn fn) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    http_error(500, "pipe: %s", errstr(errno));
    return;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    http_error(500, "fork: %s", errstr(errno));
    return;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close_fds_except(p[1]);
    fn(p[1]);
    fflush(stdout);
    _exit(0);
  }
  track_fd(p[0]);
  close(p[1]);
  set_nonblock(p[0]);
  struct job *j = calloc(1, sizeof *j);
  if (!j) die_oom();
  j->ev.type = T_JOB;
  j->ev.fd = p[0];
  j->pid = pid;
  j->c = c;
  ep_add(&j->ev, EPOLLIN);
  c->waiting = 1;
}

static void reap_children(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void job_on_event(struct job *j) {
  for (;;) {
    buf_reserve(&j->out, 4096);
    ssize_t n = read(j->ev.fd, j->out.p + j->out.len, j->out.cap - j->out.len - 1);
    if (n > 0) {
      j->out.len += (size_t)n;
      j->out.p[j->out.len] = 0;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break; // EOF or error: the helper is done
  }
  ep_del(j->ev.fd);
  close(j->ev.fd);
  waitpid(j->pid, NULL, WNOHANG);
  struct conn *c = j->c;
  c->waiting = 0;
  if (c->dead) {
    conn_free(c);
  } else {
    // "<status> <P|E>\n<body>": E marks an http.Error-style reply.
    resp_reset();
    char *nl = j->out.p ? memchr(j->out.p, '\n', j->out.len) : NULL;
    if (!nl) {
      http_error(500, "internal error: helper process failed");
    } else {
      R.status = atoi(j->out.p);
      if (nl > j->out.p + 1 && nl[-1] == 'E') {
        buf_adds(&R.hdrs, "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n");
        R.has_ct = 1;
      }
      body_set(nl + 1, j->out.len - (size_t)(nl + 1 - j->out.p));
    }
    send_response(c);
    conn_process(c);
  }
  buf_free(&j->out);
  free(j);
}

// Arguments handed to helpers (the child sees a copy of these).
static struct {
  buf host, port, request, protocol, tries_s, cmd;
  long long tries;
  int proto; // 0 http, 1 udp, 2 sctp
} J;

// ----- /dial helper ---------------------------------------------------------

struct target {
  sockaddr_any a;
  socklen_t al;
  char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
};

static int wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t rem = deadline - now_ns();
    if (rem <= 0) return 0;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)((rem + 999999) / 1000000));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}

// net.ResolveTCPAddr / ResolveUDPAddr. Returns 0, or -1 with Go-ish error text.
static int resolve(const char *host, const char *port, int socktype, struct target *t, buf *err) {
  char hb[300];
  snprintf(hb, sizeof hb, "%s", host);
  size_t hl = strlen(hb);
  if (hl >= 2 && hb[0] == '[' && hb[hl - 1] == ']') {
    memmove(hb, hb + 1, hl - 2);
    hb[hl - 2] = 0;
  }
  const char *net = socktype == SOCK_DGRAM ? "udp" : "tcp";
  long portnum = 0;
  if (*port) {
    int digits = 1;
    for (const char *p = port; *p; p++)
      if (!isdigit((unsigned char)*p)) digits = 0;
    if (digits) {
      portnum = strtol(port, NULL, 10);
      if (strlen(port) > 6 || portnum > 65535) {
        buf_printf(err, "address %s: invalid port", port);
        return -1;
      }
    } else {
      struct servent *se = getservbyname(port, net);
      if (!se) {
        buf_printf(err, "lookup %s/%s: unknown port", net, port);
        return -1;
      }
      portnum = ntohs((uint16_t)se->s_port);
    }
  }
  char ps[24];
  snprintf(ps, sizeof ps, "%ld", portnum);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = socktype;
  int rc = getaddrinfo(hb[0] ? hb : NULL, ps, &hints, &res);
  if (rc != 0 || !res) {
    if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_AGAIN || rc == EAI_FAIL)
      buf_printf(err, "lookup %s: no such host", hb);
    else buf_printf(err, "lookup %s: %s", hb, gai_strerror(rc));
    return -1;
  }
  struct addrinfo *pick = res;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
    if (ai->ai_family == AF_INET) {
      pick = ai;
      break;
    }
  memset(&t->a, 0, sizeof t->a);
  memcpy(&t->a, pick->ai_addr, pick->ai_addrlen);
  t->al = pick->ai_addrlen;
  freeaddrinfo(res);
  if (hb[0]) format_addr(&t->a, t->addr, sizeof t->addr);
  else snprintf(t->addr, sizeof t->addr, ":%ld", portnum);
  return 0;
}

static void local_remote(int fd, const struct target *t, char *out, size_t n) {
  sockaddr_any l;
  socklen_t ll = sizeof l;
  char ls[96];
  if (getsockname(fd, &l.sa, &ll) == 0) format_addr(&l, ls, sizeof ls);
  else snprintf(ls, sizeof ls, "?");
  char rs[96];
  format_addr(&t->a, rs, sizeof rs);
  snprintf(out, n, "%s->%s", ls, rs);
}

// Non-blocking connect with deadline: 0 ok, -1 error (detail), -2 timeout.
static int connect_deadline(const struct target *t, int type, int proto, int64_t deadline, int *fdp, buf *detail) {
  int fd = socket(t->a.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    buf_printf(detail, "socket: %s", errstr(errno));
    return -1;
  }
  if (connect(fd, &t->a.sa, t->al) < 0) {
    if (errno != EINPROGRESS) {
      buf_printf(detail, "connect: %s", errstr(errno));
      close(fd);
      return -1;
    }
    int w = wait_fd(fd, POLLOUT, deadline);
    if (w <= 0) {
      close(fd);
      return -2;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
      buf_printf(detail, "connect: %s", errstr(soerr));
      close(fd);
      return -1;
    }
  }
  *fdp = fd;
  return 0;
}

// Appends bytes as a valid request-target (escaping what Go's URL type would).
static void add_escaped_target(buf *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '#') break;
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
        c == '{' || c == '|' || c == '}')
      buf_printf(o, "%%%02X", c);
    else buf_addc(o, (char)c);
  }
}

// One HTTP GET exchange. Returns 0 with status/body/location, or -1 with the
// Go error detail (what follows `Get "URL": `). Body read failures are
// reported as success with an empty body, as upstream's dialHTTP does.
static int http_exchange(const struct target *t, const char *path, int64_t deadline, int *status, buf *location,
                         buf *body, buf *detail) {
  int fd = -1;
  buf d = {0};
  int rc = connect_deadline(t, SOCK_STREAM, 0, deadline, &fd, &d);
  if (rc == -2) {
    buf_printf(detail, "dial tcp %s: i/o timeout (Client.Timeout exceeded while awaiting headers)", t->addr);
    buf_free(&d);
    return -1;
  }
  if (rc < 0) {
    buf_printf(detail, "dial tcp %s: %s", t->addr, bstr(&d));
    buf_free(&d);
    return -1;
  }
  buf_free(&d);
  char lr[200];
  local_remote(fd, t, lr, sizeof lr);
  buf rq = {0};
  buf_printf(&rq, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Go-http-client/1.1\r\n\r\n", path, t->addr);
  size_t off = 0;
  while (off < rq.len) {
    ssize_t n = send(fd, rq.p + off, rq.len - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (wait_fd(fd, POLLOUT, deadline) <= 0) {
        buf_adds(detail, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        goto fail;
      }
      continue;
    }
    buf_printf(detail, "write tcp %s: write: %s", lr, errstr(errno));
    goto fail;
  }
  buf rb = {0};
  size_t hdr_len = 0;
  for (;;) {
    // Looks for a complete (non-1xx) header block.
    if (rb.len) {
      char *e = strstr(rb.p, "\r\n\r\n");
      size_t el = 4;
      char *e2 = strstr(rb.p, "\n\n");
      if (e2 && (!e || e2 < e)) e = e2, el = 2;
      if (e) {
        if (rb.len < 12 || strncmp(rb.p, "HTTP/1.", 7) || !isdigit((unsigned char)rb.p[9])) {
          buf_adds(detail, "malformed HTTP response ");
          char *nl = strchr(rb.p, '\n');
          go_quote(detail, rb.p, nl ? (size_t)(nl - rb.p) : rb.len);
          buf_free(&rb);
          goto fail;
        }
        *status = atoi(rb.p + 9);
        size_t blk = (size_t)(e - rb.p) + el;
        if (*status >= 100 && *status < 200 && *status != 101) {
          memmove(rb.p, rb.p + blk, rb.len - blk + 1);
          rb.len -= blk;
          continue;
        }
        hdr_len = blk;
        break;
      }
    }
    if (wait_fd(fd, POLLIN, deadline) <= 0) {
      buf_adds(detail, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
      buf_free(&rb);
      goto fail;
    }
    buf_reserve(&rb, 8192);
    ssize_t n = read(fd, rb.p + rb.len, rb.cap - rb.len - 1);
    if (n > 0) {
      rb.len += (size_t)n;
      rb.p[rb.len] = 0;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n == 0) buf_adds(detail, rb.len ? "unexpected EOF" : "EOF");
    else buf_printf(detail, "read tcp %s: read: %s", lr, errstr(errno));
    buf_free(&rb);
    goto fail;
  }
  // Response headers.
  long long clen = -1;
  int chunked = 0;
  buf_clear(location);
  for (char *l = strchr(rb.p, '\n') + 1; l < rb.p + hdr_len;) {
    char *nl = strchr(l, '\n');
    char *le = nl;
    if (le > l && le[-1] == '\r') le--;
    char *colon = memchr(l, ':', (size_t)(le - l));
    if (colon) {
      char *v = colon + 1;
      while (v < le && (*v == ' ' || *v == '\t')) v++;
      size_t nl_ = (size_t)(colon - l), vl = (size_t)(le - v);
      if (nl_ == 14 && !strncasecmp(l, "Content-Length", 14)) clen = strtoll(v, NULL, 10);
      else if (nl_ == 17 && !strncasecmp(l, "Transfer-Encoding", 17) && ci_prefix(v, vl, "chunked")) chunked = 1;
      else if (nl_ == 8 && !strncasecmp(l, "Location", 8)) buf_set(location, v, vl);
    }
    l = nl + 1;
  }
  buf_clear(body);
  size_t have = rb.len - hdr_len;
  char *bp = rb.p + hdr_len;
  int ok = 1;
  if (*status == 204 || *status == 304) {
    have = 0;
  } else {
    for (;;) {
      if (chunked) {
        size_t consumed, outlen;
        int c = chunked_decode(bp, have, &consumed, &outlen, SIZE_MAX / 2);
        if (c < 0) {
          ok = 0;
          break;
        }
        if (c > 0) {
          have = outlen;
          break;
        }
      } else if (clen >= 0 && have >= (size_t)clen) {
        have = (size_t)clen;
        break;
      }
      if (wait_fd(fd, POLLIN, deadline) <= 0) {
        ok = 0;
        break;
      }
      size_t boff = hdr_len;
      buf_reserve(&rb, 16384);
      bp = rb.p + boff;
      ssize_t n = read(fd, rb.p + rb.len, rb.cap - rb.len - 1);
      if (n > 0) {
        rb.len += (size_t)n;
        rb.p[rb.len] = 0;
        have = rb.len - hdr_len;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n == 0 && clen < 0 && !chunked) break; // body delimited by EOF
      ok = 0;
      break;
    }
  }
  if (ok) buf_add(body, bp, have);
  buf_free(&rb);
  buf_free(&rq);
  close(fd);
  return 0;
fail:
  buf_free(&rq);
  close(fd);
  return -1;
}

// dialHTTP: GET http://<addr>/<request>, following redirects like Go's client.
static int dial_http(const struct target *t0, const char *request, buf *resp, buf *err) {
  struct target t = *t0;
  buf url = {0}, path = {0}, loc = {0}, detail = {0};
  buf_printf(&url, "http://%s/%s", t.addr, request);
  buf_addc(&path, '/');
  add_escaped_target(&path, request, strlen(request));
  for (const char *p = request; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      buf_adds(err, "parse ");
      go_quote(err, url.p, url.len);
      buf_adds(err, ": net/url: invalid control character in URL");
      goto fail;
    }
  int64_t deadline = now_ns() + DIAL_TIMEOUT_NS;
  for (int redirects = 0;; redirects++) {
    int status = 0;
    buf_clear(&detail);
    if (http_exchange(&t, path.p, deadline, &status, &loc, resp, &detail) < 0) {
      buf_adds(err, "Get ");
      go_quote(err, url.p, url.len);
      buf_printf(err, ": %s", detail.p);
      goto fail;
    }
    if (!((status == 301 || status == 302 || status == 303 || status == 307 || status == 308) && loc.len)) break;
    if (redirects == 10) {
      buf_adds(err, "Get ");
      go_quote(err, url.p, url.len);
      buf_adds(err, ": stopped after 10 redirects");
      goto fail;
    }
    const char *l = loc.p;
    if (ci_prefix(l, loc.len, "http://")) {
      const char *hp = l + 7, *pe = hp;
      while (*pe && *pe != '/' && *pe != '?') pe++;
      char hostport[300];
      snprintf(hostport, sizeof hostport, "%.*s", (int)(pe - hp), hp);
      char *colon = strrchr(hostport, ':');
      const char *port = "80";
      if (colon && !strchr(colon, ']')) *colon = 0, port = colon + 1;
      buf e2 = {0};
      if (resolve(hostport, port, SOCK_STREAM, &t, &e2) < 0) {
        buf_adds(err, "Get ");
        go_quote(err, l, loc.len);
        buf_printf(err, ": dial tcp: %s", e2.p);
        buf_free(&e2);
        goto fail;
      }
      buf_set(&url, l, loc.len);
      buf_clear(&path);
      if (!*pe) buf_addc(&path, '/');
      if (*pe == '?') buf_addc(&path, '/');
      add_escaped_target(&path, pe, strlen(pe));
    } else if (l[0] == '/' && l[1] != '/') {
      buf_clear(&url);
      buf_printf(&url, "http://%s%s", t.addr, l);
      buf_clear(&path);
      add_escaped_target(&path, l, loc.len);
    } else {
      // Relative reference: resolve against the current path's directory.
      char *slash = strrchr(path.p, '/');
      size_t keep = slash ? (size_t)(slash - path.p + 1) : 1;
      path.len = keep;
      path.p[keep] = 0;
      add_escaped_target(&path, l, loc.len);
      buf_clear(&url);
      buf_printf(&url, "http://%s%s", t.addr, path.p);
    }
  }
  buf_free(&url);
  buf_free(&path);
  buf_free(&loc);
  buf_free(&detail);
  return 0;
fail:
  buf_free(&url);
  buf_free(&path);
  buf_free(&loc);
  buf_free(&detail);
  return -1;
}

static int dial_udp(const struct target *t, const char *request, size_t rlen, buf *resp, buf *err) {
  int fd = socket(t->a.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    buf_printf(err, "udp dial failed. err:dial udp %s: socket: %s", t->addr, errstr(errno));
    return -1;
  }
  if (connect(fd, &t->a.sa, t->al) < 0) {
    buf_printf(err, "udp dial failed. err:dial udp %s: connect: %s", t->addr, errstr(errno));
    close(fd);
    return -1;
  }
  char lr[200];
  local_remote(fd, t, lr, sizeof lr);
  if (send(fd, request, rlen, MSG_NOSIGNAL) < 0) {
    buf_printf(err, "udp connection write failed. err:write udp %s: write: %s", lr, errstr(errno));
    close(fd);
    return -1;
  }
  int w = wait_fd(fd, POLLIN, now_ns() + DIAL_TIMEOUT_NS);
  if (w <= 0) {
    buf_printf(err, "reading from udp connection failed. err:'read udp %s: i/o timeout'", lr);
    close(fd);
    return -1;
  }
  char b[2048];
  ssize_t n = recv(fd, b, sizeof b, 0);
  if (n < 0) {
    buf_printf(err, "reading from udp connection failed. err:'read udp %s: read: %s'", lr, errstr(errno));
    close(fd);
    return -1;
  }
  close(fd);
  if (n == 0) {
    buf_adds(err, "reading from udp connection failed. err:'<nil>'");
    return -1;
  }
  buf_set(resp, b, (size_t)n);
  return 0;
}

static int dial_sctp(const struct target *t, const char *request, size_t rlen, buf *resp, buf *err) {
  int fd = -1;
  buf d = {0};
  int64_t deadline = now_ns() + DIAL_TIMEOUT_NS;
  int rc = connect_deadline(t, SOCK_STREAM, IPPROTO_SCTP, deadline, &fd, &d);
  if (rc < 0) {
    buf_printf(err, "sctp dial failed. err:%s", rc == -2 ? "i/o timeout" : bstr(&d));
    buf_free(&d);
    return -1;
  }
  buf_free(&d);
  if (send(fd, request, rlen, MSG_NOSIGNAL) < 0) {
    buf_printf(err, "sctp connection write failed. err:write: %s", errstr(errno));
    close(fd);
    return -1;
  }
  char b[1024];
  ssize_t n = -1;
  if (wait_fd(fd, POLLIN, now_ns() + DIAL_TIMEOUT_NS) > 0) n = recv(fd, b, sizeof b, 0);
  close(fd);
  if (n <= 0) {
    buf_printf(err, "reading from sctp connection failed. err:'%s'", n == 0 ? "EOF" : "i/o timeout");
    return -1;
  }
  buf_set(resp, b, (size_t)n);
  return 0;
}

static void job_dial(int out) {
  struct target t;
  buf err = {0}, o = {0}, resp = {0}, responses = {0}, errors = {0};
  int socktype = J.proto == 1 ? SOCK_DGRAM : SOCK_STREAM;
  if (resolve(bstr(&J.host), bstr(&J.port), socktype, &t, &err) < 0) {
    buf_printf(&o, "400 E\nhost and/or port param are invalid. %s\n", err.p);
    write_all(out, o.p, o.len);
    return;
  }
  int nresp = 0, nerr = 0;
  size_t last_len = 0;
  for (long long i = 0; i < J.tries; i++) {
    buf_clear(&resp);
    buf_clear(&err);
    int rc;
    if (J.proto == 0) rc = dial_http(&t, bstr(&J.request), &resp, &err);
    else if (J.proto == 1) rc = dial_udp(&t, bstr(&J.request), J.request.len, &resp, &err);
    else rc = dial_sctp(&t, bstr(&J.request), J.request.len, &resp, &err);
    if (rc < 0) {
      buf_addc(&errors, nerr++ ? ',' : '[');
      json_str(&errors, err.p, err.len);
      last_len = 0;
    } else {
      buf_addc(&responses, nresp++ ? ',' : '[');
      json_str(&responses, bstr(&resp), resp.len);
      last_len = resp.len;
    }
  }
  // Upstream keeps "responses" only if the last attempt returned a non-empty
  // response, and "errors" only if there were any.
  buf_adds(&o, "200 P\n{");
  if (nerr) {
    buf_adds(&o, "\"errors\":");
    buf_add(&o, errors.p, errors.len);
    buf_addc(&o, ']');
  }
  if (last_len > 0) {
    if (nerr) buf_addc(&o, ',');
    buf_adds(&o, "\"responses\":");
    buf_add(&o, responses.p, responses.len);
    buf_addc(&o, ']');
  }
  buf_addc(&o, '}');
  write_all(out, o.p, o.len);
}

// ----- /shell helper --------------------------------------------------------

static void job_shell(int out) {
  const char *cmd = bstr(&J.cmd);
  int p[2], ep[2];
  buf output = {0}, err = {0}, o = {0};
  if (pipe2(p, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
    buf_printf(&err, "pipe: %s", errstr(errno));
    goto done;
  }
  pid_t pid = fork();
  if (pid < 0) {
    buf_printf(&err, "fork/exec /bin/sh: %s", errstr(errno));
    goto done;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(p[1], 1);
    dup2(p[1], 2);
    execl("/bin/sh", "/bin/sh", "-c", cmd, (char *)NULL);
    int e = errno;
    write_all(ep[1], (const char *)&e, sizeof e);
    _exit(127);
  }
  close(p[1]);
  close(ep[1]);
  char b[8192];
  for (;;) {
    ssize_t n = read(p[0], b, sizeof b);
    if (n > 0) buf_add(&output, b, (size_t)n);
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  int st = 0, e = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (read(ep[0], &e, sizeof e) == (ssize_t)sizeof e) {
    buf_clear(&output);
    buf_printf(&err, "fork/exec /bin/sh: %s", errstr(e));
  } else if (WIFEXITED(st) && WEXITSTATUS(st)) {
    buf_printf(&err, "exit status %d", WEXITSTATUS(st));
  } else if (WIFSIGNALED(st)) {
    char s[64];
    snprintf(s, sizeof s, "%s", strsignal(WTERMSIG(st)));
    lower_first(s);
    buf_printf(&err, "signal: %s%s", s, WCOREDUMP(st) ? " (core dumped)" : "");
  }
done:
  // log.Printf("Output: %s", map[string]string)
  buf_clear(&o);
  buf_adds(&o, "map[");
  if (err.len) buf_printf(&o, "error:%s", err.p);
  if (output.len) {
    if (err.len) buf_addc(&o, ' ');
    buf_adds(&o, "output:");
    buf_add(&o, output.p, output.len);
  }
  buf_addc(&o, ']');
  logm("Output: %s", o.p);
  buf_clear(&o);
  buf_adds(&o, "200 P\n{");
  if (err.len) {
    buf_adds(&o, "\"error\":");
    json_str(&o, err.p, err.len);
  }
  if (output.len) {
    if (err.len) buf_addc(&o, ',');
    buf_adds(&o, "\"output\":");
    json_str(&o, output.p, output.len);
  }
  buf_addc(&o, '}');
  write_all(out, o.p, o.len);
}

// ---------------------------------------------------------------------------
// netexec handlers.

static const char *get_hostname(void) {
  logm("hostname: %s", g_hostname);
  return g_hostname;
}

static void h_root(struct conn *c, struct req *r) {
  (void)c, (void)r;
  logm("GET /");
  buf_adds(&R.body, "NOW: ");
  go_now(&R.body);
}

static void h_echo(struct conn *c, struct req *r) {
  (void)c;
  static buf msg, code_s;
  form_value(r, "msg", &msg);
  form_value(r, "code", &code_s);
  logm("GET /echo?msg=%s&code=%s", bstr(&msg), bstr(&code_s));
  if (code_s.len) {
    long long code;
    if (go_atoi(code_s.p, &code, NULL) < 0) {
      buf_adds(&R.body, "argument 'code' must be an integer or empty, got ");
      go_quote(&R.body, code_s.p, code_s.len);
      buf_addc(&R.body, '\n');
      return;
    }
    if (code < 100 || code > 999) {
      logm("http: panic serving %s: invalid WriteHeader code %lld", r->peer, code);
      R.status = -1;
      return;
    }
    R.status = (int)code;
  }
  body_set(bstr(&msg), msg.len);
}

static void h_clientip(struct conn *c, struct req *r) {
  (void)c;
  logm("GET /clientip");
  body_sets(r->peer);
}

static void h_header(struct conn *c, struct req *r) {
  (void)c;
  static buf key, ck, names;
  form_value(r, "key", &key);
  if (key.len) {
    logm("GET /header?key=%s", key.p);
    canon_key(key.p, key.len, &ck);
    if (!strcmp(ck.p, "Host")) return; // Go moves Host out of the header map
    for (int i = 0; i < r->nh; i++)
      if (r->h[i].nl == ck.len && !strncasecmp(r->h[i].n, ck.p, ck.len)) {
        body_set(r->h[i].v, r->h[i].vl);
        return;
      }
    return;
  }
  logm("GET /header");
  // json.Marshal(r.Header): canonical keys, sorted, values in order.
  int n = r->nh, order[MAX_HEADERS];
  size_t off[MAX_HEADERS + 1];
  buf_clear(&names);
  for (int i = 0; i < n; i++) {
    canon_key(r->h[i].n, r->h[i].nl, &ck);
    off[i] = names.len;
    buf_add(&names, ck.p, ck.len + 1); // keep the NUL as separator
    order[i] = i;
  }
  for (int i = 1; i < n; i++) // stable insertion sort by canonical name
    for (int j = i; j > 0 && strcmp(names.p + off[order[j - 1]], names.p + off[order[j]]) > 0; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  buf_addc(&R.body, '{');
  const char *prev = NULL;
  int first = 1;
  for (int k = 0; k < n; k++) {
    int i = order[k];
    const char *name = names.p + off[i];
    if (!strcmp(name, "Host")) continue;
    if (prev && !strcmp(prev, name)) {
      buf_addc(&R.body, ',');
    } else {
      if (prev) buf_addc(&R.body, ']');
      if (!first) buf_addc(&R.body, ',');
      first = 0;
      json_str(&R.body, name, strlen(name));
      buf_adds(&R.body, ":[");
      prev = name;
    }
    json_str(&R.body, r->h[i].v, r->h[i].vl);
  }
  if (prev) buf_addc(&R.body, ']');
  buf_addc(&R.body, '}');
}

static void begin_shutdown(int code, int64_t timeout);

static void h_exit(struct conn *c, struct req *r) {
  static buf wait_s, timeout_s, code_s, d1, d2;
  form_value(r, "wait", &wait_s);
  form_value(r, "timeout", &timeout_s);
  form_value(r, "code", &code_s);
  logm("GET /exit?code=%s&timeout=%s&wait=%s", bstr(&code_s), bstr(&timeout_s), bstr(&wait_s));
  int64_t timeout = 0, wait = 0;
  if (timeout_s.len && go_parse_duration(timeout_s.p, &timeout) < 0) {
    buf_adds(&R.body, "argument 'timeout' must be a valid golang duration or empty, got ");
    go_quote(&R.body, timeout_s.p, timeout_s.len);
    buf_addc(&R.body, '\n');
    return;
  }
  if (wait_s.len && go_parse_duration(wait_s.p, &wait) < 0) {
    buf_adds(&R.body, "argument 'wait' must be a valid golang duration or empty, got ");
    go_quote(&R.body, wait_s.p, wait_s.len);
    buf_addc(&R.body, '\n');
    return;
  }
  long long code = 0;
  if (code_s.len && go_atoi(code_s.p, &code, NULL) < 0) {
    buf_adds(&R.body, "argument 'code' must be an integer [0-127] or empty, got ");
    go_quote(&R.body, code_s.p, code_s.len);
    buf_addc(&R.body, '\n');
    return;
  }
  buf_clear(&d1);
  buf_clear(&d2);
  go_duration(&d1, wait);
  go_duration(&d2, timeout);
  logm("Will begin shutdown in %s, allowing %s for connections to close, then will exit with %lld", d1.p, d2.p, code);
  if (wait <= 0 && timeout <= 0) quit((int)code);
  if (wait <= 0) {
    begin_shutdown((int)code, timeout);
    return;
  }
  struct pend_exit *pe = calloc(1, sizeof *pe);
  if (!pe) die_oom();
  pe->c = c;
  pe->code = (int)code;
  pe->timeout = timeout;
  pe->deadline = now_ns() + wait;
  pe->next = g_pend;
  g_pend = pe;
  c->waiting = 1;
}

static void h_healthz(struct conn *c, struct req *r) {
  (void)c, (void)r;
  logm("GET /healthz");
  R.status = g_ready ? 200 : 412;
}

static void h_readyz(struct conn *c, struct req *r) {
  (void)c, (void)r;
  logm("GET /readyz");
  if (g_term) {
    R.status = 503;
    body_sets("shutting down");
  } else if (g_ready) {
    body_sets("ok");
  } else {
    R.status = 412;
  }
}

static void h_hostname(struct conn *c, struct req *r) {
  (void)c, (void)r;
  logm("GET /hostname");
  body_sets(get_hostname());
}

static void h_hostName(struct conn *c, struct req *r) {
  (void)c, (void)r;
  logm("GET /hostName");
  body_sets(get_hostname());
}

static void h_shutdown(struct conn *c, struct req *r) {
  (void)c, (void)r;
  logm("GET /shutdown");
  quit(0);
}

static void h_redirect(struct conn *c, struct req *r) {
  (void)c;
  static buf location, code_s;
  form_value(r, "location", &location);
  form_value(r, "code", &code_s);
  logm("%.*s /redirect?msg=%s&code=%s", (int)r->mlen, r->method, bstr(&location), bstr(&code_s));
  long long code = 302;
  if (code_s.len) {
    if (go_atoi(code_s.p, &code, NULL) < 0) {
      buf_adds(&R.body, "argument 'code' must be an integer or empty, got ");
      go_quote(&R.body, code_s.p, code_s.len);
      buf_addc(&R.body, '\n');
      return;
    }
  }
  if (code < 100 || code > 999) {
    logm("http: panic serving %s: invalid WriteHeader code %lld", r->peer, code);
    R.status = -1;
    return;
  }
  http_redirect(r, bstr(&location), location.len, (int)code);
}

static void h_shell(struct conn *c, struct req *r) {
  form_value(r, "shellCommand", &J.cmd);
  if (!J.cmd.len) form_value(r, "cmd", &J.cmd);
  logm("GET /shell?cmd=%s", bstr(&J.cmd));
  start_job(c, job_shell);
}

static void h_dial(struct conn *c, struct req *r) {
  query_get(r->query, r->qlen, "host", &J.host);
  query_get(r->query, r->qlen, "port", &J.port);
  query_get(r->query, r->qlen, "request", &J.request);
  query_get(r->query, r->qlen, "protocol", &J.protocol);
  query_get(r->query, r->qlen, "tries", &J.tries_s);
  logm("GET /dial?host=%s&protocol=%s&port=%s&request=%s&tries=%s", bstr(&J.host), bstr(&J.protocol),
       bstr(&J.port), bstr(&J.request), bstr(&J.tries_s));
  J.tries = 1;
  if (J.tries_s.len) {
    buf e = {0};
    if (go_atoi(J.tries_s.p, &J.tries, &e) < 0) {
      http_error(400, "tries parameter is invalid. %s", e.p);
      buf_free(&e);
      return;
    }
  }
  if (!J.request.len) {
    http_error(400, "request parameter not specified. <nil>");
    return;
  }
  const char *p = bstr(&J.protocol);
  if (!*p || !strcasecmp(p, "http")) J.proto = 0;
  else if (!strcasecmp(p, "udp")) J.proto = 1;
  else if (!strcasecmp(p, "sctp")) J.proto = 2;
  else {
    http_error(400, "unsupported protocol. %s", p);
    return;
  }
  start_job(c, job_dial);
}

// Finds the multipart part named "file" that carries a filename.
static int multipart_file(struct req *r, const char **data, size_t *dlen) {
  const struct hdr *ct = req_header(r, "Content-Type");
  if (!ct || !ci_prefix(ct->v, ct->vl, "multipart/form-data")) return -1;
  char bnd[256];
  const char *b = NULL;
  for (size_t i = 0; i + 9 <= ct->vl; i++)
    if (!strncasecmp(ct->v + i, "boundary=", 9)) {
      b = ct->v + i + 9;
      break;
    }
  if (!b) return -1;
  size_t bl = 0;
  const char *ve = ct->v + ct->vl;
  if (*b == '"') {
    b++;
    while (b + bl < ve && b[bl] != '"') bl++;
  } else {
    while (b + bl < ve && b[bl] != ';' && b[bl] != ' ') bl++;
  }
  if (!bl || bl > 200) return -1;
  int dl = snprintf(bnd, sizeof bnd, "--%.*s", (int)bl, b);
  const char *p = r->body, *end = r->body + r->blen;
  const char *part = memmem(p, r->blen, bnd, (size_t)dl);
  while (part) {
    const char *s = part + dl;
    if (end - s >= 2 && s[0] == '-' && s[1] == '-') return -1;
    const char *hs = memchr(s, '\n', (size_t)(end - s));
    if (!hs) return -1;
    hs++;
    const char *he = memmem(hs, (size_t)(end - hs), "\r\n\r\n", 4);
    if (!he) return -1;
    const char *ds = he + 4;
    char delim[260];
    int dl2 = snprintf(delim, sizeof delim, "\r\n%s", bnd);
    const char *de = memmem(ds, (size_t)(end - ds), delim, (size_t)dl2);
    if (!de) return -1;
    const char *cd = NULL;
    for (const char *l = hs; l < he;) {
      const char *nl = memmem(l, (size_t)(he + 2 - l), "\r\n", 2);
      if (!nl) break;
      if (ci_prefix(l, (size_t)(nl - l), "content-disposition:")) cd = l;
      if (cd) {
        size_t cl = (size_t)(nl - cd);
        if (memmem(cd, cl, "name=\"file\"", 11) && memmem(cd, cl, "filename=", 9)) {
          *data = ds;
          *dlen = (size_t)(de - ds);
          return 0;
        }
        cd = NULL;
      }
      l = nl + 2;
    }
    part = de + 2;
  }
  return -1;
}

static void h_upload(struct conn *c, struct req *r) {
  (void)c;
  logm("GET /upload");
  const char *data;
  size_t dlen;
  if (multipart_file(r, &data, &dlen) < 0) {
    body_sets("{\"error\":\"Unable to upload file.\"}");
    logm("Unable to upload file: http: no such file");
    return;
  }
  char path[] = "/uploads/uploadXXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    body_sets("{\"error\":\"Unable to open file for write\"}");
    logm("Unable to open file for write: open /uploads/upload: %s", errstr(errno));
    return;
  }
  size_t off = 0;
  while (off < dlen) {
    ssize_t w = write(fd, data + off, dlen - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      body_sets("{\"error\":\"Unable to write file.\"}");
      logm("Unable to write file: %s", errstr(errno));
      return;
    }
    off += (size_t)w;
  }
  close(fd);
  if (chmod(path, 0700) < 0) {
    body_sets("{\"error\":\"Unable to chmod file.\"}");
    logm("Unable to chmod file: %s", errstr(errno));
    return;
  }
  logm("Wrote upload to %s", path);
  R.status = 201;
  buf_adds(&R.body, "{\"output\":");
  json_str(&R.body, path, strlen(path));
  buf_addc(&R.body, '}');
}

static void netexec_handler(struct conn *c, struct req *r) {
  static const struct {
    const char *path;
    void (*fn)(struct conn *, struct req *);
  } routes[] = {
      {"/clientip", h_clientip}, {"/header", h_header},     {"/dial", h_dial},         {"/echo", h_echo},
      {"/exit", h_exit},         {"/healthz", h_healthz},   {"/readyz", h_readyz},     {"/hostname", h_hostname},
      {"/redirect", h_redirect}, {"/shell", h_shell},       {"/upload", h_upload},     {"/hostName", h_hostName},
      {"/shutdown", h_shutdown},
  };
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (!strcmp(g_path.p, routes[i].path)) {
      routes[i].fn(c, r);
      return;
    }
  h_root(c, r);
}

static void serve_hostname_handler(struct conn *c, struct req *r) {
  (void)c;
  logm("HTTP request from %s", r->peer);
  if (f_sh_close) {
    buf_adds(&R.hdrs, "Connection: close\r\n");
    R.conn_close = 1;
  }
  body_sets(g_hostname);
}

// ---------------------------------------------------------------------------
// Shutdown and timers.

static void close_http_listeners(void) {
  for (int i = 0; i < g_nhttp; i++) {
    if (g_http_listeners[i].fd >= 0) {
      ep_del(g_http_listeners[i].fd);
      close(g_http_listeners[i].fd);
      g_http_listeners[i].fd = -1;
    }
  }
}

// http.Server.Shutdown: stop accepting, close idle connections, let active
// ones finish (they get "Connection: close"), then exit with code.
static void begin_shutdown(int code, int64_t timeout) {
  if (g_shutting_down) return;
  g_shutting_down = 1;
  g_shutdown_code = code;
  g_shutdown_deadline = now_ns() + timeout;
  close_http_listeners();
  for (struct conn *c = g_conns, *next; c; c = next) {
    next = c->next;
    if (c->ev.type == T_HTTP_CONN && !c->waiting && c->in.len == 0 && c->out.len == 0) conn_free(c);
  }
}

static void check_timers(void) {
  int64_t now = now_ns();
  if (g_term_deadline >= 0 && now >= g_term_deadline) quit(0);
  for (struct pend_exit **pp = &g_pend; *pp;) {
    struct pend_exit *pe = *pp;
    if (now < pe->deadline) {
      pp = &pe->next;
      continue;
    }
    *pp = pe->next;
    struct conn *c = pe->c;
    int code = pe->code;
    int64_t timeout = pe->timeout;
    free(pe);
    if (timeout <= 0) quit(code);
    c->waiting = 0;
    if (c->dead) {
      conn_free(c);
    } else if (!g_shutting_down) {
      resp_reset();
      g_shutting_down = 1; // so this reply carries Connection: close
      send_response(c);
      g_shutting_down = 0;
      begin_shutdown(code, timeout);
      conn_process(c);
    } else {
      c->waiting = 1; // a second /exit blocks forever, as upstream's does
    }
  }
  if (g_shutting_down) {
    int active = 0;
    for (struct conn *c = g_conns; c; c = c->next)
      if (c->ev.type == T_HTTP_CONN) active++;
    if (!active) {
      logm("Graceful shutdown completed with: <nil>");
      quit(g_shutdown_code);
    }
    if (now >= g_shutdown_deadline) {
      logm("Graceful shutdown completed with: context deadline exceeded");
      quit(g_shutdown_code);
    }
  }
}

static int next_timeout_ms(void) {
  int64_t next = -1, now = now_ns();
  if (g_term_deadline >= 0) next = g_term_deadline;
  if (g_shutting_down && (next < 0 || g_shutdown_deadline < next)) next = g_shutdown_deadline;
  for (struct pend_exit *pe = g_pend; pe; pe = pe->next)
    if (next < 0 || pe->deadline < next) next = pe->deadline;
  if (g_shutting_down) { // poll for connections going idle, like Go does
    int64_t poll_at = now + 10 * 1000000LL;
    if (next < 0 || poll_at < next) next = poll_at;
  }
  if (next < 0) return -1;
  int64_t d = next - now;
  if (d <= 0) return 0;
  return (int)((d + 999999) / 1000000);
}

// ---------------------------------------------------------------------------
// UDP / SCTP / raw TCP servers.

// The netexec UDP/SCTP command protocol. Returns 1 if a reply is in out.
static int udp_command(char *b, size_t n, const char *peer, const char *proto, buf *out) {
  const char *up = !strcmp(proto, "udp") ? "UDP" : "SCTP";
  char *s = b, *e = b + n;
  while (s < e && isspace((unsigned char)*s)) s++;
  while (e > s && isspace((unsigned char)e[-1])) e--;
  for (char *p = s; p < e; p++) *p = (char)tolower((unsigned char)*p);
  size_t len = (size_t)(e - s);
  buf_clear(out);
  if (len == 8 && !memcmp(s, "hostname", 8)) {
    logm("Sending %s hostName response", !strcmp(proto, "udp") ? "udp" : "SCTP");
    buf_adds(out, get_hostname());
    return 1;
  }
  if (len >= 5 && !memcmp(s, "echo ", 5)) {
    logm("Echoing %.*s to %s client %s", (int)(len - 5), s + 5, up, peer);
    buf_add(out, s + 5, len - 5);
    return 1;
  }
  if (len == 8 && !memcmp(s, "clientip", 8)) {
    logm("Sending clientip back to %s client %s", up, peer);
    buf_adds(out, peer);
    return 1;
  }
  if (len > 0) logm("Unknown %s command received from %s: %.*s", up, peer, (int)len, s);
  return 0;
}

static void on_udp(struct ev *e) {
  static buf reply;
  char b[2048];
  for (int i = 0; i < 64; i++) {
    sockaddr_any from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(e->fd, b, sizeof b, 0, &from.sa, &fl);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    char peer[96];
    format_addr(&from, peer, sizeof peer);
    if (udp_command(b, (size_t)n, peer, "udp", &reply)) sendto(e->fd, bstr(&reply), reply.len, 0, &from.sa, fl);
  }
}

static void on_sctp_conn(struct conn *c) {
  static buf reply;
  char b[1024];
  ssize_t n = read(c->ev.fd, b, sizeof b);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0 && udp_command(b, (size_t)n, c->peer, "sctp", &reply)) {
    if (send(c->ev.fd, bstr(&reply), reply.len, MSG_NOSIGNAL) < 0) { /* peer gone */ }
  }
  conn_free(c);
}

static void on_raw_listen(struct ev *l) {
  for (int i = 0; i < 64; i++) {
    sockaddr_any a;
    socklen_t al = sizeof a;
    int fd = accept4(l->fd, &a.sa, &al, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    char peer[96];
    format_addr(&a, peer, sizeof peer);
    logm("TCP request from %s", peer);
    if (send(fd, g_hostname, strlen(g_hostname), MSG_NOSIGNAL) < 0) { /* peer gone */ }
    close(fd);
  }
}

static void on_raw_udp(struct ev *e) {
  char b[16];
  for (int i = 0; i < 64; i++) {
    sockaddr_any from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(e->fd, b, sizeof b, MSG_TRUNC, &from.sa, &fl);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    char peer[96];
    format_addr(&from, peer, sizeof peer);
    logm("UDP request from %s", peer);
    sendto(e->fd, g_hostname, strlen(g_hostname), 0, &from.sa, fl);
  }
}

// ---------------------------------------------------------------------------
// Signals and the main loop.

static void noop_handler(int sig) { (void)sig; }

// Blocks sigs and returns a signalfd for them. A no-op handler is installed
// too, so the signals are not dropped when we run as PID 1 of a namespace.
static int signal_fd(const int *sigs, int n) {
  sigset_t set;
  sigemptyset(&set);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = noop_handler;
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < n; i++) {
    sigaddset(&set, sigs[i]);
    sigaction(sigs[i], &sa, NULL);
  }
  sigprocmask(SIG_BLOCK, &set, NULL);
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) fatal("signalfd: %s", errstr(errno));
  track_fd(fd);
  return fd;
}

static void on_signal(struct ev *e) {
  struct signalfd_siginfo si;
  while (read(e->fd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      reap_children();
    } else if (si.ssi_signo == SIGTERM) {
      if (g_term) continue; // upstream only reacts to the first SIGTERM
      g_term = 1;
      if (g_app == APP_SERVE_HOSTNAME) {
        logm("Shutting down after receiving signal: terminated.\n");
        logm("Awaiting pod deletion.\n");
        g_term_deadline = now_ns() + 60 * NS;
      } else if (f_delay_shutdown > 0) {
        logm("Sleeping %lld seconds before terminating...", f_delay_shutdown);
        g_term_deadline = now_ns() + f_delay_shutdown * NS;
      } else {
        quit(0);
      }
    }
  }
}

static void run_loop(void) {
  struct epoll_event evs[128];
  for (;;) {
    fflush(stdout);
    int n = epoll_wait(g_ep, evs, 128, next_timeout_ms());
    if (n < 0 && errno != EINTR) fatal("epoll_wait: %s", errstr(errno));
    for (int i = 0; i < n; i++) {
      struct ev *e = evs[i].data.ptr;
      switch (e->type) {
      case T_HTTP_LISTEN: on_http_listen(e, T_HTTP_CONN); break;
      case T_SCTP_LISTEN: on_http_listen(e, T_SCTP_CONN); break;
      case T_HTTP_CONN: conn_on_event((struct conn *)e, evs[i].events); break;
      case T_SCTP_CONN: on_sctp_conn((struct conn *)e); break;
      case T_UDP: on_udp(e); break;
      case T_RAW_LISTEN: on_raw_listen(e); break;
      case T_RAW_UDP: on_raw_udp(e); break;
      case T_JOB: job_on_event((struct job *)e); break;
      case T_SIGNAL: on_signal(e); break;
      default: break; // T_DEAD: freed earlier in this batch
      }
    }
    while (g_graveyard) {
      struct conn *c = g_graveyard;
      g_graveyard = c->next;
      free(c);
    }
    check_timers();
  }
}

static void loop_init(void) {
  struct rlimit rl; // Go raises the soft fd limit to the hard limit
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  if (g_ep < 0) fatal("epoll_create1: %s", errstr(errno));
  track_fd(g_ep);
  g_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  track_fd(g_reserve_fd);
  static struct ev sig;
  static const int sigs[] = {SIGTERM, SIGCHLD};
  sig.type = T_SIGNAL;
  sig.fd = signal_fd(sigs, 2);
  ep_add(&sig, EPOLLIN);
}

static void add_http_listener(long long port) {
  buf err = {0};
  int fd = open_listener(SOCK_STREAM, 0, "tcp", (long)port, NULL, &err);
  if (fd < 0) fatal("%s", err.p);
  struct ev *e = &g_http_listeners[g_nhttp++];
  e->type = T_HTTP_LISTEN;
  e->fd = fd;
  ep_add(e, EPOLLIN);
}

// ---------------------------------------------------------------------------
// Subcommands.

static int cmd_netexec(void) {
  g_app = APP_NETEXEC;
  g_handler = netexec_handler;
  loop_init();
  if (*f_tls_cert)
    fprintf(stderr, "agnhost: --tls-cert-file is not supported by kemu's built-in agnhost; serving plain HTTP\n");
  if (f_udp_port != -1) {
    // parseAddresses: comma-separated IPs, de-duplicated and sorted.
    char *list[64];
    int nl = 0;
    char *copy = strdup(f_udp_listen);
    if (!copy) die_oom();
    if (!*copy) {
      list[nl++] = copy;
    } else {
      for (char *tok = strtok(copy, ","); tok && nl < 64; tok = strtok(NULL, ",")) {
        unsigned char tmp[16];
        if (inet_pton(AF_INET, tok, tmp) != 1 && inet_pton(AF_INET6, tok, tmp) != 1)
          fatal("parseAddress: invalid address %s", tok);
        int dup = 0;
        for (int i = 0; i < nl; i++) dup |= !strcmp(list[i], tok);
        if (!dup) list[nl++] = tok;
      }
      for (int i = 1; i < nl; i++)
        for (int j = i; j > 0 && strcmp(list[j - 1], list[j]) > 0; j--) {
          char *t = list[j];
          list[j] = list[j - 1];
          list[j - 1] = t;
        }
    }
    for (int i = 0; i < nl; i++) {
      buf err = {0};
      int fd = open_listener(SOCK_DGRAM, 0, "udp", (long)f_udp_port, list[i], &err);
      if (fd < 0) {
        if (*list[i]) fatal("Error occurred: failed to create listener for UDP address %s%s%s:%lld:%s",
                            strchr(list[i], ':') ? "[" : "", list[i], strchr(list[i], ':') ? "]" : "", f_udp_port, err.p);
        fatal("Error occurred: failed to create listener for UDP address :%lld:%s", f_udp_port, err.p);
      }
      struct ev *e = calloc(1, sizeof *e);
      if (!e) die_oom();
      e->type = T_UDP;
      e->fd = fd;
      ep_add(e, EPOLLIN);
      logm("Started UDP server on port %s %lld", list[i], f_udp_port);
      g_ready = 1;
    }
  }
  if (f_sctp_port != -1) {
    buf err = {0};
    int fd = open_listener(SOCK_STREAM, IPPROTO_SCTP, "sctp", (long)f_sctp_port, NULL, &err);
    if (fd < 0) {
      logm("SCTP server not available (kemu): %s", err.p);
    } else {
      struct ev *e = calloc(1, sizeof *e);
      if (!e) die_oom();
      e->type = T_SCTP_LISTEN;
      e->fd = fd;
      ep_add(e, EPOLLIN);
      logm("Started SCTP server");
      g_ready = 1;
    }
  }
  add_http_listener(f_http_port);
  logm("Started HTTP server on port %lld", f_http_port);
  run_loop();
  return 0;
}

static int cmd_serve_hostname(void) {
  g_app = APP_SERVE_HOSTNAME;
  g_handler = serve_hostname_handler;
  if (f_sh_http && (f_sh_tcp || f_sh_udp)) fatal("Can't server TCP/UDP mode and HTTP mode at the same time");
  loop_init();
  if (f_sh_tcp) {
    buf err = {0};
    int fd = open_listener(SOCK_STREAM, 0, "tcp", (long)f_sh_port, NULL, &err);
    if (fd < 0) fatal("Error from net.Listen(): %s", err.p);
    struct ev *e = calloc(1, sizeof *e);
    if (!e) die_oom();
    e->type = T_RAW_LISTEN;
    e->fd = fd;
    ep_add(e, EPOLLIN);
  }
  if (f_sh_udp) {
    buf err = {0};
    int fd = open_listener(SOCK_DGRAM, 0, "udp", (long)f_sh_port, NULL, &err);
    if (fd < 0) fatal("Error from ListenUDP(): %s", err.p);
    struct ev *e = calloc(1, sizeof *e);
    if (!e) die_oom();
    e->type = T_RAW_UDP;
    e->fd = fd;
    ep_add(e, EPOLLIN);
  }
  if (f_sh_http) add_http_listener(f_sh_port);
  logm("Serving on port %lld.\n", f_sh_port);
  run_loop();
  return 0;
}

static int cmd_pause(void) {
  puts("Paused");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = noop_handler;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigprocmask(SIG_BLOCK, &set, NULL);
  puts("Signals registered");
  fflush(stdout);
  int sig;
  do {
    sig = sigwaitinfo(&set, NULL);
  } while (sig < 0);
  if (f_delay_shutdown > 0) {
    printf("Sleeping %lld seconds before exit ...", f_delay_shutdown);
    fflush(stdout);
    struct timespec ts = {.tv_sec = (time_t)f_delay_shutdown};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
  }
  char msg[64];
  snprintf(msg, sizeof msg, "exiting because of signal \"%s\"\n", sig == SIGINT ? "interrupt" : "terminated");
  // Upstream writes the termination message to $TERMINATION_MESSAGE_PATH
  // (default /dev/termination-log). Here processes run on the host, so only
  // an explicitly provided path is written.
  const char *tm = getenv("TERMINATION_MESSAGE_PATH");
  if (tm && *tm) {
    int fd = open(tm, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      write_all(fd, msg, strlen(msg));
      close(fd);
    }
  }
  fputs(msg, stdout);
  quit(sig == SIGINT ? 1 : 2);
  return 0;
}

// ---------------------------------------------------------------------------
// Command line (cobra/pflag compatible).

enum { FT_INT, FT_BOOL, FT_STR, FT_IGN_BOOL, FT_IGN_VAL };
struct flagdef {
  const char *name;
  char shorthand;
  int type;
  void *ptr;
  const char *usage;
};

static const struct flagdef klog_flags[] = {
    {"add_dir_header", 0, FT_IGN_BOOL, NULL, NULL},    {"alsologtostderr", 0, FT_IGN_BOOL, NULL, NULL},
    {"log_backtrace_at", 0, FT_IGN_VAL, NULL, NULL},   {"log_dir", 0, FT_IGN_VAL, NULL, NULL},
    {"log_file", 0, FT_IGN_VAL, NULL, NULL},           {"log_file_max_size", 0, FT_IGN_VAL, NULL, NULL},
    {"logtostderr", 0, FT_IGN_BOOL, NULL, NULL},       {"one_output", 0, FT_IGN_BOOL, NULL, NULL},
    {"skip_headers", 0, FT_IGN_BOOL, NULL, NULL},      {"skip_log_headers", 0, FT_IGN_BOOL, NULL, NULL},
    {"stderrthreshold", 0, FT_IGN_VAL, NULL, NULL},    {"v", 'v', FT_IGN_VAL, NULL, NULL},
    {"vmodule", 0, FT_IGN_VAL, NULL, NULL},
};
#define NKLOG ((int)(sizeof klog_flags / sizeof klog_flags[0]))

static int help_flag;

static const struct flagdef netexec_flags[] = {
    {"delay-shutdown", 0, FT_INT, &f_delay_shutdown, "Number of seconds to delay shutdown when receiving SIGTERM."},
    {"http-override", 0, FT_STR, &f_http_override,
     "Override the HTTP handler to always respond as if it were a GET with this path & params"},
    {"http-port", 0, FT_INT, &f_http_port, "HTTP Listen Port (default 8080)"},
    {"sctp-port", 0, FT_INT, &f_sctp_port, "SCTP Listen Port (default -1)"},
    {"tls-cert-file", 0, FT_STR, &f_tls_cert, "File containing an x509 certificate for HTTPS (not supported by kemu)"},
    {"tls-private-key-file", 0, FT_STR, &f_tls_key, "File containing an x509 private key matching --tls-cert-file"},
    {"udp-listen-addresses", 0, FT_STR, &f_udp_listen,
     "A comma separated list of ip addresses the udp servers listen from"},
    {"udp-port", 0, FT_INT, &f_udp_port, "UDP Listen Port (default 8081)"},
    {NULL, 0, 0, NULL, NULL},
};
static const struct flagdef serve_hostname_flags[] = {
    {"close", 0, FT_BOOL, &f_sh_close, "Close connection per each HTTP request."},
    {"http", 0, FT_BOOL, &f_sh_http, "Serve HTTP. (default true)"},
    {"port", 0, FT_INT, &f_sh_port, "Port number. (default 9376)"},
    {"tcp", 0, FT_BOOL, &f_sh_tcp, "Serve raw over TCP."},
    {"udp", 0, FT_BOOL, &f_sh_udp, "Serve raw over UDP."},
    {NULL, 0, 0, NULL, NULL},
};
static const struct flagdef pause_flags[] = {
    {"delay-shutdown", 0, FT_INT, &f_delay_shutdown, "Number of seconds to delay shutdown when receiving SIGTERM/SIGINT."},
    {NULL, 0, 0, NULL, NULL},
};

static const struct {
  const char *name, *short_desc;
  const struct flagdef *flags;
  int (*run)(void);
} commands[] = {
    {"netexec", "Creates HTTP(S), UDP, and (optionally) SCTP servers with various endpoints", netexec_flags,
     cmd_netexec},
    {"pause", "Pauses the execution", pause_flags, cmd_pause},
    {"serve-hostname", "Serves the hostname", serve_hostname_flags, cmd_serve_hostname},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

// Real agnhost subcommands that kemu does not emulate.
static const char *unsupported[] = {
    "audit-proxy",     "connect",          "crd-conversion-webhook",
    "dns-server-list", "dns-suffix",       "entrypoint-tester",
    "etc-hosts",       "fake-gitserver",   "grpc-health-checking",
    "guestbook",       "inclusterclient",  "liveness",
    "logs-generator",  "mounttest",        "net",
    "nettest",         "no-snat-test",     "no-snat-test-proxy",
    "porter",          "port-forward-tester", "resource-consumer-controller",
    "test-service-account-issuer-discovery", "test-webserver", "webhook",
};

static void print_root_usage(FILE *f) {
  fputs("Usage:\n  app [command]\n\nAvailable Commands (kemu built-in agnhost):\n", f);
  for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].short_desc);
  fputs("\nUse \"app [command] --help\" for more information about a command.\n", f);
}

static void print_cmd_usage(FILE *f, int ci) {
  fprintf(f, "Usage:\n  app %s [flags]\n\nFlags:\n", commands[ci].name);
  for (const struct flagdef *d = commands[ci].flags; d->name; d++)
    fprintf(f, "      --%-22s %s\n", d->name, d->usage);
  fprintf(f, "  -h, --%-22s help for %s\n", "help", commands[ci].name);
}

// Prints a cobra-style error. rootCmd.Execute()'s error is ignored upstream,
// so agnhost exits with status 0 after it.
__attribute__((format(printf, 2, 3), noreturn)) static void cli_error(int ci, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("Error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  if (ci >= 0) print_cmd_usage(stderr, ci);
  else print_root_usage(stderr);
  fflush(stderr);
  exit(0);
}

static const struct flagdef *find_flag(const struct flagdef *defs, const char *name, size_t nl, char sh) {
  static const struct flagdef help = {"help", 'h', FT_BOOL, &help_flag, NULL};
  for (const struct flagdef *d = defs; d && d->name; d++)
    if (sh ? d->shorthand == sh : (strlen(d->name) == nl && !strncmp(d->name, name, nl))) return d;
  for (int i = 0; i < NKLOG; i++)
    if (sh ? klog_flags[i].shorthand == sh
           : (strlen(klog_flags[i].name) == nl && !strncmp(klog_flags[i].name, name, nl)))
      return &klog_flags[i];
  if (sh ? sh == 'h' : (nl == 4 && !strncmp(name, "help", 4))) return &help;
  return NULL;
}

static int parse_bool(const char *v, int *out) {
  static const char *t[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *f[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (int i = 0; i < 6; i++) {
    if (!strcmp(v, t[i])) return *out = 1, 0;
    if (!strcmp(v, f[i])) return *out = 0, 0;
  }
  return -1;
}

static void set_flag(int ci, const struct flagdef *d, const char *shown, const char *val) {
  if (d->type == FT_BOOL || d->type == FT_IGN_BOOL) {
    int b;
    if (parse_bool(val, &b) < 0)
      cli_error(ci, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax", val,
                shown, val);
    if (d->ptr) *(int *)d->ptr = b;
  } else if (d->type == FT_INT) {
    char *end;
    errno = 0;
    long long v = strtoll(val, &end, 0);
    if (!*val || *end)
      cli_error(ci, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax", val,
                shown, val);
    if (errno == ERANGE)
      cli_error(ci, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": value out of range",
                val, shown, val);
    *(long long *)d->ptr = v;
  } else if (d->type == FT_STR) {
    *(const char **)d->ptr = val;
  }
}

static void parse_flags(int argc, char **argv, int skip, int ci) {
  const struct flagdef *defs = ci >= 0 ? commands[ci].flags : NULL;
  int positional = 0, dashdash = 0;
  for (int i = 1; i < argc; i++) {
    if (i == skip) continue;
    char *a = argv[i];
    if (dashdash || a[0] != '-' || !a[1]) {
      positional++;
      continue;
    }
    if (!strcmp(a, "--")) {
      dashdash = 1;
      continue;
    }
    const struct flagdef *d;
    char shown[128];
    const char *val = NULL;
    if (a[1] == '-') {
      const char *name = a + 2, *eq = strchr(name, '=');
      size_t nl = eq ? (size_t)(eq - name) : strlen(name);
      d = find_flag(defs, name, nl, 0);
      if (!d) cli_error(ci, "unknown flag: --%.*s", (int)nl, name);
      snprintf(shown, sizeof shown, "--%s", d->name);
      if (eq) val = eq + 1;
    } else {
      d = find_flag(defs, NULL, 0, a[1]);
      if (!d) cli_error(ci, "unknown shorthand flag: '%c' in %s", a[1], a);
      snprintf(shown, sizeof shown, "-%c, --%s", d->shorthand, d->name);
      if (a[2] == '=') val = a + 3;
      else if (a[2]) val = a + 2;
    }
    if (!val) {
      if (d->type == FT_BOOL || d->type == FT_IGN_BOOL) val = "true";
      else if (i + 1 < argc && i + 1 != skip) val = argv[++i];
      else cli_error(ci, "flag needs an argument: %s", a);
    }
    set_flag(ci, d, shown, val);
  }
  if (help_flag) {
    if (ci >= 0) print_cmd_usage(stdout, ci);
    else print_root_usage(stdout);
    exit(0);
  }
  if (positional && ci >= 0) cli_error(ci, "accepts at most 0 arg(s), received %d", positional);
}

int main(int argc, char **argv) {
  g_start_ns = now_ns();
  static char outbuf[8192];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  if (gethostname(g_hostname, sizeof g_hostname - 1) < 0) fatal("Error occurred: failed to get hostname:%s", errstr(errno));

  // Find the subcommand: the first argument that is neither a flag nor the
  // value of a (klog) flag that takes one.
  int sub = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) break;
    if (a[0] == '-' && a[1]) {
      if (!strchr(a, '=')) {
        const struct flagdef *d =
            a[1] == '-' ? find_flag(NULL, a + 2, strlen(a + 2), 0) : (a[2] ? NULL : find_flag(NULL, NULL, 0, a[1]));
        if (d && d->type == FT_IGN_VAL) i++;
      }
      continue;
    }
    sub = i;
    break;
  }
  if (sub < 0) {
    for (int i = 1; i < argc; i++)
      if (!strcmp(argv[i], "--version")) {
        puts("app version kemu");
        return 0;
      }
    parse_flags(argc, argv, -1, -1);
    print_root_usage(stdout);
    return 0;
  }
  const char *name = argv[sub];
  if (!strcmp(name, "help")) {
    for (int k = sub + 1; k < argc; k++)
      for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[k], commands[i].name)) {
          print_cmd_usage(stdout, i);
          return 0;
        }
    print_root_usage(stdout);
    return 0;
  }
  for (int i = 0; i < NCOMMANDS; i++)
    if (!strcmp(name, commands[i].name)) {
      parse_flags(argc, argv, sub, i);
      return commands[i].run();
    }
  for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
    if (!strcmp(name, unsupported[i])) {
      fprintf(stderr,
              "agnhost: subcommand \"%s\" is not implemented by kemu's built-in agnhost (supported: netexec, "
              "serve-hostname, pause)\n",
              name);
      return 2;
    }
  fprintf(stderr, "Error: unknown command \"%s\" for \"app\"\nRun 'app --help' for usage.\n", name);
  return 0;
}
