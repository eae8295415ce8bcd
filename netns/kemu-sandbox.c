// kemu-sandbox: start one container process inside a pod's namespaces, or run
// a command inside a running container.
//
//   kemu-sandbox [options] -- PROGRAM [ARG...]
//   kemu-sandbox --enter PID [identity options] [--cwd DIR] -- PROGRAM [ARG...]
//
// Namespaces:  --netns PATH  --hostname NAME  --pid
// Files:       --confine  --hide PATH  --bind SRC:DST  --ro-bind SRC:DST  --tmpfs DIR
//              --read-only  --unmasked
// Identity:    --uid N  --gid N  --groups G[,G...]  --caps NAME[,NAME...]|all|none  --no-new-privs
// Bookkeeping: --pidfile PATH  --exitfile PATH  --cwd DIR
//
// --confine builds the container's view of the file system the way a container
// runtime would, but from the host's own tree (kemu has no images): a new root
// holding the host's top-level directories bound read-only (and nodev), a fresh
// /run, /tmp and /root, a minimal /dev, a read-only /sys, /proc with the
// runtime's masked and read-only paths, and host secrets hidden. Binds and
// --tmpfs directories are added on top, their mount points created when missing.
// The identity options set the process's user, groups, capability bounding set
// (root keeps exactly that set, any other user none, as with runc) and
// no_new_privs right before exec; --enter applies the same identity.
//
// The launcher always forks, so the kubelet tracks the launcher while the child
// is the program. The launcher does not die with its starter (a restarted node
// agent adopts it); the program dies with the launcher. Exit codes: the
// program's own code, 128+N if it was killed by signal N, 125 for a setup
// failure (nothing started), 126/127 if exec fails. --exitfile records how the
// program ended ("exit N" or "signal N") before the launcher exits.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_SYMLINKS
#define MOVE_MOUNT_T_SYMLINKS 0x00000010
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define MAX_MOUNTS 64
#define MAX_GROUPS 64
#define MAX_TOP 128
#define MAX_READONLY 160
#define EXIT_SETUP 125

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED ((int)(sizeof(forwarded) / sizeof(forwarded[0])))

static volatile pid_t child_pid;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("kemu-sandbox: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(EXIT_SETUP);
}

// ------------------------------------------------------------------ options

struct bind {
  const char *src, *dst;
  int ro;
  int fd; // the source, cloned before the container's view replaces the host's
};

struct identity {
  int ids;  // set uid/gid/groups
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups, groups_given;
  int caps_given;
  uint64_t caps;
  int no_new_privs;
};

struct options {
  const char *netns, *hostname, *pidfile, *exitfile, *cwd, *enter;
  int newpid, confine, read_only, unmasked;
  struct bind binds[MAX_MOUNTS];
  int nbinds;
  const char *hides[MAX_MOUNTS];
  int nhides;
  const char *tmpfs[MAX_MOUNTS];
  int ntmpfs;
  struct identity id;
  char **prog;
};

// Capability names by number (include/uapi/linux/capability.h).
static const char *const cap_names[] = {
    "chown",         "dac_override",    "dac_read_search",  "fowner",       "fsetid",           "kill",
    "setgid",        "setuid",          "setpcap",          "linux_immutable", "net_bind_service", "net_broadcast",
    "net_admin",     "net_raw",         "ipc_lock",         "ipc_owner",    "sys_module",       "sys_rawio",
    "sys_chroot",    "sys_ptrace",      "sys_pacct",        "sys_admin",    "sys_boot",         "sys_nice",
    "sys_resource",  "sys_time",        "sys_tty_config",   "mknod",        "lease",            "audit_write",
    "audit_control", "setfcap",         "mac_override",     "mac_admin",    "syslog",           "wake_alarm",
    "block_suspend", "audit_read",      "perfmon",          "bpf",          "checkpoint_restore",
};
#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

static uint64_t parse_caps(char *list) {
  uint64_t caps = 0;
  for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    if (strcasecmp(name, "all") == 0) {
      caps = ~(uint64_t)0;
      continue;
    }
    if (strcasecmp(name, "none") == 0) continue;
    const char *bare = strncasecmp(name, "cap_", 4) == 0 ? name + 4 : name;
    int found = -1;
    for (int c = 0; c < NCAPS; c++)
      if (strcasecmp(bare, cap_names[c]) == 0) found = c;
    if (found < 0) die("--caps: unknown capability \"%s\"", name);
    caps |= (uint64_t)1 << found;
  }
  return caps;
}

static unsigned long parse_id(const char *opt, const char *s) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v > 4294967294UL) die("%s %s: expected a number from 0 to 4294967294", opt, s);
  return v;
}

static void parse_groups(struct identity *id, char *list) {
  id->groups_given = 1;
  for (char *save = NULL, *g = strtok_r(list, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
    if (id->ngroups == MAX_GROUPS) die("--groups: at most %d groups", MAX_GROUPS);
    id->groups[id->ngroups++] = (gid_t)parse_id("--groups", g);
  }
}

static void parse_bind(struct options *o, char *val, int ro) {
  const char *opt = ro ? "--ro-bind" : "--bind";
  char *colon = strchr(val, ':');
  if (!colon || colon == val || colon[1] == '\0') die("%s %s: expected SRC:DST", opt, val);
  if (o->nbinds == MAX_MOUNTS) die("%s %s: at most %d binds", opt, val, MAX_MOUNTS);
  *colon = '\0'; // split in place: argv strings are writable
  if (colon[1] != '/') die("%s %s:%s: DST must be an absolute path", opt, val, colon + 1);
  o->binds[o->nbinds++] = (struct bind){.src = val, .dst = colon + 1, .ro = ro, .fd = -1};
}

static void parse(int argc, char **argv, struct options *o) {
  static const char *const flags[] = {"--pid", "--confine", "--read-only", "--unmasked", "--no-new-privs"};
  static const char *const valued[] = {"--netns", "--hostname", "--bind", "--ro-bind", "--pidfile", "--exitfile", "--cwd",
                                       "--tmpfs", "--hide", "--uid", "--gid", "--groups", "--caps", "--enter"};
  int i;
  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *opt = argv[i];
    int flag = 0, known = 0;
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) flag |= strcmp(opt, flags[f]) == 0;
    if (flag) {
      if (strcmp(opt, "--pid") == 0) o->newpid = 1;
      else if (strcmp(opt, "--confine") == 0) o->confine = 1;
      else if (strcmp(opt, "--read-only") == 0) o->read_only = 1;
      else if (strcmp(opt, "--unmasked") == 0) o->unmasked = 1;
      else o->id.no_new_privs = 1;
      continue;
    }
    if (strncmp(opt, "--", 2) != 0) die("missing \"--\" before the program \"%s\"", opt);
    for (size_t f = 0; f < sizeof valued / sizeof valued[0]; f++) known |= strcmp(opt, valued[f]) == 0;
    if (!known) die("unknown option \"%s\" (usage: kemu-sandbox [options] -- PROGRAM [ARG...])", opt);
    if (i + 1 >= argc || argv[i + 1][0] == '\0') die("option %s needs a value", opt);
    char *val = argv[++i];
    if (strcmp(opt, "--netns") == 0) o->netns = val;
    else if (strcmp(opt, "--hostname") == 0) o->hostname = val;
    else if (strcmp(opt, "--pidfile") == 0) o->pidfile = val;
    else if (strcmp(opt, "--exitfile") == 0) o->exitfile = val;
    else if (strcmp(opt, "--cwd") == 0) o->cwd = val;
    else if (strcmp(opt, "--enter") == 0) o->enter = val;
    else if (strcmp(opt, "--bind") == 0) parse_bind(o, val, 0);
    else if (strcmp(opt, "--ro-bind") == 0) parse_bind(o, val, 1);
    else if (strcmp(opt, "--hide") == 0 || strcmp(opt, "--tmpfs") == 0) {
      int hide = opt[2] == 'h';
      if (val[0] != '/') die("%s %s: expected an absolute path", opt, val);
      if ((hide ? o->nhides : o->ntmpfs) == MAX_MOUNTS) die("%s %s: at most %d", opt, val, MAX_MOUNTS);
      if (hide) o->hides[o->nhides++] = val;
      else o->tmpfs[o->ntmpfs++] = val;
    } else if (strcmp(opt, "--uid") == 0) {
      o->id.ids = 1;
      o->id.uid = (uid_t)parse_id(opt, val);
    } else if (strcmp(opt, "--gid") == 0) {
      o->id.ids = 1;
      o->id.gid = (gid_t)parse_id(opt, val);
    } else if (strcmp(opt, "--groups") == 0) {
      o->id.ids = 1;
      parse_groups(&o->id, val);
    } else {
      o->id.caps_given = 1;
      o->id.caps = parse_caps(val);
    }
  }
  if (i >= argc) die("missing \"--\" before the program to run");
  if (i + 1 >= argc) die("missing program after \"--\"");
  o->prog = &argv[i + 1];
  if (o->enter && (o->netns || o->hostname || o->newpid || o->confine || o->nbinds || o->ntmpfs || o->nhides || o->pidfile || o->exitfile))
    die("--enter takes only identity options and --cwd");
  if (!o->confine && (o->nhides || o->read_only || o->unmasked)) die("--hide, --read-only and --unmasked need --confine");
  if (o->confine && !o->newpid) die("--confine needs --pid (the container's /proc shows its own processes)");
}

// ------------------------------------------------------------------ identity

static int cap_supported(int cap) {
  return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
}

// Called last before exec: the caps of root after exec are the bounding set
// (inheritable and ambient are empty), a non-root user's are empty, as with runc.
static void apply_identity(const struct identity *id) {
  if (id->caps_given) {
    for (int cap = 0; cap < 64 && cap_supported(cap); cap++)
      if (!(id->caps & ((uint64_t)1 << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
        die("--caps: drop %s from the bounding set: %s", cap < NCAPS ? cap_names[cap] : "?", strerror(errno));
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
      die("--caps: clear the ambient set: %s", strerror(errno));
  }
  if (id->ids) {
    gid_t one = id->gid;
    if (setgroups(id->groups_given ? (size_t)id->ngroups : 1, id->groups_given ? id->groups : &one) != 0)
      die("--groups: %s", strerror(errno));
    if (setresgid(id->gid, id->gid, id->gid) != 0) die("--gid %u: %s", (unsigned)id->gid, strerror(errno));
    if (setresuid(id->uid, id->uid, id->uid) != 0) die("--uid %u: %s", (unsigned)id->uid, strerror(errno));
  }
  if (id->caps_given) {
    // Root keeps the set in effective/permitted (as far as the launcher itself holds it:
    // "all" means all of ours); for others setresuid already cleared both.
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) die("--caps: capget: %s", strerror(errno));
    uint64_t held = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
    uint64_t keep = geteuid() == 0 ? id->caps & held : 0;
    memset(d, 0, sizeof d);
    for (int cap = 0; cap < 64 && cap_supported(cap); cap++) {
      if (!(keep & ((uint64_t)1 << cap))) continue;
      d[cap >> 5].effective |= 1u << (cap & 31);
      d[cap >> 5].permitted |= 1u << (cap & 31);
    }
    if (syscall(SYS_capset, &h, d) != 0) die("--caps: capset: %s", strerror(errno));
  }
  if (id->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("--no-new-privs: %s", strerror(errno));
}

// ------------------------------------------------------------------ mounts

struct kemu_mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static int clone_tree(int dfd, const char *path, unsigned flags) {
  return (int)syscall(SYS_open_tree, dfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags);
}

static int set_attr(int fd, const char *path, unsigned flags, uint64_t set) {
  struct kemu_mount_attr attr = {.attr_set = set};
  return (int)syscall(SYS_mount_setattr, fd, path, flags, &attr, sizeof attr);
}

static void attach(int fd, const char *target, const char *what) {
  if (syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) != 0)
    die("%s: mount on %s: %s", what, target, strerror(errno));
  close(fd);
}

// A detached copy of PATH's mount tree with ATTRS set on every mount in it.
static void __attribute__((noreturn)) old_kernel(const char *what, const char *call) {
  die("%s: this kernel has no %s(2): kemu's containers need Linux 5.12 or newer", what, call);
}

static int clone_with(const char *path, int recursive, uint64_t attrs, const char *what) {
  int fd = clone_tree(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0);
  if (fd < 0 && errno == ENOSYS) old_kernel(what, "open_tree");
  if (fd < 0) die("%s: %s: %s", what, path, strerror(errno));
  if (attrs && set_attr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), attrs) != 0) {
    if (errno == ENOSYS) old_kernel(what, "mount_setattr");
    die("%s: %s: set mount attributes: %s", what, path, strerror(errno));
  }
  return fd;
}

// Mounts made writable only so that mount points can be created in them;
// they turn read-only once the view is complete.
static int readonly_later[MAX_READONLY];
static int nreadonly_later;

static void seal_later(const char *path) {
  if (nreadonly_later == MAX_READONLY) die("too many mounts to seal");
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die("open %s: %s", path, strerror(errno));
  readonly_later[nreadonly_later++] = fd;
}

static void seal_all(void) {
  for (int i = 0; i < nreadonly_later; i++) {
    if (set_attr(readonly_later[i], "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY) != 0) die("make read-only: %s", strerror(errno));
    close(readonly_later[i]);
  }
  nreadonly_later = 0;
}

static void mount_tmpfs(const char *path, unsigned long flags, const char *data, const char *what) {
  if (mount("tmpfs", path, "tmpfs", flags, data) != 0) die("%s: tmpfs on %s: %s", what, path, strerror(errno));
}

// Replaces read-only DIR by a writable copy whose entries are the originals bound back
// read-only, so that a missing mount point can be created in it.
static void shadow(const char *dir) {
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) die("mount point under %s: %s", dir, strerror(errno));
  struct stat st;
  if (fstat(dfd, &st) != 0) die("stat %s: %s", dir, strerror(errno));
  mount_tmpfs(dir, MS_NOSUID | MS_NODEV, "mode=0755,size=1m", "mount point");
  if (chmod(dir, st.st_mode & 07777) != 0 || lchown(dir, st.st_uid, st.st_gid) != 0) die("shadow %s: %s", dir, strerror(errno));
  DIR *d = fdopendir(dup(dfd));
  if (!d) die("list %s: %s", dir, strerror(errno));
  char path[PATH_MAX];
  for (struct dirent *e; (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat es;
    if (fstatat(dfd, e->d_name, &es, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name) >= (int)sizeof path) continue;
    if (S_ISLNK(es.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(dfd, e->d_name, target, sizeof target - 1);
      if (n < 0) continue;
      target[n] = '\0';
      if (symlink(target, path) != 0) die("shadow %s: %s", path, strerror(errno));
      continue;
    }
    int made = S_ISDIR(es.st_mode) ? mkdir(path, 0755) : close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    if (made != 0) die("shadow %s: %s", path, strerror(errno));
    int fd = clone_tree(dfd, e->d_name, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
    if (fd < 0) die("shadow %s: %s", path, strerror(errno));
    if (set_attr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV) != 0) die("shadow %s: %s", path, strerror(errno));
    attach(fd, path, "shadow");
  }
  closedir(d);
  close(dfd);
  seal_later(dir);
}

// Makes PATH exist (a directory, or a file when want_file) so that something can be
// mounted on it: symlinks are followed inside the container's view, missing
// components are created, and a read-only directory in the way is shadowed.
// The resolved path is left in out.
static void ensure_mountpoint(const char *path, int want_file, char out[PATH_MAX], const char *what) {
  char rest[PATH_MAX], done[PATH_MAX] = "", next[PATH_MAX];
  if (snprintf(rest, sizeof rest, "%s", path) >= (int)sizeof rest) die("%s: path too long", what);
  int hops = 0;
  char *p = rest;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *slash = strchr(p, '/');
    if (slash) *slash = '\0';
    const char *name = p;
    char *after = slash ? slash + 1 : p + strlen(p);
    int last = 1;
    for (char *q = after; *q; q++)
      if (*q != '/') last = 0;
    if (strcmp(name, ".") == 0) {
      p = after;
      continue;
    }
    if (strcmp(name, "..") == 0) {
      char *cut = strrchr(done, '/');
      if (cut) *cut = '\0';
      p = after;
      continue;
    }
    if (snprintf(next, sizeof next, "%s/%s", done, name) >= (int)sizeof next) die("%s: path too long", what);
    struct stat st;
    if (lstat(next, &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        if (++hops > 40) die("%s: %s: too many symbolic links", what, path);
        char target[PATH_MAX], joined[PATH_MAX];
        ssize_t n = readlink(next, target, sizeof target - 1);
        if (n < 0) die("%s: readlink %s: %s", what, next, strerror(errno));
        target[n] = '\0';
        if (snprintf(joined, sizeof joined, "%s/%s", target, after) >= (int)sizeof joined) die("%s: path too long", what);
        memcpy(rest, joined, sizeof rest);
        p = rest;
        if (target[0] == '/') done[0] = '\0';
        continue;
      }
      memcpy(done, next, sizeof done);
      p = after;
      continue;
    }
    if (errno != ENOENT) die("%s: %s: %s", what, next, strerror(errno));
    int file = last && want_file;
    for (int attempt = 0;; attempt++) {
      int made = file ? open(next, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644) : mkdir(next, 0755);
      if (made >= 0) {
        if (file) close(made);
        break;
      }
      if (errno != EROFS || attempt > 0) die("%s: create mount point %s: %s", what, next, strerror(errno));
      shadow(done[0] ? done : "/");
    }
    memcpy(done, next, sizeof done);
    p = after;
  }
  snprintf(out, PATH_MAX, "%s", done[0] ? done : "/");
}

static void hide(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    die("--hide %s: %s", path, strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) return; // it points somewhere that is hidden, or visible, on its own
  if (S_ISDIR(st.st_mode)) {
    // Writable for now, so that a built-in's own files can be bound back inside it.
    mount_tmpfs(path, MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m", "--hide");
    seal_later(path);
    return;
  }
  attach(clone_with("/dev/null", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, "--hide"), path, "--hide");
}

static void setup_dev(void) {
  mount_tmpfs("/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", "/dev");
  static const struct {
    const char *name;
    unsigned maj, min;
  } nodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  char path[64];
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    snprintf(path, sizeof path, "/dev/%s", nodes[i].name);
    if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) != 0 || chmod(path, 0666) != 0)
      die("/dev: %s: %s", path, strerror(errno));
  }
  static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},     {"/proc/self/fd/0", "/dev/stdin"},
                                         {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
                                         {"pts/ptmx", "/dev/ptmx"}};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlink(links[i][0], links[i][1]) != 0) die("/dev: %s: %s", links[i][1], strerror(errno));
  if (mkdir("/dev/pts", 0755) != 0 || mkdir("/dev/shm", 01777) != 0 || mkdir("/dev/mqueue", 01777) != 0)
    die("/dev: %s", strerror(errno));
  if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") != 0)
    die("/dev/pts: %s", strerror(errno));
  mount_tmpfs("/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m", "/dev/shm");
  if (mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("/dev/mqueue: %s", strerror(errno));
  seal_later("/dev");
}

// Docker's and containerd's defaults (moby oci/defaults.go, containerd pkg/oci/spec.go).
static const char *const masked_paths[] = {"/proc/acpi",       "/proc/asound",     "/proc/kcore",       "/proc/keys",
                                           "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                                           "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap"};
static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

static void mask(const char *prefix) {
  for (size_t i = 0; i < sizeof masked_paths / sizeof masked_paths[0]; i++) {
    const char *p = masked_paths[i];
    if (strncmp(p, prefix, strlen(prefix)) != 0) continue;
    struct stat st;
    if (stat(p, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0) die("mask %s: %s", p, strerror(errno));
    } else {
      attach(clone_with("/dev/null", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, "mask"), p, "mask");
    }
  }
  for (size_t i = 0; i < sizeof readonly_paths / sizeof readonly_paths[0]; i++) {
    const char *p = readonly_paths[i];
    if (strncmp(p, prefix, strlen(prefix)) != 0 || access(p, F_OK) != 0) continue;
    attach(clone_with(p, 1, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "read-only path"), p, "read-only path");
  }
}

static int skipped_top(const char *name) {
  static const char *const own[] = {".", "..", "proc", "sys", "dev", "run", "tmp", "root"};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (strcmp(name, own[i]) == 0) return 1;
  return 0;
}

// The container's root: the host's top-level directories read-only and nodev,
// its own /proc, /sys, /dev, /run, /tmp and /root.
struct top_entry {
  char name[NAME_MAX + 1];
  char link[PATH_MAX];
  int fd;
};

static void build_root(const struct options *o) {
  // On the heap and freed (unmapped) after use: the launcher stays resident for the container's life.
  struct top_entry *top = calloc(MAX_TOP, sizeof *top);
  if (!top) die("--confine: out of memory");
  int ntop = 0;
  DIR *d = opendir("/");
  if (!d) die("--confine: list /: %s", strerror(errno));
  for (struct dirent *e; (e = readdir(d));) {
    if (skipped_top(e->d_name)) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/%s", e->d_name);
    struct stat st;
    if (lstat(path, &st) != 0) continue;
    if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode)) continue; // e.g. /swapfile: nothing a program needs
    if (ntop == MAX_TOP) die("--confine: more than %d entries in /", MAX_TOP);
    snprintf(top[ntop].name, sizeof top[ntop].name, "%s", e->d_name);
    top[ntop].fd = -1;
    top[ntop].link[0] = '\0';
    if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlink(path, top[ntop].link, sizeof top[ntop].link - 1);
      if (n <= 0) continue;
      top[ntop].link[n] = '\0';
    } else {
      top[ntop].fd = clone_with(path, 1, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, "--confine");
    }
    ntop++;
  }
  closedir(d);

  // Staging point for the new root; what was under it is already cloned.
  const char *stage = access("/tmp", F_OK) == 0 ? "/tmp" : "/mnt";
  mount_tmpfs(stage, MS_NOSUID | MS_NODEV, "mode=0755,size=1m", "--confine");
  if (chdir(stage) != 0) die("--confine: chdir %s: %s", stage, strerror(errno));
  // pivot_root(".", ".") stacks the old root on the new one; detaching it drops the
  // whole host tree (every /run/netns mount included) from this mount namespace.
  if (syscall(SYS_pivot_root, ".", ".") != 0) die("--confine: pivot_root: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) != 0) die("--confine: detach the host's root: %s", strerror(errno));
  if (chdir("/") != 0) die("--confine: chdir /: %s", strerror(errno));
  seal_later("/");

  for (int i = 0; i < ntop; i++) {
    char path[NAME_MAX + 2];
    snprintf(path, sizeof path, "/%.*s", NAME_MAX, top[i].name);
    if (top[i].fd < 0) {
      if (symlink(top[i].link, path) != 0) die("--confine: %s: %s", path, strerror(errno));
      continue;
    }
    if (mkdir(path, 0755) != 0) die("--confine: %s: %s", path, strerror(errno));
    attach(top[i].fd, path, "--confine");
  }
  free(top);
  if (mkdir("/proc", 0555) != 0 || mkdir("/sys", 0555) != 0 || mkdir("/dev", 0755) != 0 || mkdir("/run", 0755) != 0 ||
      mkdir("/tmp", 01777) != 0 || mkdir("/root", 0700) != 0)
    die("--confine: %s", strerror(errno));
  // /run holds the host's sockets (kemu's API, systemd, dbus, containerd) and /run/netns.
  mount_tmpfs("/run", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m", "/run");
  seal_later("/run");
  mount_tmpfs("/tmp", MS_NOSUID | MS_NODEV, "mode=1777,size=64m", "/tmp");
  if (o->read_only) seal_later("/tmp");
  setup_dev();
  unsigned long sysro = o->unmasked ? 0 : MS_RDONLY;
  if (mount("sysfs", "/sys", "sysfs", sysro | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("/sys: %s", strerror(errno));
  if (!o->unmasked) mask("/sys/");
}

// Host paths no container sees: network namespaces by name, other users' secrets.
static const char *const hidden_paths[] = {"/var/run", "/etc/netns", "/etc/shadow", "/etc/shadow-", "/etc/gshadow",
                                           "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh"};

static void confine(struct options *o) {
  build_root(o);
  for (size_t i = 0; i < sizeof hidden_paths / sizeof hidden_paths[0]; i++) hide(hidden_paths[i]);
  for (int i = 0; i < o->nhides; i++) hide(o->hides[i]);
  char target[PATH_MAX];
  for (int b = 0; b < o->nbinds; b++) {
    struct stat st;
    if (fstat(o->binds[b].fd, &st) != 0) die("--bind %s: %s", o->binds[b].src, strerror(errno));
    ensure_mountpoint(o->binds[b].dst, !S_ISDIR(st.st_mode), target, o->binds[b].ro ? "--ro-bind" : "--bind");
    attach(o->binds[b].fd, target, o->binds[b].ro ? "--ro-bind" : "--bind");
  }
  for (int t = 0; t < o->ntmpfs; t++) {
    ensure_mountpoint(o->tmpfs[t], 0, target, "--tmpfs");
    mount_tmpfs(target, MS_NOSUID | MS_NODEV, "mode=1777,size=64m", "--tmpfs");
    if (o->read_only) seal_later(target);
  }
  seal_all();
}

// Without --confine: the host's tree with the given binds and tmpfs on top.
static void overlay_host(struct options *o) {
  if (o->netns) {
    // Like `ip netns exec`: /sys/class/net should list the pod's interfaces.
    umount2("/sys", MNT_DETACH);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
  }
  for (int b = 0; b < o->nbinds; b++) attach(o->binds[b].fd, o->binds[b].dst, o->binds[b].ro ? "--ro-bind" : "--bind");
  for (int t = 0; t < o->ntmpfs; t++) mount_tmpfs(o->tmpfs[t], MS_NOSUID | MS_NODEV, "mode=1777,size=64m", "--tmpfs");
}

// ------------------------------------------------------------------ bookkeeping files

struct recordfile {
  const char *path;
  int dirfd;      // opened before the view changes: the file's directory may become hidden
  char base[NAME_MAX + 1];
};

static void open_record(struct recordfile *r, const char *path, const char *opt) {
  r->path = path;
  r->dirfd = -1;
  if (!path) return;
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX];
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  const char *base = slash ? slash + 1 : path;
  if (!*base || strlen(base) + 5 > NAME_MAX) die("%s %s: expected a file path", opt, path);
  snprintf(r->base, sizeof r->base, "%s", base);
  r->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->dirfd < 0) die("%s %s: %s", opt, path, strerror(errno));
}

// Written to a temporary name and renamed, so readers see it complete or not at all.
static int write_record(const struct recordfile *r, const char *text) {
  char tmp[NAME_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", r->base);
  int fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  int bad = write(fd, text, len) != (ssize_t)len;
  bad |= close(fd) != 0;
  if (bad || renameat(r->dirfd, tmp, r->dirfd, r->base) != 0) {
    int err = errno;
    unlinkat(r->dirfd, tmp, 0);
    errno = err;
    return -1;
  }
  return 0;
}

// ------------------------------------------------------------------ processes

static void forward(int sig) {
  int saved = errno;
  if (child_pid > 0) kill(child_pid, sig);
  errno = saved;
}

static void block_forwarded(sigset_t *old) {
  sigset_t block;
  sigemptyset(&block);
  for (int s = 0; s < NFORWARDED; s++) sigaddset(&block, forwarded[s]);
  sigprocmask(SIG_BLOCK, &block, old);
}

static void install_forwarding(pid_t pid, const sigset_t *old) {
  child_pid = pid;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward; // no SA_RESTART: waitpid retries on EINTR
  sigemptyset(&sa.sa_mask);
  for (int s = 0; s < NFORWARDED; s++) sigaction(forwarded[s], &sa, NULL);
  sigprocmask(SIG_SETMASK, old, NULL);
}

static int wait_child(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid: %s", strerror(errno));
  return status;
}

// The program dies with the launcher. Changing uid clears the setting, so this
// runs again after the identity is applied. The launcher holds the write end of
// the `alive` pipe open for its whole life (getppid() cannot tell: in a new PID
// namespace it is 0), so a hang-up means it is already gone.
static void die_with_parent(int alive) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct pollfd p = {.fd = alive, .events = POLLIN};
  if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) _exit(EXIT_SETUP);
}

static void __attribute__((noreturn)) run_program(const struct options *o, int alive, mode_t umask_of_container) {
  umask(umask_of_container);
  apply_identity(&o->id);
  die_with_parent(alive);
  if (o->cwd && chdir(o->cwd) != 0) die("--cwd %s: %s", o->cwd, strerror(errno));
  execvp(o->prog[0], o->prog);
  int err = errno;
  fprintf(stderr, "kemu-sandbox: cannot run \"%s\": %s\n", o->prog[0], strerror(err));
  _exit(err == EACCES || err == EPERM || err == ENOEXEC || err == EISDIR ? 126 : 127);
}

static int exit_code(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status); // SIGKILL -> 137, like runtimes
  return WEXITSTATUS(status);
}

// --enter PID: the container's namespaces, then its identity, then the command.
static int enter(struct options *o) {
  char *end;
  long target = strtol(o->enter, &end, 10);
  if (*end || target <= 0) die("--enter %s: expected a process id", o->enter);
  static const struct {
    const char *name;
    int type;
  } nss[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}};
  int fds[5];
  for (int i = 0; i < 5; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", target, nss[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die("--enter %ld: %s: %s", target, path, errno == ENOENT ? "no such process" : strerror(errno));
  }
  // The mount namespace goes last: it also moves our root to the container's.
  for (int i = 0; i < 5; i++) {
    if (setns(fds[i], nss[i].type) != 0) die("--enter %ld: join %s namespace: %s", target, nss[i].name, strerror(errno));
    close(fds[i]);
  }
  mode_t mask = umask(0);
  umask(mask);
  int alive[2];
  if (pipe2(alive, O_CLOEXEC) != 0) die("pipe: %s", strerror(errno));
  sigset_t old;
  block_forwarded(&old);
  pid_t pid = fork(); // a PID namespace applies to children only
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(alive[1]);
    die_with_parent(alive[0]);
    run_program(o, alive[0], mask);
  }
  close(alive[0]);
  install_forwarding(pid, &old);
  return exit_code(wait_child(pid));
}

int main(int argc, char **argv) {
  struct options o;
  memset(&o, 0, sizeof o);
  parse(argc, argv, &o);
  if (o.enter) return enter(&o);

  struct recordfile pidfile, exitfile;
  open_record(&pidfile, o.pidfile, "--pidfile");
  open_record(&exitfile, o.exitfile, "--exitfile");

  // Join the network namespace first: a sysfs mounted later then shows its interfaces.
  if (o.netns) {
    int fd = open(o.netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("--netns %s: %s", o.netns, strerror(errno));
    if (setns(fd, CLONE_NEWNET) != 0) die("--netns %s: setns: %s", o.netns, strerror(errno));
    close(fd);
  }
  if (o.hostname) {
    if (unshare(CLONE_NEWUTS) != 0) die("--hostname %s: unshare: %s", o.hostname, strerror(errno));
    if (sethostname(o.hostname, strlen(o.hostname)) != 0) die("--hostname %s: %s", o.hostname, strerror(errno));
  }
  mode_t container_umask = umask(022);
  // Binds need a private mount namespace; --pid needs one too, to remount /proc.
  if (o.nbinds > 0 || o.newpid || o.ntmpfs > 0 || o.confine) {
    const char *why = o.confine ? "--confine" : o.nbinds > 0 ? "--bind" : o.ntmpfs ? "--tmpfs" : "--pid";
    // A confined container also gets its own System V IPC and POSIX message queues.
    if (unshare(CLONE_NEWNS | (o.confine ? CLONE_NEWIPC : 0)) != 0) die("%s: unshare: %s", why, strerror(errno));
    // Private, so our mounts never leak back to the host.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("%s: make / private: %s", why, strerror(errno));
    for (int b = 0; b < o.nbinds; b++) {
      const char *what = o.binds[b].ro ? "--ro-bind" : "--bind";
      uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (o.binds[b].ro ? MOUNT_ATTR_RDONLY : 0);
      o.binds[b].fd = clone_with(o.binds[b].src, 1, attrs, what);
    }
    if (o.confine) confine(&o);
    else overlay_host(&o);
  }
  if (o.newpid && unshare(CLONE_NEWPID) != 0) die("--pid: unshare: %s", strerror(errno));

  // The child waits on this pipe until the pidfile is written; EOF instead
  // means the launcher died before the child could arm PR_SET_PDEATHSIG.
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) die("pipe: %s", strerror(errno));
  sigset_t old;
  block_forwarded(&old); // so none arrives before child_pid is known

  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(go[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char byte;
    ssize_t n;
    while ((n = read(go[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) _exit(EXIT_SETUP); // launcher gone: do not start an orphan
    if (o.newpid && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
      die("--pid: mount /proc: %s", strerror(errno));
    if (o.confine && !o.unmasked) mask("/proc/");
    run_program(&o, go[0], container_umask);
  }

  close(go[0]);
  install_forwarding(pid, &old);

  // On failure die() exits, the child reads EOF and exits without starting the program.
  if (o.pidfile) {
    char text[32];
    snprintf(text, sizeof text, "%d\n", (int)pid);
    if (write_record(&pidfile, text) != 0) die("--pidfile %s: %s", o.pidfile, strerror(errno));
  }
  // If this fails the child already died (e.g. a forwarded signal); waitpid reports it.
  signal(SIGPIPE, SIG_IGN);
  ssize_t unused = write(go[1], "g", 1);
  (void)unused; // go[1] stays open: the program checks it once more after changing its uid

  int status = wait_child(pid);
  if (o.exitfile) {
    char text[32];
    if (WIFSIGNALED(status)) snprintf(text, sizeof text, "signal %d\n", WTERMSIG(status));
    else snprintf(text, sizeof text, "exit %d\n", WEXITSTATUS(status));
    if (write_record(&exitfile, text) != 0) fprintf(stderr, "kemu-sandbox: --exitfile %s: %s\n", o.exitfile, strerror(errno));
  }
  return exit_code(status);
}
