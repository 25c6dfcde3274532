/* sip_bulk_responder: answers SIP OPTIONS over UDP on thousands of addresses
 * at once, for tools/bench/scale.sh (10,000 backends probed every second).
 *
 * fodns probes over a *connected* UDP socket, so a reply must come from the
 * exact address and port probed: this binds one socket per address (one
 * process, one epoll set) instead of one wildcard socket, which would also
 * catch traffic meant for other tests on the same machine. Each reply copies
 * Via, From, To, Call-ID and CSeq (long and compact forms), as
 * src/app/demo_sip_responder.cc does for `fodns demo`.
 *
 * Usage: sip_bulk_responder ADDR_FILE PORT [STATUS [POLL_US]]
 *   ADDR_FILE  one IPv4/IPv6 literal per line (loopback addresses only)
 *   STATUS     status line after "SIP/2.0 ", default "200 OK"
 *   POLL_US    0 (default): sleep in epoll_wait until a request comes. N: look
 *              every N microseconds instead. A sleeping receiver is woken by
 *              the *sender's* CPU: on loopback in a VM that is an
 *              inter-processor interrupt per probe charged to fodns (10% of
 *              its control loop's perf samples at 10,000 probes/s), a cost
 *              that SIP servers on their own hosts never put on the prober.
 *              Polling every 1000 us cut that to 5% and adds at most 1 ms
 *              to the RTT.
 * Prints "ready N" on stdout once every socket is bound. SIGUSR1 prints the
 * counters to stderr; SIGTERM/SIGINT print them and exit.
 * Build: cc -O2 -Wall -Wextra -o sip_bulk_responder sip_bulk_responder.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag = 0;
static volatile sig_atomic_t dump_flag = 0;
static void on_stop(int sig) { (void)sig; stop_flag = 1; }
static void on_dump(int sig) { (void)sig; dump_flag = 1; }

static unsigned long long answered, ignored, send_errors;

/* Appends the request's header lines that a response must echo. */
static size_t build_reply(const char *req, size_t n, const char *status, char *out, size_t cap) {
  if (n < 8 || memcmp(req, "OPTIONS ", 8) != 0) return 0;
  size_t o = (size_t)snprintf(out, cap, "SIP/2.0 %s\r\n", status);
  const char *p = memchr(req, '\n', n);
  const char *end = req + n;
  while (p && p + 1 < end) {
    const char *line = p + 1;
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl) break;
    size_t len = (size_t)(nl - line);
    if (len > 0 && line[len - 1] == '\r') --len;
    if (len == 0) break; /* end of headers */
    const char *colon = memchr(line, ':', len);
    if (colon) {
      size_t k = (size_t)(colon - line);
      while (k > 0 && line[k - 1] == ' ') --k;
      static const char *const keep[] = {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"};
      for (size_t i = 0; i < sizeof keep / sizeof keep[0]; ++i) {
        if (strlen(keep[i]) == k && strncasecmp(line, keep[i], k) == 0) {
          if (o + len + 2 >= cap) return 0;
          memcpy(out + o, line, len);
          o += len;
          out[o++] = '\r';
          out[o++] = '\n';
          break;
        }
      }
    }
    p = nl;
  }
  static const char tail[] = "Server: fodns-bench\r\nContent-Length: 0\r\n\r\n";
  if (o + sizeof tail >= cap) return 0;
  memcpy(out + o, tail, sizeof tail - 1);
  return o + sizeof tail - 1;
}

static void dump(void) {
  fprintf(stderr, "sip_bulk_responder: answered=%llu ignored=%llu send_errors=%llu\n", answered, ignored,
          send_errors);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ADDR_FILE PORT [STATUS [POLL_US]]\n", argv[0]);
    return 2;
  }
  const char *status = argc > 3 ? argv[3] : "200 OK";
  long poll_us = argc > 4 ? atol(argv[4]) : 0;
  int port = atoi(argv[2]);
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  /* One descriptor per address: raise the soft limit as far as the hard one. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  char line[128];
  int count = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, line, &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons((unsigned short)port);
      sl = sizeof *v4;
    } else if (inet_pton(AF_INET6, line, &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons((unsigned short)port);
      sl = sizeof *v6;
    } else {
      fprintf(stderr, "sip_bulk_responder: bad address '%s'\n", line);
      return 1;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0) {
      fprintf(stderr, "sip_bulk_responder: bind %s:%d: %s\n", line, port, strerror(errno));
      return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    ++count;
  }
  fclose(f);
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  signal(SIGUSR1, on_dump);
  printf("ready %d\n", count);
  fflush(stdout);

  static struct epoll_event evs[1024];
  static char req[65536], rep[8192];
  while (!stop_flag) {
    if (dump_flag) {
      dump_flag = 0;
      dump();
    }
    int n = epoll_wait(ep, evs, 1024, poll_us > 0 ? 0 : 500);
    if (n == 0 && poll_us > 0) usleep((useconds_t)poll_us);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      for (;;) { /* drain the socket: a retransmission may sit behind the first request */
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, req, sizeof req, 0, (struct sockaddr *)&from, &fl);
        if (r < 0) break;
        size_t m = build_reply(req, (size_t)r, status, rep, sizeof rep);
        if (m == 0) {
          ++ignored;
          continue;
        }
        if (sendto(fd, rep, m, 0, (struct sockaddr *)&from, fl) < 0) ++send_errors;
        else ++answered;
      }
    }
  }
  dump();
  return 0;
}
