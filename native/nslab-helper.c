/*
 * nslab-helper: create or join Linux namespaces from a single-threaded process, then exec.
 *
 * Why this exists: Node always runs several threads, and the kernel refuses
 * unshare(CLONE_NEWUSER) and setns() into a user or mount namespace for a multithreaded
 * caller; other namespace changes made from Node move only the calling thread. runc solves
 * the same problem for Go with nsexec (C that runs before the Go runtime starts); this is
 * nslab's nsexec. Everything a sandbox needs before its program starts happens here, so a
 * Node program exec'd at the end is born inside the namespaces and all its threads agree.
 *
 *   nslab-helper run  [-U] [-m] [-p] [-u] [-i] [-n] [-C] [--hostname NAME] [--rootfs DIR]
 *                     [--map-range UID:COUNT:GID:COUNT] [--pid-fd FD] -- PROGRAM [ARGS...]
 *   nslab-helper join --target PID [-U] [-m] [-p] [-u] [-i] [-n] [-C] [--all]
 *                     [--pid-fd FD] -- PROGRAM [ARGS...]
 *   nslab-helper janitor --owner PID [--timeout-ms MS] CGROUP-ROOT...   (see cmd_janitor)
 *
 * Exit status: the program's, or 128+signal when it was killed; 125 when the helper itself
 * failed (message on stderr, one line, prefixed "nslab-helper:").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HELPER_FAILED 125
#define STACK_SIZE (256 * 1024)

static void die(const char *fmt, ...) {
  va_list ap;
  int saved = errno;
  fputs("nslab-helper: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (saved) fprintf(stderr, ": %s (%s)", strerrorname_np(saved) ? strerrorname_np(saved) : "?", strerror(saved));
  fputc('\n', stderr);
  _exit(HELPER_FAILED);
}

struct opts {
  int flags;            /* CLONE_NEW* */
  int all;              /* join: every namespace the target has */
  pid_t target;         /* join: whose namespaces */
  int pid_fd;           /* where to report the sandbox's PID as seen from here */
  const char *hostname; /* run: sethostname inside a new UTS namespace */
  const char *rootfs;   /* run: pivot_root into this directory */
  const char *range;    /* run, unprivileged: "UID:COUNT:GID:COUNT" subordinate ids for newuidmap */
  char **argv;          /* program to exec */
};

static int sync_pipe[2];
/* Close-on-exec, held by the child: end-of-file on it means the program was exec'd (or the
 * child died), so the PID is reported only once the sandbox is fully set up. Without it, a
 * caller inspecting the PID could catch the sandbox half-way through its pivot_root. */
static int exec_pipe[2];
static pid_t child_pid;

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  ssize_t len = (ssize_t)strlen(text);
  if (write(fd, text, len) != len) die("write %s", path);
  close(fd);
}

/* An unprivileged sandbox cannot mknod, so, like bubblewrap's --dev, bind the host's harmless
 * character devices onto the empty files the rootfs builder left in dev/. Relative paths:
 * the caller has already fchdir'd into the new root. */
static void bind_devices(void) {
  static const char *devices[] = {"null", "zero", "random", "urandom", "tty"};
  char host[32], inside[32];
  size_t i;
  for (i = 0; i < sizeof devices / sizeof devices[0]; i++) {
    snprintf(host, sizeof host, "/dev/%s", devices[i]);
    snprintf(inside, sizeof inside, "dev/%s", devices[i]);
    if (access(inside, F_OK) < 0 || access(host, F_OK) < 0) continue; /* not every rootfs wants it */
    if (mount(host, inside, NULL, MS_BIND, NULL) < 0) die("bind %s", host);
  }
}

/* runc's sequence (libcontainer/rootfs_linux.go pivotRoot): pivot_root(".", ".") stacks the
 * old root on top of the new one, so no put_old directory is needed inside the rootfs. */
static void enter_rootfs(const char *rootfs, int new_pid_ns) {
  /* pivot_root needs new_root to be a mount point: bind it onto itself. */
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind %s", rootfs);
  int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) die("open %s", rootfs);
  /* Mount /proc and /tmp before the old root goes away, while the paths still resolve. A
   * fresh proc shows only this PID namespace, and the kernel lets a user namespace mount one
   * only for a PID namespace it owns: without -p, /proc stays an empty directory. tmpfs keeps
   * /tmp writes off the host's disk. The rootfs builder creates both directories, since an
   * unprivileged sandbox cannot write into a rootfs owned by real root. */
  if (mkdirat(newroot, "proc", 0555) < 0 && errno != EEXIST) die("mkdir proc");
  if (mkdirat(newroot, "tmp", 01777) < 0 && errno != EEXIST) die("mkdir tmp");
  if (fchdir(newroot) < 0) die("fchdir %s", rootfs);
  if (new_pid_ns && mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die("mount proc");
  if (mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0) die("mount tmpfs on tmp");
  bind_devices();
  if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root %s", rootfs);
  /* The old root now sits on top of "."; make it a slave of nothing before detaching so the
   * unmount cannot propagate anywhere. */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) die("make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) die("detach old root");
  if (chdir("/") < 0) die("chdir /");
  close(newroot);
}

static int child_main(void *arg) {
  struct opts *o = arg;
  char byte;
  /* The death signal is reset by clone, so set it first; if the helper died before this
   * line, its end of the pipe is closed and the read below returns 0. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");
  close(sync_pipe[1]);
  if (read(sync_pipe[0], &byte, 1) != 1) _exit(HELPER_FAILED); /* the helper gave up */
  close(sync_pipe[0]);
  close(exec_pipe[0]);
  if (o->pid_fd >= 0) close(o->pid_fd);

  if (o->flags & CLONE_NEWUSER) {
    /* Become the mapped root so files and credentials inside say uid 0. Without this a root
     * caller whose uid 0 maps to itself would already be 0, but make it explicit. */
    if (setresgid(0, 0, 0) < 0) die("setresgid(0)");
    if (setresuid(0, 0, 0) < 0) die("setresuid(0)");
  }
  if (o->flags & CLONE_NEWNS) {
    /* Before anything is mounted: a new mount namespace keeps the parent's peer groups, so a
     * mount here would propagate back to the host wherever / is shared (systemd makes it so). */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / rprivate");
  }
  if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0) die("sethostname");
  if (o->rootfs) enter_rootfs(o->rootfs, o->flags & CLONE_NEWPID);

  execvp(o->argv[0], o->argv);
  die("exec %s", o->argv[0]);
  return HELPER_FAILED;
}

static void kill_child(int sig) {
  (void)sig;
  if (child_pid > 0) kill(child_pid, SIGKILL);
}

/* Wait for the sandbox and exit the way it did, so callers see one process. */
static int wait_and_forward(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

static void report_pid(struct opts *o, pid_t pid) {
  char byte;
  close(exec_pipe[1]);
  while (read(exec_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  if (o->pid_fd < 0) return;
  dprintf(o->pid_fd, "%d\n", pid);
  close(o->pid_fd);
}

static void forward_termination(void) {
  /* A sandbox must not outlive the one who asked for it: the helper dies with its caller and
   * takes the sandbox with it on any polite termination too. */
  struct sigaction sa = {0};
  sa.sa_handler = kill_child;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* newuidmap/newgidmap are setuid-root helpers (shadow's uidmap package) that may map the
 * ranges /etc/subuid and /etc/subgid grant this user, which the kernel refuses to let an
 * unprivileged process map itself. Inside: 0 is the caller, 1..COUNT the subordinate range. */
static void map_with(const char *tool, pid_t pid, unsigned self, const char *start, const char *count) {
  char spid[16], sself[16];
  int status;
  pid_t p;
  snprintf(spid, sizeof spid, "%d", pid);
  snprintf(sself, sizeof sself, "%u", self);
  p = fork();
  if (p < 0) die("fork for %s", tool);
  if (p == 0) {
    execlp(tool, tool, spid, "0", sself, "1", "1", start, count, (char *)NULL);
    die("exec %s", tool);
  }
  while (waitpid(p, &status, 0) < 0)
    if (errno != EINTR) die("waitpid %s", tool);
  errno = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("%s %s 0 %s 1 1 %s %s failed", tool, spid, sself, start, count);
}

static void map_range(pid_t pid, const char *range, uid_t uid, gid_t gid) {
  char buf[128], *f[4];
  int n = 0;
  snprintf(buf, sizeof buf, "%s", range);
  for (char *tok = strtok(buf, ":"); tok && n < 4; tok = strtok(NULL, ":")) f[n++] = tok;
  errno = 0;
  if (n != 4) die("--map-range wants UID:COUNT:GID:COUNT, got %s", range);
  map_with("newuidmap", pid, uid, f[0], f[1]);
  map_with("newgidmap", pid, gid, f[2], f[3]);
}

/* How many ids from 0 up this user namespace maps (at most 65536): 4294967295 in the initial
 * namespace, 1 inside an unprivileged sandbox, 65536 inside a root one. */
static unsigned long ids_from_zero(const char *map_file) {
  unsigned long inside, outside, count, best = 1;
  FILE *f = fopen(map_file, "re");
  if (!f) die("open %s", map_file);
  while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
    if (inside == 0) best = count;
  fclose(f);
  return best < 65536 ? best : 65536;
}

static int cmd_run(struct opts *o) {
  static char stack[STACK_SIZE] __attribute__((aligned(16)));
  char path[64], map[64];
  uid_t uid = getuid();
  gid_t gid = getgid();

  if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(exec_pipe, O_CLOEXEC) < 0) die("pipe");
  child_pid = clone(child_main, stack + STACK_SIZE, o->flags | SIGCHLD, o);
  if (child_pid < 0) die("clone");
  close(sync_pipe[0]);
  forward_termination();

  if (o->flags & CLONE_NEWUSER) {
    if (uid != 0 && o->range) {
      map_range(child_pid, o->range, uid, gid);
    } else if (uid != 0) {
      /* The kernel lets an unprivileged process map only its own id, and only after it gives
       * up setgroups(2), which could otherwise drop a group used to deny it access. */
      snprintf(path, sizeof path, "/proc/%d/setgroups", child_pid);
      write_file(path, "deny");
      snprintf(path, sizeof path, "/proc/%d/uid_map", child_pid);
      snprintf(map, sizeof map, "0 %u 1\n", uid);
      write_file(path, map);
      snprintf(path, sizeof path, "/proc/%d/gid_map", child_pid);
      snprintf(map, sizeof map, "0 %u 1\n", gid);
      write_file(path, map);
    } else {
      /* Root may map a range: 65536 ids give lessons real, distinct users (a setuid-root file,
       * a uid 1000 that is not root). setgroups stays allowed so privilege drops are real.
       * Nested inside another sandbox, "root" owns only the ids its own namespace maps. */
      snprintf(path, sizeof path, "/proc/%d/uid_map", child_pid);
      snprintf(map, sizeof map, "0 0 %lu\n", ids_from_zero("/proc/self/uid_map"));
      write_file(path, map);
      snprintf(path, sizeof path, "/proc/%d/gid_map", child_pid);
      snprintf(map, sizeof map, "0 0 %lu\n", ids_from_zero("/proc/self/gid_map"));
      write_file(path, map);
    }
  }
  if (write(sync_pipe[1], "x", 1) != 1) die("release sandbox");
  close(sync_pipe[1]);
  report_pid(o, child_pid);
  return wait_and_forward(child_pid);
}

static const struct {
  const char *name;
  int flag;
} ns_kinds[] = {
    /* user first: joining it grants the capabilities needed to join the others. */
    {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID},
    /* mnt last: after it, /proc/PID paths may no longer resolve to the target. */
    {"mnt", CLONE_NEWNS},
};

static int same_ns(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) < 0 || stat(b, &sb) < 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int cmd_join(struct opts *o) {
  int fds[sizeof ns_kinds / sizeof ns_kinds[0]];
  char path[64], self[64];
  int rootfd = -1;
  size_t i;

  /* Open every namespace file first: once we are in the target's mount namespace, /proc may
   * be a different procfs in which the target has another PID or none. */
  for (i = 0; i < sizeof ns_kinds / sizeof ns_kinds[0]; i++) {
    fds[i] = -1;
    if (!o->all && !(o->flags & ns_kinds[i].flag)) continue;
    snprintf(path, sizeof path, "/proc/%d/ns/%s", o->target, ns_kinds[i].name);
    snprintf(self, sizeof self, "/proc/self/ns/%s", ns_kinds[i].name);
    /* setns into the user namespace we are already in fails with EINVAL; the others are
     * no-ops, so skip every namespace we already share. */
    if (same_ns(path, self)) continue;
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die("open %s", path);
  }
  if (o->all || (o->flags & CLONE_NEWNS)) {
    snprintf(path, sizeof path, "/proc/%d/root", o->target);
    rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) die("open %s", path);
  }
  for (i = 0; i < sizeof ns_kinds / sizeof ns_kinds[0]; i++) {
    if (fds[i] < 0) continue;
    if (setns(fds[i], ns_kinds[i].flag) < 0) die("setns %s of pid %d", ns_kinds[i].name, o->target);
    close(fds[i]);
  }
  if (rootfd >= 0) {
    /* Like nsenter -r: take the target's root, which after its pivot_root is its rootfs. */
    if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) die("enter root of pid %d", o->target);
    close(rootfd);
  }
  /* setns(CLONE_NEWPID) only decides where our children are born, so fork once. */
  if (pipe2(exec_pipe, O_CLOEXEC) < 0) die("pipe");
  child_pid = fork();
  if (child_pid < 0) die("fork");
  if (child_pid == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");
    if (o->pid_fd >= 0) close(o->pid_fd);
    close(exec_pipe[0]);
    execvp(o->argv[0], o->argv);
    die("exec %s", o->argv[0]);
  }
  forward_termination();
  report_pid(o, child_pid);
  return wait_and_forward(child_pid);
}

/*
 * nslab-helper janitor --owner PID [--timeout-ms MS] ROOT...
 *
 * Removes the cgroups of an nslab process once that process is gone, however it ended. nslab
 * starts it, in a session of its own (so a signal to nslab's process group does not reach it),
 * before it makes its first cgroup, with a pipe from nslab as stdin. The kernel closes a dead
 * process's files, so the pipe reaches end-of-file when nslab exits, SIGKILL included. Then every
 * cgroup named nslab-PID-<n> under the ROOTs (the mounted cgroup hierarchies) is thawed, emptied
 * (cgroup.kill, else SIGKILL to each member), and removed, what it holds first, retrying while
 * the members finish dying. Nothing but directories with exactly that name and what lies inside
 * them is written or removed. After a clean exit nslab has removed them all itself and the
 * janitor finds nothing to do. Exit status: 0 when nothing is left, 1 when something still was
 * at the deadline (the next nslab's sweep then takes it).
 */
static pid_t janitor_owner;

static int owned_name(const char *name) {
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "nslab-%d-", (int)janitor_owner);
  const char *p = name + n;
  if (strncmp(name, prefix, n) || !*p) return 0;
  for (; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  return 1;
}

static void put(const char *dir, const char *file, const char *value) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return; /* this version or hierarchy has no such file */
  if (write(fd, value, strlen(value)) < 0) { /* best effort: the rmdir says what matters */ }
  close(fd);
}

static int is_subdir(const struct dirent *e) {
  return e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* Whether this cgroup holds the janitor itself. In a systemd-delegated scope nslab runs in a leaf
 * of its own, nslab-PID-0, and the janitor it started is born there too: that leaf is systemd's to
 * remove with the scope, and killing its members would kill the janitor mid-sweep. */
static int holds_self(const char *dir) {
  char path[PATH_MAX];
  int pid, found = 0;
  snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  FILE *procs = fopen(path, "re");
  if (!procs) return 0;
  while (!found && fscanf(procs, "%d", &pid) == 1) found = pid == getpid();
  fclose(procs);
  return found;
}

/* One pass over a cgroup of ours: 0 once it is gone. Frozen tasks cannot die until thawed, and
 * rmdir fails with EBUSY while a member or a child cgroup is left. */
static int remove_cgroup(const char *dir) {
  char path[PATH_MAX];
  struct dirent *e;
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : -1;
  while ((e = readdir(d)))
    if (is_subdir(e)) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      remove_cgroup(path);
    }
  closedir(d);
  if (holds_self(dir)) return 0;
  put(dir, "freezer.state", "THAWED");
  put(dir, "cgroup.freeze", "0");
  snprintf(path, sizeof path, "%s/cgroup.kill", dir);
  if (access(path, F_OK) == 0) {
    put(dir, "cgroup.kill", "1");
  } else {
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *procs = fopen(path, "re");
    int pid;
    if (procs) {
      while (fscanf(procs, "%d", &pid) == 1)
        if (pid > 0) kill(pid, SIGKILL);
      fclose(procs);
    }
  }
  return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}

/* Every cgroup of the owner under dir, removed (or tried) once; returns how many are left. */
static int sweep(const char *dir, int depth) {
  char path[PATH_MAX];
  struct dirent *e;
  int left = 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  while ((e = readdir(d))) {
    if (!is_subdir(e)) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (owned_name(e->d_name)) left += remove_cgroup(path) ? 1 : 0;
    else if (depth < 10) left += sweep(path, depth + 1);
  }
  closedir(d);
  return left;
}

/* The owner still runs: it exists and is not a zombie waiting for its parent. */
static int owner_alive(void) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)janitor_owner);
  FILE *f = fopen(path, "re");
  if (!f) return kill(janitor_owner, 0) == 0;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = 0;
  const char *close_paren = strrchr(stat, ')');
  return !(close_paren && close_paren[1] == ' ' && (close_paren[2] == 'Z' || close_paren[2] == 'X'));
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int cmd_janitor(int argc, char **argv) {
  long timeout = 5000;
  int i, first = argc;
  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--owner") && i + 1 < argc) janitor_owner = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) timeout = atol(argv[++i]);
    else { first = i; break; }
  }
  errno = 0;
  if (janitor_owner <= 0) die("janitor needs --owner PID");
  /* Hold no directory that someone may want to unmount while we wait. */
  if (chdir("/") < 0) die("chdir /");
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  char buf[256];
  for (;;) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
  }

  /* End-of-file can come a moment before the owner is gone: Node closes its handles while it
   * tears itself down, and nslab may still be in one of these cgroups then (the delegated leaf).
   * Wait until it has exited, so the sweep never kills the process it cleans up after. */
  long deadline = now_ms() + timeout;
  while (owner_alive() && now_ms() < deadline) {
    struct timespec pause = {0, 5 * 1000000L};
    nanosleep(&pause, NULL);
  }
  if (owner_alive()) return 1;
  for (;;) {
    int left = 0;
    for (i = first; i < argc; i++) left += sweep(argv[i], 1);
    if (!left) return 0;
    if (now_ms() >= deadline) return 1;
    struct timespec pause = {0, 20 * 1000000L};
    nanosleep(&pause, NULL);
  }
}

static int parse_flag(const char *arg) {
  if (!strcmp(arg, "-U")) return CLONE_NEWUSER;
  if (!strcmp(arg, "-m")) return CLONE_NEWNS;
  if (!strcmp(arg, "-p")) return CLONE_NEWPID;
  if (!strcmp(arg, "-u")) return CLONE_NEWUTS;
  if (!strcmp(arg, "-i")) return CLONE_NEWIPC;
  if (!strcmp(arg, "-n")) return CLONE_NEWNET;
  if (!strcmp(arg, "-C")) return CLONE_NEWCGROUP;
  return 0;
}

int main(int argc, char **argv) {
  struct opts o = {.pid_fd = -1};
  pid_t parent = getppid();
  int i, flag;

  /* The janitor must outlive nslab, so it takes no parent-death signal. */
  if (argc >= 2 && !strcmp(argv[1], "janitor")) return cmd_janitor(argc - 2, argv + 2);

  /* Die with whoever started us (Node), so a killed nslab never leaves a sandbox behind. The
   * getppid check closes the race where the parent died before prctl took effect. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != parent) _exit(HELPER_FAILED);

  if (argc < 2) die("usage: nslab-helper run|join [options] -- program [args], or janitor --owner PID ROOT...");
  for (i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { o.argv = &argv[i + 1]; break; }
    if ((flag = parse_flag(argv[i]))) o.flags |= flag;
    else if (!strcmp(argv[i], "--all")) o.all = 1;
    else if (!strcmp(argv[i], "--target") && i + 1 < argc) o.target = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--pid-fd") && i + 1 < argc) o.pid_fd = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--hostname") && i + 1 < argc) o.hostname = argv[++i];
    else if (!strcmp(argv[i], "--rootfs") && i + 1 < argc) o.rootfs = argv[++i];
    else if (!strcmp(argv[i], "--map-range") && i + 1 < argc) o.range = argv[++i];
    else { errno = 0; die("unknown option %s", argv[i]); }
  }
  errno = 0;
  if (!o.argv || !o.argv[0]) die("no program given after --");
  if (o.hostname && !(o.flags & CLONE_NEWUTS)) die("--hostname needs a new UTS namespace (-u)");
  if (o.rootfs && !(o.flags & CLONE_NEWNS)) die("--rootfs needs a new mount namespace (-m)");
  if (!strcmp(argv[1], "run")) return cmd_run(&o);
  if (!strcmp(argv[1], "join")) {
    if (o.target <= 0) die("join needs --target PID");
    return cmd_join(&o);
  }
  die("unknown command %s (expected run or join)", argv[1]);
  return HELPER_FAILED;
}
