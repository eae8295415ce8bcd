// kemu-nflog: reads the packets a network namespace's firewall logs to one
// NFLOG group (nft `log group N`) and prints one line per packet, for
// `kemu flows` (src/observe/flows/nflog.ts parses the lines):
//
//   kemu-nflog [--netns PATH] --group N [--range BYTES] [--rcvbuf BYTES]
//
//   seq=12 time=1796685011.632802 proto=6 src=10.244.2.2 dst=10.244.1.3 sport=43512 dport=8080
//     (same line) orig-src=10.244.2.2 orig-sport=43512 orig-dst=10.96.0.20 orig-dport=80 flags=S prefix=kemu-drop ingress np x/deny-all
//
// orig-* come from the packet's conntrack entry (the connection as the client
// opened it: a Service's address before DNAT), when the kernel can attach it.
// When the kernel dropped messages because this reader fell behind, the
// per-group sequence numbers jump and a line `lost=N` says how many; without
// sequence numbers, `lost=? reason=ENOBUFS`.
//
// It speaks netlink to nfnetlink_log itself (NETLINK_NETFILTER,
// NFNL_SUBSYS_ULOG) rather than linking libnetfilter_log: one small file, no
// library to install. --netns PATH enters that namespace first (setns, as
// kemu-probe does); the group is bound in that namespace only.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "kemu-nflog: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  exit(1);
}

static void usage_error(const char *why, const char *arg) {
  fprintf(stderr, "kemu-nflog: ");
  fprintf(stderr, why, arg);
  fprintf(stderr, "\nusage: kemu-nflog [--netns PATH] --group N [--range BYTES] [--rcvbuf BYTES]\n");
  exit(2);
}

static long parse_number(const char *flag, const char *text, long min, long max) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || *end || end == text || v < min || v > max) usage_error("%s: expected a number in range", flag);
  return v;
}

static void enter_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) die("cannot enter network namespace %s", path);
  close(fd);
}

// ---- building and sending one config request ----

struct request {
  char buf[256];
  struct nlmsghdr *nlh;
};

static void request_init(struct request *r, uint16_t group, uint32_t seq) {
  memset(r->buf, 0, sizeof r->buf);
  r->nlh = (struct nlmsghdr *)r->buf;
  r->nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  r->nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  r->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  r->nlh->nlmsg_seq = seq;
  struct nfgenmsg *g = NLMSG_DATA(r->nlh);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(group);
}

static void request_attr(struct request *r, uint16_t type, const void *data, size_t len) {
  struct nlattr *a = (struct nlattr *)(r->buf + NLMSG_ALIGN(r->nlh->nlmsg_len));
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  memcpy((char *)a + NLA_HDRLEN, data, len);
  r->nlh->nlmsg_len = NLMSG_ALIGN(r->nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

// Sends the request and waits for its ack; returns 0 or the kernel's errno.
static int request_send(int fd, struct request *r) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, r->buf, r->nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  char reply[4096];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == r->nlh->nlmsg_seq) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        return -e->error;
      }
    }
  }
}

// ---- reading the logged packets ----

struct tuple {
  int have_src, have_dst, have_sport, have_dport;
  struct in_addr src, dst;
  uint16_t sport, dport;
};

#define FOR_ATTRS(a, start, len)                                                                   \
  for (struct nlattr *a = (struct nlattr *)(start); (len) >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= (len); \
       (len) -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static void *attr_data(struct nlattr *a) { return (char *)a + NLA_HDRLEN; }
static int attr_len(struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
static int attr_type(struct nlattr *a) { return a->nla_type & NLA_TYPE_MASK; }

// CTA_TUPLE_ORIG → CTA_TUPLE_IP {CTA_IP_V4_SRC, CTA_IP_V4_DST}, CTA_TUPLE_PROTO {CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT}
static void parse_tuple(struct nlattr *tuple, struct tuple *t) {
  int len = attr_len(tuple);
  FOR_ATTRS(part, attr_data(tuple), len) {
    int plen = attr_len(part);
    if (attr_type(part) == CTA_TUPLE_IP) {
      FOR_ATTRS(ip, attr_data(part), plen) {
        if (attr_type(ip) == CTA_IP_V4_SRC && attr_len(ip) == 4) t->have_src = 1, memcpy(&t->src, attr_data(ip), 4);
        if (attr_type(ip) == CTA_IP_V4_DST && attr_len(ip) == 4) t->have_dst = 1, memcpy(&t->dst, attr_data(ip), 4);
      }
    } else if (attr_type(part) == CTA_TUPLE_PROTO) {
      FOR_ATTRS(p, attr_data(part), plen) {
        if (attr_type(p) == CTA_PROTO_SRC_PORT && attr_len(p) == 2) t->have_sport = 1, t->sport = ntohs(*(uint16_t *)attr_data(p));
        if (attr_type(p) == CTA_PROTO_DST_PORT && attr_len(p) == 2) t->have_dport = 1, t->dport = ntohs(*(uint16_t *)attr_data(p));
      }
    }
  }
}

static void parse_ct(struct nlattr *ct, struct tuple *orig) {
  int len = attr_len(ct);
  FOR_ATTRS(a, attr_data(ct), len) {
    if (attr_type(a) == CTA_TUPLE_ORIG) parse_tuple(a, orig);
  }
}

static int have_seq = 0;
static uint32_t last_seq = 0;
static int seen_any = 0;

static void print_packet(struct nlmsghdr *h) {
  struct nfgenmsg *g = NLMSG_DATA(h);
  int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof *g);
  const char *prefix = "";
  const unsigned char *payload = NULL;
  int payload_len = 0;
  uint32_t seq = 0;
  int got_seq = 0;
  struct tuple orig = {0};
  long long sec = -1, usec = 0;
  FOR_ATTRS(a, (char *)g + NLMSG_ALIGN(sizeof *g), len) {
    switch (attr_type(a)) {
      case NFULA_PREFIX:
        prefix = attr_data(a);
        break;
      case NFULA_PAYLOAD:
        payload = attr_data(a);
        payload_len = attr_len(a);
        break;
      case NFULA_SEQ:
        if (attr_len(a) == 4) got_seq = 1, seq = ntohl(*(uint32_t *)attr_data(a));
        break;
      case NFULA_TIMESTAMP:
        if (attr_len(a) == sizeof(struct nfulnl_msg_packet_timestamp)) {
          struct nfulnl_msg_packet_timestamp ts;
          memcpy(&ts, attr_data(a), sizeof ts);
          sec = (long long)be64toh(ts.sec);
          usec = (long long)be64toh(ts.usec);
        }
        break;
      case NFULA_CT:
        parse_ct(a, &orig);
        break;
    }
  }
  if (got_seq) {
    if (seen_any && seq != last_seq + 1) printf("lost=%u\n", seq - last_seq - 1);
    have_seq = 1;
    last_seq = seq;
    seen_any = 1;
  }
  if (sec < 0) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sec = now.tv_sec;
    usec = now.tv_nsec / 1000;
  }
  if (!payload || payload_len < 1) return;
  char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
  int proto, l4 = -1;
  if ((payload[0] >> 4) == 4 && payload_len >= 20) {
    int ihl = (payload[0] & 0x0f) * 4;
    proto = payload[9];
    inet_ntop(AF_INET, payload + 12, src, sizeof src);
    inet_ntop(AF_INET, payload + 16, dst, sizeof dst);
    // only the first fragment carries the ports
    if ((ntohs(*(uint16_t *)(payload + 6)) & 0x1fff) == 0) l4 = ihl;
  } else if ((payload[0] >> 4) == 6 && payload_len >= 40) {
    proto = payload[6];
    inet_ntop(AF_INET6, payload + 8, src, sizeof src);
    inet_ntop(AF_INET6, payload + 24, dst, sizeof dst);
    l4 = 40;
  } else {
    return;
  }
  if (got_seq) printf("seq=%u ", seq);
  printf("time=%lld.%06lld proto=%d src=%s dst=%s", sec, usec, proto, src, dst);
  if (l4 >= 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) && payload_len >= l4 + 4) {
    printf(" sport=%u dport=%u", ntohs(*(uint16_t *)(payload + l4)), ntohs(*(uint16_t *)(payload + l4 + 2)));
  }
  char a[INET_ADDRSTRLEN];
  if (orig.have_src && inet_ntop(AF_INET, &orig.src, a, sizeof a)) printf(" orig-src=%s", a);
  if (orig.have_sport) printf(" orig-sport=%u", orig.sport);
  if (orig.have_dst && inet_ntop(AF_INET, &orig.dst, a, sizeof a)) printf(" orig-dst=%s", a);
  if (orig.have_dport) printf(" orig-dport=%u", orig.dport);
  if (l4 >= 0 && proto == IPPROTO_TCP && payload_len >= l4 + 14) {
    unsigned f = payload[l4 + 13];
    char flags[8];
    int n = 0;
    if (f & 0x02) flags[n++] = 'S';
    if (f & 0x10) flags[n++] = 'A';
    if (f & 0x01) flags[n++] = 'F';
    if (f & 0x04) flags[n++] = 'R';
    if (f & 0x08) flags[n++] = 'P';
    flags[n] = 0;
    if (n) printf(" flags=%s", flags);
  }
  // the prefix is ours, but keep one packet on one line whatever it holds
  printf(" prefix=");
  for (const char *p = prefix; *p; p++) putchar(*p == '\n' || *p == '\r' ? ' ' : *p);
  putchar('\n');
}

int main(int argc, char **argv) {
  const char *netns = NULL;
  long group = -1, range = 128, rcvbuf = 8 << 20;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--netns") && i + 1 < argc) netns = argv[++i];
    else if (!strcmp(a, "--group") && i + 1 < argc) group = parse_number("--group", argv[++i], 0, 65535);
    else if (!strcmp(a, "--range") && i + 1 < argc) range = parse_number("--range", argv[++i], 40, 65535);
    else if (!strcmp(a, "--rcvbuf") && i + 1 < argc) rcvbuf = parse_number("--rcvbuf", argv[++i], 65536, 1 << 30);
    else usage_error("unexpected argument %s", a);
  }
  if (group < 0) usage_error("%s: --group N is required", "kemu-nflog");
  if (netns) enter_netns(netns);
  signal(SIGPIPE, SIG_DFL);

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) die("cannot open a netfilter netlink socket: %s", strerror(errno));
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("cannot bind the netlink socket: %s", strerror(errno));
  int size = (int)rcvbuf;
  // FORCE lifts the rmem_max cap for root; fall back to the capped size
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  struct request r;
  request_init(&r, (uint16_t)group, 1);
  struct nfulnl_msg_config_cmd bind_cmd = {.command = NFULNL_CFG_CMD_BIND};
  request_attr(&r, NFULA_CFG_CMD, &bind_cmd, sizeof bind_cmd);
  int err = request_send(fd, &r);
  if (err == EBUSY) {
    char g[24];
    snprintf(g, sizeof g, "%ld", group);
    die("NFLOG group %s is already read by another process in this namespace (one reader per group: is another kemu flows running?)", g);
  }
  if (err) die("cannot bind the NFLOG group: %s", strerror(err));

  request_init(&r, (uint16_t)group, 2);
  struct nfulnl_msg_config_mode mode = {.copy_range = htonl((uint32_t)range), .copy_mode = NFULNL_COPY_PACKET};
  request_attr(&r, NFULA_CFG_MODE, &mode, sizeof mode);
  uint16_t flags = htons(NFULNL_CFG_F_SEQ | NFULNL_CFG_F_CONNTRACK);
  request_attr(&r, NFULA_CFG_FLAGS, &flags, sizeof flags);
  uint32_t qthresh = htonl(1);  // each packet as it comes: a person is watching
  request_attr(&r, NFULA_CFG_QTHRESH, &qthresh, sizeof qthresh);
  err = request_send(fd, &r);
  if (err) {
    // a kernel without CONFIG_NETFILTER_NETLINK_GLUE_CT refuses the flag (EOPNOTSUPP): go on without orig-*
    request_init(&r, (uint16_t)group, 3);
    request_attr(&r, NFULA_CFG_MODE, &mode, sizeof mode);
    flags = htons(NFULNL_CFG_F_SEQ);
    request_attr(&r, NFULA_CFG_FLAGS, &flags, sizeof flags);
    request_attr(&r, NFULA_CFG_QTHRESH, &qthresh, sizeof qthresh);
    err = request_send(fd, &r);
    if (err) die("cannot configure the NFLOG group: %s", strerror(err));
  }
  // the reader is ready: callers may wait for this line on stdout
  printf("ready group=%ld\n", group);
  fflush(stdout);

  static char buf[1 << 16];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        // the sequence numbers will say how many; without them, say it here
        if (!have_seq) printf("lost=? reason=ENOBUFS: the kernel's socket buffer overflowed\n");
        fflush(stdout);
        continue;
      }
      die("reading the NFLOG group failed: %s", strerror(errno));
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) print_packet(h);
    }
    if (fflush(stdout) == EOF) return 0;
  }
}
