// kemu-sandbox: start one container process inside a pod's namespaces.
//
//   kemu-sandbox [--netns PATH] [--hostname NAME] [--bind SRC:DST]... [--tmpfs DIR [--keep PATH]] [--pid]
//                [--pidfile PATH] [--cwd DIR] -- PROGRAM [ARG...]
//
// The launcher always forks, so the kubelet tracks the launcher while the child
// is the program. Exit codes: the program's own code, 128+N if it was killed by
// signal N, 125 for a setup failure (nothing started), 126/127 if exec fails.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BINDS 32
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

static void forward(int sig) {
  int saved = errno;
  if (child_pid > 0) kill(child_pid, sig);
  errno = saved;
}

static void write_pidfile(const char *path, pid_t pid) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    die("--pidfile %s: %s", path, strerror(errno));
  }
  FILE *f = fopen(tmp, "w");
  if (!f) die("--pidfile %s: %s", path, strerror(errno));
  int bad = fprintf(f, "%d\n", (int)pid) < 0;
  bad |= fclose(f) != 0;
  // rename() makes the file appear complete or not at all for readers.
  if (bad || rename(tmp, path) != 0) {
    int err = errno;
    unlink(tmp);
    die("--pidfile %s: %s", path, strerror(err));
  }
}

int main(int argc, char **argv) {
  const char *netns = NULL, *hostname = NULL, *pidfile = NULL, *cwd = NULL, *tmpfs = NULL, *keep = NULL;
  const char *bind_src[MAX_BINDS], *bind_dst[MAX_BINDS];
  int nbinds = 0, newpid = 0, i;

  // The launcher lives and dies with whoever started it (the node agent): if
  // the agent is killed, the container goes too instead of outliving its cluster.
  pid_t starter = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != starter) return 125;

  for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "--pid") == 0) {
      newpid = 1;
      continue;
    }
    if (strncmp(opt, "--", 2) != 0) die("missing \"--\" before the program \"%s\"", opt);
    if (strcmp(opt, "--netns") && strcmp(opt, "--hostname") && strcmp(opt, "--bind") &&
        strcmp(opt, "--pidfile") && strcmp(opt, "--cwd") && strcmp(opt, "--tmpfs") && strcmp(opt, "--keep"))
      die("unknown option \"%s\" (usage: kemu-sandbox [options] -- PROGRAM [ARG...])", opt);
    if (i + 1 >= argc || argv[i + 1][0] == '\0') die("option %s needs a value", opt);
    char *val = argv[++i];
    if (strcmp(opt, "--netns") == 0) netns = val;
    else if (strcmp(opt, "--hostname") == 0) hostname = val;
    else if (strcmp(opt, "--pidfile") == 0) pidfile = val;
    else if (strcmp(opt, "--cwd") == 0) cwd = val;
    else if (strcmp(opt, "--tmpfs") == 0) tmpfs = val;
    else if (strcmp(opt, "--keep") == 0) keep = val;
    else {
      char *colon = strchr(val, ':');
      if (!colon || colon == val || colon[1] == '\0') die("--bind %s: expected SRC:DST", val);
      if (nbinds == MAX_BINDS) die("--bind %s: at most %d binds", val, MAX_BINDS);
      *colon = '\0'; // split in place: argv strings are writable
      bind_src[nbinds] = val;
      bind_dst[nbinds++] = colon + 1;
    }
  }
  if (i >= argc) die("missing \"--\" before the program to run");
  if (i + 1 >= argc) die("missing program after \"--\"");
  char **prog = &argv[i + 1];

  // Join the network namespace first: a sysfs mounted later then shows its interfaces.
  if (netns) {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("--netns %s: %s", netns, strerror(errno));
    if (setns(fd, CLONE_NEWNET) != 0) die("--netns %s: setns: %s", netns, strerror(errno));
    close(fd);
  }
  if (hostname) {
    if (unshare(CLONE_NEWUTS) != 0) die("--hostname %s: unshare: %s", hostname, strerror(errno));
    if (sethostname(hostname, strlen(hostname)) != 0)
      die("--hostname %s: %s", hostname, strerror(errno));
  }
  // Binds need a private mount namespace; --pid needs one too, to remount /proc.
  if (nbinds > 0 || newpid || tmpfs) {
    const char *why = nbinds > 0 ? "--bind" : tmpfs ? "--tmpfs" : "--pid";
    if (unshare(CLONE_NEWNS) != 0) die("%s: unshare mount namespace: %s", why, strerror(errno));
    // Private, so our mounts never leak back to the host.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
      die("%s: make / private: %s", why, strerror(errno));
    if (netns) {
      // Like `ip netns exec`: /sys/class/net should list the pod's interfaces.
      umount2("/sys", MNT_DETACH);
      mount("sysfs", "/sys", "sysfs", 0, NULL);
    }
    for (int b = 0; b < nbinds; b++)
      if (mount(bind_src[b], bind_dst[b], NULL, MS_BIND, NULL) != 0)
        die("--bind %s:%s: %s", bind_src[b], bind_dst[b], strerror(errno));
    // A container's own scratch space: what it writes there never reaches the host's directory.
    // --keep names a host directory inside it (kemu itself, when installed under /tmp) that
    // stays visible: held open across the mount, then bound back at the same path.
    int keepfd = -1;
    if (tmpfs && keep) {
      keepfd = open(keep, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (keepfd < 0) die("--keep %s: %s", keep, strerror(errno));
    }
    if (tmpfs && mount("tmpfs", tmpfs, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") != 0)
      die("--tmpfs %s: %s", tmpfs, strerror(errno));
    if (keepfd >= 0) {
      char path[4096], from[64];
      snprintf(path, sizeof path, "%s", keep);
      for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) die("--keep %s: mkdir %s: %s", keep, path, strerror(errno));
        *p = '/';
      }
      if (mkdir(path, 0755) != 0 && errno != EEXIST) die("--keep %s: mkdir: %s", keep, strerror(errno));
      snprintf(from, sizeof from, "/proc/self/fd/%d", keepfd);
      if (mount(from, path, NULL, MS_BIND | MS_REC, NULL) != 0) die("--keep %s: %s", keep, strerror(errno));
      close(keepfd);
    }
  }
  if (newpid && unshare(CLONE_NEWPID) != 0) die("--pid: unshare: %s", strerror(errno));

  // The child waits on this pipe until the pidfile is written; EOF instead
  // means the launcher died before the child could arm PR_SET_PDEATHSIG.
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) die("pipe: %s", strerror(errno));

  // Block forwarded signals across fork so none arrives before child_pid is known.
  sigset_t block, old;
  sigemptyset(&block);
  for (int s = 0; s < NFORWARDED; s++) sigaddset(&block, forwarded[s]);
  sigprocmask(SIG_BLOCK, &block, &old);

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
    close(go[0]);
    if (newpid && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
      die("--pid: mount /proc: %s", strerror(errno));
    if (cwd && chdir(cwd) != 0) die("--cwd %s: %s", cwd, strerror(errno));
    execvp(prog[0], prog);
    int err = errno;
    fprintf(stderr, "kemu-sandbox: cannot run \"%s\": %s\n", prog[0], strerror(err));
    _exit(err == EACCES || err == EPERM || err == ENOEXEC || err == EISDIR ? 126 : 127);
  }

  child_pid = pid;
  close(go[0]);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward; // no SA_RESTART: waitpid below retries on EINTR
  sigemptyset(&sa.sa_mask);
  for (int s = 0; s < NFORWARDED; s++) sigaction(forwarded[s], &sa, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);

  // On failure die() exits, the child reads EOF and exits without starting the program.
  if (pidfile) write_pidfile(pidfile, pid);
  // If this fails the child already died (e.g. a forwarded signal); waitpid reports it.
  signal(SIGPIPE, SIG_IGN);
  ssize_t unused = write(go[1], "g", 1);
  (void)unused;
  close(go[1]);

  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid: %s", strerror(errno));
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status); // SIGKILL -> 137, like runtimes
  return WEXITSTATUS(status);
}
