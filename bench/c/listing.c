/* The C floor for listing a process's TCP sockets, for `npm run bench` (bench/listing.ts): the
   least work that gives tcpSockets()'s answer. It opens `connections` loopback connections (both
   ends here: 2 TCP sockets each) plus `files` more fds on /dev/null, then times, `rounds` times:

   - floor: getdents64 over /proc/self/fd, one fstat per fd, one NETLINK_SOCK_DIAG dump of every
     TCP socket (IPv4 and IPv6), and the inode match between them;
   - dump: the sock_diag dump alone (what a policy tick that finds nothing new must do);
   - getdents and fstat: the parts, for reference.

   Prints one JSON line of medians in ms, and the fd and socket counts. Constants from
   <linux/netlink.h>, <linux/sock_diag.h>, <linux/inet_diag.h>. Every call is checked (exit 2). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "c-listing: %s: %s\n", what, errno ? strerror(errno) : "check failed");
  exit(2);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int fds[1 << 17];
static unsigned long inodes[1 << 17];
static int nfds;
static char buf[1 << 16];

static void list_fds(void) {
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die("open /proc/self/fd");
  nfds = 0;
  for (;;) {
    long got = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (got < 0) die("getdents64");
    if (got == 0) break;
    for (long at = 0; at < got;) {
      struct { unsigned long ino; long off; unsigned short reclen; unsigned char type; char name[]; } *d = (void *)(buf + at);
      if (d->name[0] >= '0' && d->name[0] <= '9') {
        int fd = atoi(d->name);
        if (fd != dir) fds[nfds++] = fd;
      }
      at += d->reclen;
    }
  }
  close(dir);
}

static int stat_fds(void) {
  int sockets = 0;
  for (int i = 0; i < nfds; i++) {
    struct stat st;
    if (fstat(fds[i], &st) != 0) die("fstat");
    inodes[i] = S_ISSOCK(st.st_mode) ? st.st_ino : 0;
    sockets += S_ISSOCK(st.st_mode);
  }
  return sockets;
}

/* Dumps every TCP socket; with `match`, counts those whose inode one of this process's fds holds. */
static int dump(int match) {
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) die("socket(NETLINK_SOCK_DIAG)");
  int count = 0, matched = 0;
  unsigned char seen[1 << 14] = {0}; /* a small inode hash: the bench's inodes are consecutive */
  if (match)
    for (int i = 0; i < nfds; i++)
      if (inodes[i]) seen[inodes[i] & 0x3fff] = 1;
  /* One walk for both families: the older request (struct inet_diag_req, TCPDIAG_GETSOCK) dumps
     AF_UNSPEC, as src/sock_diag.ts asks; SOCK_DIAG_BY_FAMILY would walk the hash tables twice. */
  {
    struct { struct nlmsghdr nlh; struct inet_diag_req req; } request = {
      .nlh = {.nlmsg_len = sizeof request, .nlmsg_type = TCPDIAG_GETSOCK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
      .req = {.idiag_states = 0xfff & ~(1 << 6)},
    };
    if (send(nl, &request, sizeof request, 0) != sizeof request) die("send");
    for (int done = 0; !done;) {
      long got = recv(nl, buf, sizeof buf, 0);
      if (got < 0) die("recv");
      for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
        if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
        if (h->nlmsg_type == NLMSG_ERROR) { errno = 0; die("NLMSG_ERROR"); }
        struct inet_diag_msg *m = NLMSG_DATA(h);
        count++;
        if (match && m->idiag_inode && seen[m->idiag_inode & 0x3fff]) matched++;
      }
    }
  }
  close(nl);
  return match ? matched : count;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, n, sizeof *v, cmp);
  return v[n / 2];
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: listing <connections> <files> <rounds>\n"); return 2; }
  int connections = atoi(argv[1]), files = atoi(argv[2]), rounds = atoi(argv[3]);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (void *)&addr, sizeof addr) || listen(listener, 4096)) die("listen");
  if (getsockname(listener, (void *)&addr, &len)) die("getsockname");
  for (int i = 0; i < connections; i++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (void *)&addr, sizeof addr)) die("connect");
    if (accept(listener, NULL, NULL) < 0) die("accept");
  }
  for (int i = 0; i < files; i++)
    if (open("/dev/null", O_RDONLY) < 0) die("open /dev/null");
  double floor_v[rounds], dump_v[rounds], getdents_v[rounds], fstat_v[rounds];
  int sockets = 0, tcp = 0;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ms();
    list_fds();
    double t1 = now_ms();
    sockets = stat_fds();
    double t2 = now_ms();
    tcp = dump(1);
    double t3 = now_ms();
    dump(0);
    double t4 = now_ms();
    floor_v[r] = t3 - t0;
    getdents_v[r] = t1 - t0;
    fstat_v[r] = t2 - t1;
    dump_v[r] = t4 - t3;
  }
  printf("{\"fds\":%d,\"sockets\":%d,\"tcp\":%d,\"floorMs\":%.3f,\"dumpMs\":%.3f,\"getdentsMs\":%.3f,\"fstatMs\":%.3f}\n",
         nfds, sockets, tcp, median(floor_v, rounds), median(dump_v, rounds), median(getdents_v, rounds),
         median(fstat_v, rounds));
  return 0;
}
