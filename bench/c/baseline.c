/* The C baseline for `npm run bench`: the same system calls sockopts makes, on a connected
   loopback TCP socket, timed in the same run as the runtimes so the ratios share one machine state.

   A long-lived worker: it reads "<op> <calls>" lines on stdin and answers each with one JSON line
   on stdout, so the orchestrator can interleave its rounds with Bun's, Deno's and Node's.
   Every call's return value is checked; any failure ends the process with a message (exit 2). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57 /* <asm-generic/socket.h>, Linux 4.12+ */
#endif

static int client = -1, accepted = -1, listener = -1;
static unsigned short server_port, client_port;

static void die(const char *what) {
  fprintf(stderr, "c-baseline: %s: %s\n", what, errno ? strerror(errno) : "check failed");
  exit(2);
}

static unsigned short port_of(int fd, int (*name)(int, struct sockaddr *, socklen_t *)) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  if (name(fd, (struct sockaddr *)&addr, &len) != 0) die("getsockname/getpeername");
  if (addr.sin_family != AF_INET || addr.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
    errno = 0;
    die("not an IPv4 loopback address");
  }
  return ntohs(addr.sin_port);
}

static void open_connection(void) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if ((listener = socket(AF_INET, SOCK_STREAM, 0)) < 0) die("socket");
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
  if (listen(listener, 1) != 0) die("listen");
  if (getsockname(listener, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  server_port = ntohs(addr.sin_port);
  if ((client = socket(AF_INET, SOCK_STREAM, 0)) < 0) die("socket");
  if (connect(client, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
  if ((accepted = accept(listener, NULL, NULL)) < 0) die("accept");
  client_port = port_of(client, getsockname);
}

/* The fd is still the intended socket: a TCP stream whose local and peer ports are the pair
   opened above, as the kernel reports them now. */
static void verify(void) {
  int value;
  socklen_t len = sizeof value;
  errno = 0;
  if (getsockopt(client, SOL_SOCKET, SO_TYPE, &value, &len) != 0 || value != SOCK_STREAM) die("SO_TYPE");
  len = sizeof value;
  if (getsockopt(client, SOL_SOCKET, SO_PROTOCOL, &value, &len) != 0 || value != IPPROTO_TCP) die("SO_PROTOCOL");
  if (port_of(client, getsockname) != client_port || port_of(client, getpeername) != server_port) {
    errno = 0;
    die("the fd is no longer the benchmark's connection");
  }
}

static void set_int(int level, int name, int value, const char *what) {
  if (setsockopt(client, level, name, &value, sizeof value) != 0) die(what);
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Nanoseconds this thread has spent runnable but off the CPU (schedstat's second field). */
static double waited_ns(void) {
  unsigned long long run = 0, wait = 0;
  FILE *f = fopen("/proc/thread-self/schedstat", "r");
  if (f == NULL || fscanf(f, "%llu %llu", &run, &wait) != 2) die("/proc/thread-self/schedstat");
  fclose(f);
  return (double)wait;
}

static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL || fscanf(f, "%ld %ld", &pages, &resident) != 2) die("/proc/self/statm");
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

/* One timed loop of `calls` operations; returns ns per operation and sets *waited to the share
   of the loop's time the thread spent waiting for a CPU. */
static double run(const char *op, long calls, double *waited) {
  const int one = 1, idle = 30, interval = 10, count = 3;
  double start, end, waited_before = waited_ns();
  if (strcmp(op, "set") == 0) {
    start = now_ns();
    for (long i = 0; i < calls; i++)
      if (setsockopt(client, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0) die("set");
    end = now_ns();
  } else if (strcmp(op, "get") == 0) {
    set_int(IPPROTO_TCP, TCP_KEEPINTVL, interval, "set");
    start = now_ns();
    for (long i = 0; i < calls; i++) {
      int value;
      socklen_t len = sizeof value;
      if (getsockopt(client, IPPROTO_TCP, TCP_KEEPINTVL, &value, &len) != 0 || value != interval || len != sizeof value)
        die("get");
    }
    end = now_ns();
  } else if (strcmp(op, "cookie+set") == 0) {
    /* What a set through an identity-checked handle costs at least: read SO_COOKIE, then set. */
    start = now_ns();
    for (long i = 0; i < calls; i++) {
      unsigned long long cookie;
      socklen_t len = sizeof cookie;
      if (getsockopt(client, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0 || len != sizeof cookie || cookie == 0)
        die("SO_COOKIE");
      if (setsockopt(client, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0) die("set");
    }
    end = now_ns();
  } else if (strcmp(op, "set4") == 0) {
    /* sockopts' setKeepAlive order: TCP-level options first, SO_KEEPALIVE last. */
    start = now_ns();
    for (long i = 0; i < calls; i++) {
      if (setsockopt(client, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0) die("set4 idle");
      if (setsockopt(client, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0) die("set4 interval");
      if (setsockopt(client, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count) != 0) die("set4 count");
      if (setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0) die("set4 SO_KEEPALIVE");
    }
    end = now_ns();
  } else if (strcmp(op, "keepalive") == 0) {
    /* What Deno's conn.setKeepAlive(true) does: SO_KEEPALIVE alone. */
    start = now_ns();
    for (long i = 0; i < calls; i++)
      if (setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0) die("SO_KEEPALIVE");
    end = now_ns();
  } else if (strcmp(op, "keepalive+idle") == 0) {
    /* What a node:net setKeepAlive(true, delay) does in Deno: SO_KEEPALIVE, then TCP_KEEPIDLE. */
    start = now_ns();
    for (long i = 0; i < calls; i++) {
      if (setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0) die("SO_KEEPALIVE");
      if (setsockopt(client, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0) die("TCP_KEEPIDLE");
    }
    end = now_ns();
  } else if (strcmp(op, "tcpinfo") == 0) {
    /* Room for any kernel's struct tcp_info, as sockopts offers: the kernel copies all it has. */
    start = now_ns();
    for (long i = 0; i < calls; i++) {
      union { struct tcp_info info; unsigned char room[1024]; } buf;
      socklen_t len = sizeof buf;
      if (getsockopt(client, IPPROTO_TCP, TCP_INFO, &buf, &len) != 0 || len < 104 || buf.info.tcpi_state != TCP_ESTABLISHED)
        die("TCP_INFO");
    }
    end = now_ns();
  } else {
    errno = 0;
    fprintf(stderr, "c-baseline: unknown op %s\n", op);
    exit(2);
  }
  *waited = (waited_ns() - waited_before) / (end - start);
  return (end - start) / (double)calls;
}

int main(void) {
  char line[256], op[64];
  long calls;
  open_connection();
  verify();
  printf("{\"ready\":true,\"fd\":%d,\"localPort\":%u,\"remotePort\":%u}\n", client, client_port, server_port);
  fflush(stdout);
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (sscanf(line, "%63s %ld", op, &calls) != 2 || calls <= 0) {
      fprintf(stderr, "c-baseline: bad request: %s", line);
      return 2;
    }
    verify();
    if (strcmp(op, "mem") == 0) {
      long before = rss_bytes();
      double waited;
      run("set", calls, &waited);
      printf("{\"rssBefore\":%ld,\"rssAfter\":%ld}\n", before, rss_bytes());
    } else {
      double waited, ns = run(op, calls, &waited);
      verify();
      printf("{\"ns\":%.3f,\"waited\":%.5f}\n", ns, waited);
    }
    fflush(stdout);
  }
  return 0;
}
