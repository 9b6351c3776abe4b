/* nslab-tools: the few programs a lesson needs whose exact behaviour no distribution promises.
 *
 * Lessons call ordinary tools (sh, sleep, ps, ip, setpriv) by name from whichever rootfs is
 * there, busybox or host binaries. These three are different: the lesson's point depends on
 * precisely what they do, and a fresh Debian or Ubuntu has no package that does just that
 * (iputils ping raises its own capabilities, busybox is not installed, python3 may be absent).
 * One static binary, so it also runs after a pivot into a rootfs with no libc; the applet is
 * chosen by argv[0]'s basename (a copy named "ping" is ping), else by the first argument.
 *
 *   ping [-c COUNT] [-i SECONDS] [-W SECONDS] ADDRESS
 *       ICMP echo over a raw socket (AF_INET, SOCK_RAW, IPPROTO_ICMP), which needs
 *       CAP_NET_RAW. It never raises a capability itself: with a file capability that is
 *       permitted but not effective (cap_net_raw+p) it fails, as a capability-dumb program does.
 *   httpd ADDRESS PORT DIR
 *       A one-connection-at-a-time HTTP/1.0 server for DIR, in the foreground, no handlers
 *       installed: a container's PID 1 that only listens.
 *   forks COUNT SECONDS
 *       fork() COUNT children that each sleep SECONDS, printing every fork's result with the
 *       errno's name (dash only says "Cannot fork"): the pids controller's EAGAIN, visible.
 *       Exits 1 at the first failed fork, after printing it.
 *   userns-probe [thread]
 *       unshare(CLONE_NEWUSER) from this process, single-threaded, or after starting one
 *       more thread. Prints "TASKS RET ERROR USERNS" on one line (ERROR is "ok" on success,
 *       else strerror with spaces as underscores).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned short checksum(const void *data, size_t len) {
  const unsigned char *p = data;
  unsigned long sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (unsigned)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (unsigned)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((unsigned short)~sum);
}

static int ping_main(int argc, char **argv) {
  int count = 3;
  double interval = 1, wait = 2;
  const char *target = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-c") && i + 1 < argc) count = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-i") && i + 1 < argc) interval = atof(argv[++i]);
    else if (!strcmp(argv[i], "-W") && i + 1 < argc) wait = atof(argv[++i]);
    else target = argv[i];
  }
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (!target || inet_pton(AF_INET, target, &to.sin_addr) != 1 || count < 1) {
    fprintf(stderr, "usage: ping [-c COUNT] [-i SECONDS] [-W SECONDS] IPv4-ADDRESS\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) {
    int e = errno;
    /* The wording of iputils and busybox, so a learner recognises it. */
    fprintf(stderr, "ping: socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): %s%s\n", strerror(e),
            e == EPERM ? " (permission denied: are you root? a raw socket needs CAP_NET_RAW)" : "");
    return 2;
  }
  printf("PING %s: raw ICMP socket opened\n", target);
  fflush(stdout);
  unsigned short id = (unsigned short)getpid();
  int received = 0;
  for (int seq = 1; seq <= count; seq++) {
    struct icmphdr req = {.type = ICMP_ECHO};
    req.un.echo.id = htons(id);
    req.un.echo.sequence = htons((unsigned short)seq);
    req.checksum = checksum(&req, sizeof req);
    double sent = now();
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) < 0) {
      fprintf(stderr, "ping: sendto: %s\n", strerror(errno));
      return 2;
    }
    /* A raw ICMP socket sees every ICMP packet, our own request on lo included: wait for the
     * reply that answers this id and sequence. */
    for (;;) {
      double left = sent + wait - now();
      if (left <= 0) break;
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0) break;
      unsigned char buf[1500];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < (ssize_t)sizeof(struct iphdr)) continue;
      struct iphdr *ip = (struct iphdr *)buf;
      size_t hl = (size_t)ip->ihl * 4;
      if ((size_t)n < hl + sizeof(struct icmphdr)) continue;
      struct icmphdr *rep = (struct icmphdr *)(buf + hl);
      if (rep->type != ICMP_ECHOREPLY || ntohs(rep->un.echo.id) != id || ntohs(rep->un.echo.sequence) != seq) continue;
      printf("%zd bytes from %s: icmp_seq=%d time=%.3f ms\n", n - (ssize_t)hl, target, seq, (now() - sent) * 1000);
      received++;
      break;
    }
    fflush(stdout);
    if (seq < count) usleep((useconds_t)(interval * 1e6));
  }
  printf("%d packets transmitted, %d received\n", count, received);
  return received ? 0 : 1;
}

static void respond(int c, const char *dir) {
  char req[2048];
  ssize_t n = read(c, req, sizeof req - 1);
  if (n <= 0) return;
  req[n] = 0;
  char path[PATH_MAX] = "";
  char *sp = strchr(req, ' ');
  if (sp) {
    char *end = strchr(sp + 1, ' ');
    if (end) *end = 0;
    /* No "..": the server never leaves DIR. */
    if (!strstr(sp + 1, "..")) snprintf(path, sizeof path, "%s%s", dir, sp + 1);
  }
  struct stat st;
  int f = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (f < 0 || fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
    dprintf(c, "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n");
  } else {
    dprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %lld\r\n\r\n", (long long)st.st_size);
    char buf[4096];
    ssize_t r;
    while ((r = read(f, buf, sizeof buf)) > 0)
      if (write(c, buf, (size_t)r) != r) break;
  }
  if (f >= 0) close(f);
}

static int httpd_main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: httpd ADDRESS PORT DIR\n");
    return 2;
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
    fprintf(stderr, "httpd: not an IPv4 address: %s\n", argv[1]);
    return 2;
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) {
    fprintf(stderr, "httpd: listen on %s:%s: %s\n", argv[1], argv[2], strerror(errno));
    return 1;
  }
  for (;;) {
    int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    respond(c, argv[3]);
    close(c);
  }
}

static const char *errno_name(int e) {
  switch (e) {
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EPERM: return "EPERM";
  case EINVAL: return "EINVAL";
  default: return "errno";
  }
}

static int forks_main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: forks COUNT SECONDS\n");
    return 2;
  }
  int count = atoi(argv[1]);
  unsigned seconds = (unsigned)atoi(argv[2]);
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 1; i <= count; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      sleep(seconds);
      _exit(0);
    }
    if (pid < 0) {
      int e = errno;
      printf("fork %d: fork() = -1 %s (%s)\n", i, errno_name(e), strerror(e));
      return 1;
    }
    printf("fork %d: child %d\n", i, (int)pid);
  }
  printf("all forks worked\n");
  return 0;
}

static void *idle(void *arg) {
  (void)arg;
  pause();
  return NULL;
}

static int count_tasks(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static int userns_probe_main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "thread")) {
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL) != 0) {
      fprintf(stderr, "userns-probe: pthread_create failed\n");
      return 2;
    }
  }
  int tasks = count_tasks();
  int r = unshare(CLONE_NEWUSER);
  int e = errno;
  char err[128] = "ok";
  if (r < 0) {
    snprintf(err, sizeof err, "%s", strerror(e));
    for (char *p = err; *p; p++)
      if (*p == ' ') *p = '_';
  }
  char link[128] = "?";
  ssize_t n = readlink("/proc/self/ns/user", link, sizeof link - 1);
  link[n > 0 ? n : 1] = 0;
  printf("%d %d %s %s\n", tasks, r, err, link);
  return 0;
}

struct applet {
  const char *name;
  int (*main)(int, char **);
};
static const struct applet applets[] = {
    {"ping", ping_main},
    {"httpd", httpd_main},
    {"forks", forks_main},
    {"userns-probe", userns_probe_main},
};

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++)
    if (!strcmp(base, applets[i].name)) return applets[i].main(argc, argv);
  if (argc > 1)
    for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++)
      if (!strcmp(argv[1], applets[i].name)) return applets[i].main(argc - 1, argv + 1);
  fprintf(stderr, "usage: nslab-tools {ping|httpd|forks|userns-probe} ARGS...\n");
  return 2;
}
