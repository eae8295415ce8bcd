// kemu-probe: the reachability probe behind `kemu probe`. From inside one
// network namespace it tries every target at once and says, per target,
// whether a connection got through.
//
//   kemu-probe [--netns PATH] [--timeout-ms N] PROTO:IP:PORT...
//   kemu-probe --serve [--netns PATH] PROTO:PORT...
//   kemu-probe --print-local-port ...  (also "local PROTO IP PORT LOCALPORT" per
//                                       target as soon as it is sent: kemu trace
//                                       follows that source port in the kernel)
//
// Probe mode prints one line per target, in the order given:
//   tcp 10.244.1.5 80 ok
//   udp 10.244.1.5 81 blocked timeout
//   tcp 10.244.2.7 81 blocked refused
//   sctp 10.244.1.5 80 unsupported          (the kernel has no SCTP)
//   tcp 10.96.0.20 80 blocked unreachable   (ICMP host/net unreachable)
//   tcp 10.244.1.5 80 blocked error <text>  (anything else)
//
// What counts as reachable follows upstream's `agnhost connect`, which the
// e2e netpol suite runs for each cell: TCP = the handshake completes; UDP =
// "hostname\n" is sent and any non-empty reply comes back (agnhost netexec
// answers it with the pod's name); SCTP = the association comes up, then the
// same request and a reply. ICMP port unreachable (or a TCP RST) is "refused",
// silence until the deadline "timeout". Every probe is a fresh socket, so a
// fresh ephemeral source port and a new conntrack entry, and all run
// concurrently on one epoll loop against one deadline.
//
// Serve mode listens on the given ports (TCP: accept, send a line, close;
// UDP and SCTP: answer every request with a line), prints "listening PROTO
// PORT" or "unavailable PROTO PORT <reason>" per port and then "ready", and
// serves until its stdin closes: `kemu probe --to-outside` runs it on the
// outside host for the duration of the probe.
//
// --netns PATH enters that network namespace first (setns: cheaper than
// `ip netns exec`, which also remounts /sys). Exit codes: 0 when every target
// was probed (whatever the verdicts), 2 for bad arguments, 1 for a setup failure.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

enum proto { P_TCP, P_UDP, P_SCTP };
static const char *proto_names[] = {"tcp", "udp", "sctp"};

// The request agnhost connect sends for UDP and SCTP (its --udp-data default).
static const char REQUEST[] = "hostname\n";

enum state { S_CONNECTING, S_AWAIT_REPLY, S_DONE };

static int print_local_port;

struct probe {
  enum proto proto;
  char ip[INET6_ADDRSTRLEN];
  int port;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  int fd;
  enum state state;
  const char *verdict;  // "ok", "blocked", "unsupported"
  char detail[96];
};

static void usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "kemu-probe: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nusage: kemu-probe [--netns PATH] [--timeout-ms N] PROTO:IP:PORT...\n"
                  "       kemu-probe --serve [--netns PATH] PROTO:PORT...\n"
                  "       (PROTO is tcp, udp or sctp)\n");
  exit(2);
}

static int parse_proto(const char *s, size_t n, enum proto *out) {
  for (int i = 0; i < 3; i++) {
    if (strlen(proto_names[i]) == n && !strncasecmp(s, proto_names[i], n)) {
      *out = (enum proto)i;
      return 0;
    }
  }
  return -1;
}

static int parse_port(const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > 65535) return -1;
  *out = (int)v;
  return 0;
}

// PROTO:IP:PORT; the port is after the last colon, so IPv6 addresses work too.
static void parse_target(const char *arg, struct probe *p) {
  const char *c1 = strchr(arg, ':');
  const char *c2 = strrchr(arg, ':');
  if (!c1 || c1 == c2) usage_error("bad target %s: expected PROTO:IP:PORT", arg);
  if (parse_proto(arg, (size_t)(c1 - arg), &p->proto)) usage_error("bad target %s: the protocol must be tcp, udp or sctp", arg);
  size_t iplen = (size_t)(c2 - c1 - 1);
  if (iplen == 0 || iplen >= sizeof p->ip) usage_error("bad target %s: expected an IP address", arg);
  memcpy(p->ip, c1 + 1, iplen);
  p->ip[iplen] = 0;
  if (parse_port(c2 + 1, &p->port)) usage_error("bad target %s: the port must be 1-65535", arg);
  memset(&p->addr, 0, sizeof p->addr);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&p->addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&p->addr;
  if (inet_pton(AF_INET, p->ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)p->port);
    p->addrlen = sizeof *a4;
  } else if (inet_pton(AF_INET6, p->ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)p->port);
    p->addrlen = sizeof *a6;
  } else {
    usage_error("bad target %s: expected an IP address", arg);
  }
  p->fd = -1;
  p->state = S_CONNECTING;
}

static void enter_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
    fprintf(stderr, "kemu-probe: cannot enter network namespace %s: %s\n", path, strerror(errno));
    exit(1);
  }
  close(fd);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// A decided probe's socket is closed at once (which also takes it off epoll).
static void done(struct probe *p, const char *verdict) {
  p->state = S_DONE;
  p->verdict = verdict;
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
}

// The verdict for an error on a probe's socket.
static void fail_with(struct probe *p, int err) {
  done(p, "blocked");
  switch (err) {
    case ECONNREFUSED: snprintf(p->detail, sizeof p->detail, "refused"); break;
    case EHOSTUNREACH:
    case ENETUNREACH: snprintf(p->detail, sizeof p->detail, "unreachable"); break;
    case ETIMEDOUT: snprintf(p->detail, sizeof p->detail, "timeout"); break;
    default: snprintf(p->detail, sizeof p->detail, "error %s", strerror(err)); break;
  }
}

static void succeed(struct probe *p) {
  done(p, "ok");
  p->detail[0] = 0;
}

static int socket_type(enum proto pr) { return pr == P_UDP ? SOCK_DGRAM : SOCK_STREAM; }
static int socket_protocol(enum proto pr) { return pr == P_SCTP ? IPPROTO_SCTP : 0; }

static void send_request(struct probe *p, int ep) {
  if (send(p->fd, REQUEST, sizeof REQUEST - 1, MSG_NOSIGNAL) < 0) {
    fail_with(p, errno);
    return;
  }
  p->state = S_AWAIT_REPLY;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
  epoll_ctl(ep, EPOLL_CTL_MOD, p->fd, &ev);
}

static void start(struct probe *p, int ep) {
  int fd = socket(p->addr.ss_family, socket_type(p->proto) | SOCK_NONBLOCK | SOCK_CLOEXEC, socket_protocol(p->proto));
  if (fd < 0) {
    if (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT || errno == EAFNOSUPPORT) {
      done(p, "unsupported");
      return;
    }
    fail_with(p, errno);
    return;
  }
  p->fd = fd;
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = p};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    fail_with(p, errno);
    return;
  }
  if (connect(fd, (struct sockaddr *)&p->addr, p->addrlen) < 0 && errno != EINPROGRESS) {
    fail_with(p, errno);
    return;
  }
  if (print_local_port) {
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    if (getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
      int lport = local.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&local)->sin_port) : ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
      printf("local %s %s %d %d\n", proto_names[p->proto], p->ip, p->port, lport);
      fflush(stdout);
    }
  }
  // A UDP "connection" is only an address: the request goes out at once.
  if (p->proto == P_UDP) send_request(p, ep);
}

static void on_event(struct probe *p, int ep, uint32_t events) {
  if (p->state == S_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) fail_with(p, err);
    else if (!(events & EPOLLOUT)) return;
    else if (p->proto == P_TCP) succeed(p);
    else send_request(p, ep);  // SCTP: association up, now the request
    return;
  }
  if (p->state == S_AWAIT_REPLY) {
    char b[512];
    ssize_t n = recv(p->fd, b, sizeof b, 0);
    if (n > 0) {
      succeed(p);
    } else if (n == 0) {
      // agnhost connect insists on data: an empty reply proves nothing.
      done(p, "blocked");
      snprintf(p->detail, sizeof p->detail, "no-data");
    } else if (errno != EAGAIN && errno != EINTR) {
      fail_with(p, errno);
    }
  }
}

static int run_probes(int argc, char **argv, int first, long timeout_ms) {
  int n = argc - first;
  if (n <= 0) usage_error("%s", "no targets");
  struct probe *probes = calloc((size_t)n, sizeof *probes);
  if (!probes) return 1;
  for (int i = 0; i < n; i++) parse_target(argv[first + i], &probes[i]);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    perror("kemu-probe: epoll_create1");
    return 1;
  }
  long long deadline = now_ms() + timeout_ms;
  for (int i = 0; i < n; i++) start(&probes[i], ep);
  int pending = 0;
  for (int i = 0; i < n; i++) pending += probes[i].state != S_DONE;
  struct epoll_event events[256];
  while (pending > 0) {
    long long left = deadline - now_ms();
    if (left <= 0) break;
    int k = epoll_wait(ep, events, 256, (int)left);
    if (k < 0) {
      if (errno == EINTR) continue;
      perror("kemu-probe: epoll_wait");
      return 1;
    }
    for (int i = 0; i < k; i++) {
      struct probe *p = events[i].data.ptr;
      if (p->state == S_DONE) continue;
      on_event(p, ep, events[i].events);
      if (p->state == S_DONE) pending--;
    }
  }
  for (int i = 0; i < n; i++) {
    struct probe *p = &probes[i];
    if (p->state != S_DONE) {
      done(p, "blocked");
      snprintf(p->detail, sizeof p->detail, "timeout");
    }
    printf("%s %s %d %s%s%s\n", proto_names[p->proto], p->ip, p->port, p->verdict, p->detail[0] ? " " : "", p->detail);
  }
  fflush(stdout);
  return 0;
}

// ---------------------------------------------------------------------------
// Serve mode.

struct listener {
  enum proto proto;
  int port;
  int fd;
};

static const char REPLY[] = "kemu-probe\n";

static int open_listener(enum proto pr, int port) {
  int fd = socket(AF_INET, socket_type(pr) | SOCK_NONBLOCK | SOCK_CLOEXEC, socket_protocol(pr));
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || (pr != P_UDP && listen(fd, 128) < 0)) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

static void serve_one(struct listener *l) {
  if (l->proto == P_UDP) {
    char b[512];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    while (recvfrom(l->fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl) >= 0) {
      sendto(l->fd, REPLY, sizeof REPLY - 1, 0, (struct sockaddr *)&from, fl);
      fl = sizeof from;
    }
    return;
  }
  int c;
  while ((c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
    // SCTP clients send their request first; a short wait for it keeps their read happy.
    if (l->proto == P_SCTP) {
      struct pollfd pf = {.fd = c, .events = POLLIN};
      char b[512];
      if (poll(&pf, 1, 500) > 0 && read(c, b, sizeof b) < 0) { /* nothing to answer */ }
    }
    if (send(c, REPLY, sizeof REPLY - 1, MSG_NOSIGNAL) < 0) { /* the client went away */ }
    close(c);
  }
}

static int run_server(int argc, char **argv, int first) {
  int n = argc - first;
  if (n <= 0) usage_error("%s", "--serve: no ports");
  struct listener *ls = calloc((size_t)n, sizeof *ls);
  struct pollfd *pfds = calloc((size_t)n + 1, sizeof *pfds);
  if (!ls || !pfds) return 1;
  for (int i = 0; i < n; i++) {
    const char *arg = argv[first + i];
    const char *c = strchr(arg, ':');
    if (!c || parse_proto(arg, (size_t)(c - arg), &ls[i].proto) || parse_port(c + 1, &ls[i].port)) usage_error("bad listener %s: expected PROTO:PORT", arg);
    ls[i].fd = open_listener(ls[i].proto, ls[i].port);
    if (ls[i].fd < 0) printf("unavailable %s %d %s\n", proto_names[ls[i].proto], ls[i].port, strerror(errno));
    else printf("listening %s %d\n", proto_names[ls[i].proto], ls[i].port);
    pfds[i].fd = ls[i].fd;  // a negative fd is ignored by poll
    pfds[i].events = POLLIN;
  }
  pfds[n].fd = 0;
  pfds[n].events = POLLIN;
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    if (poll(pfds, (nfds_t)n + 1, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfds[n].revents) {
      char b[64];
      ssize_t r = read(0, b, sizeof b);
      if (r <= 0) return 0;  // the prober is done (or gone)
    }
    for (int i = 0; i < n; i++)
      if (pfds[i].revents & POLLIN) serve_one(&ls[i]);
  }
}

int main(int argc, char **argv) {
  const char *netns = NULL;
  long timeout_ms = 1000;
  int serve = 0;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--netns") && i + 1 < argc) {
      netns = argv[++i];
    } else if (!strcmp(a, "--timeout-ms") && i + 1 < argc) {
      char *end;
      timeout_ms = strtol(argv[++i], &end, 10);
      if (*end || timeout_ms < 1 || timeout_ms > 600000) usage_error("--timeout-ms: expected 1-600000, got %s", argv[i]);
    } else if (!strcmp(a, "--print-local-port")) {
      print_local_port = 1;
    } else if (!strcmp(a, "--serve")) {
      serve = 1;
    } else if (!strcmp(a, "--")) {
      i++;
      break;
    } else if (a[0] == '-' && a[1] == '-') {
      usage_error("unknown option %s", a);
    } else {
      break;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (netns) enter_netns(netns);
  return serve ? run_server(argc, argv, i) : run_probes(argc, argv, i, timeout_ms);
}
