// kemu-portforward: one port-forward connection, as the container runtime
// makes it for the kubelet (containerd's PortForward: enter the pod's network
// namespace, dial localhost:PORT, IPv4 first then IPv6, then copy both ways).
//
//   kemu-portforward --netns PATH PORT
//
// stdin goes to the connection and the connection to stdout; stdin's EOF
// half-closes the connection (shutdown SHUT_WR), the connection's EOF closes
// stdout. A process per connection (~1 MB) instead of a socket in the control
// plane: a Node.js process cannot enter another network namespace.
//
// Exit codes: 0 when both directions are done; 1 when the connection could
// not be made, with the reason on stderr in the words Go's dialer uses
// ("IPv4: dial tcp4 127.0.0.1:8080: connect: connection refused IPv6 …"),
// which is what kubectl shows; 2 for bad arguments.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(void) {
  fprintf(stderr, "usage: kemu-portforward --netns PATH PORT\n");
  exit(2);
}

// Go prints syscall errors in lower case ("connection refused").
static void go_error(char *out, size_t size, int err) {
  snprintf(out, size, "%s", strerror(err));
  if (out[0]) out[0] = (char)tolower((unsigned char)out[0]);
}

static int dial(int family, int port, char *why, size_t size) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char reason[128];
  const char *network = family == AF_INET ? "tcp4" : "tcp6";
  const char *address = family == AF_INET ? "127.0.0.1" : "[::1]";
  if (fd < 0) {
    go_error(reason, sizeof reason, errno);
    snprintf(why, size, "dial %s %s:%d: socket: %s", network, address, port, reason);
    return -1;
  }
  int rc;
  if (family == AF_INET) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  } else {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  }
  if (rc == 0) return fd;
  go_error(reason, sizeof reason, errno);
  snprintf(why, size, "dial %s %s:%d: connect: %s", network, address, port, reason);
  close(fd);
  return -1;
}

// Copies until EOF or an error; returns 0 on EOF.
static int copy(int from, int to) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(to, buf + off, (size_t)(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      off += w;
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 4 || strcmp(argv[1], "--netns") != 0) usage();
  char *end;
  long port = strtol(argv[3], &end, 10);
  if (*end || port < 1 || port > 65535) usage();
  signal(SIGPIPE, SIG_IGN);

  int ns = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
    fprintf(stderr, "cannot enter the network namespace %s: %s", argv[2], strerror(errno));
    return 1;
  }
  close(ns);

  char why4[256], why6[256];
  int fd = dial(AF_INET, (int)port, why4, sizeof why4);
  if (fd < 0) fd = dial(AF_INET6, (int)port, why6, sizeof why6);
  if (fd < 0) {
    fprintf(stderr, "IPv4: %s IPv6 %s ", why4, why6);
    return 1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  // One process per direction: each blocks on its own copy.
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "fork: %s", strerror(errno));
    return 1;
  }
  if (child == 0) {
    close(0);
    copy(fd, 1);
    close(1);
    _exit(0);
  }
  close(1);
  if (copy(0, fd) == 0) shutdown(fd, SHUT_WR);
  else shutdown(fd, SHUT_RDWR);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return 0;
}
