/*
 * flood: a UDP SIP flood sender for the resproxy flood benchmark (bench/flood/flood.sh).
 *
 * Sends well-formed INVITE and REGISTER requests from many loopback source addresses, one UDP
 * socket per address (bound to it, port 0, connected to the target), with sendmmsg(2) in
 * batches. Loopback only; bounded in time (-d) and in count (-n).
 *
 *   flood -t 127.0.0.1:5062 -r 10000 -d 30 -s 127.0.0.2..127.0.0.251 [-m 1:1] [-b 8] [-n MAX]
 *
 *   -t ip:port   target (an IPv4 loopback address, 127.0.0.0/8)
 *   -r rate      messages per second, all sources together (1..2000000)
 *   -d seconds   how long to send (1..3600)
 *   -s a..b      source address range, IPv4 loopback, at most 4096 addresses (or one address)
 *   -m I:R       message mix, INVITE:REGISTER (default 1:1 = alternating; 1:0 only INVITE)
 *   -b batch     consecutive messages per source and sendmmsg call (1..1024, default 8):
 *                message k goes to source (k / batch) mod sources
 *   -n max       hard cap on messages (default and ceiling: rate * seconds)
 *   -D domain    the SIP domain (default resproxy.local)
 *   -q           no progress line per second on stderr
 *
 * Pacing: every millisecond, the messages due since the start (rate * elapsed) are sent, at
 * most 100 ms worth per tick (a stalled sender does not burst unboundedly; it just falls
 * behind, and the achieved rate says so). Answers are drained and counted by status code every
 * 50 ms (non-blocking reads; each socket has a small receive buffer, so the kernel drops what
 * we do not read instead of queueing it). SIGINT/SIGTERM stop the run early; the summary is
 * printed either way, on stdout as one line:
 *
 *   FLOOD target=… sources=N asked_rate=R duration_s=D sent=S send_errors=E eagain=… refused=…
 *         other_errors=… elapsed_s=… achieved_rate=… answers=A answer_codes=401:…,403:…
 *
 * Build: cc -O2 -Wall -Wextra -Werror -o flood flood.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 4096
#define MAX_BATCH 1024
#define MSG_CAP 1400

static volatile sig_atomic_t g_stop = 0;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

struct source {
  int fd;
  char ip[INET_ADDRSTRLEN];
  unsigned port;
};

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s -t IP:PORT -r RATE -d SECONDS -s FIRST..LAST [-m INVITE:REGISTER] [-b BATCH]\n"
          "          [-n MAX_MESSAGES] [-D DOMAIN] [-q]\n"
          "  loopback only (127.0.0.0/8); see the comment at the top of flood.c\n",
          argv0);
  exit(2);
}

static int is_loopback(struct in_addr a) { return (ntohl(a.s_addr) >> 24) == 127; }

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_long(const char *s, long lo, long hi, const char *what) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "flood: %s: \"%s\" must be an integer in %ld..%ld\n", what, s, lo, hi);
    exit(2);
  }
  return v;
}

/* One request into buf; returns its length. k: the message number (unique in this run). */
static int build_message(char *buf, size_t cap, int invite, unsigned long long k, const struct source *src,
                         const char *domain, unsigned run_id) {
  int n;
  if (invite) {
    n = snprintf(buf, cap,
                 "INVITE sip:0900%06llu@%s SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-fl%x-%llu;rport\r\n"
                 "Max-Forwards: 70\r\n"
                 "From: <sip:attacker@%s>;tag=fl%x-%llu\r\n"
                 "To: <sip:0900%06llu@%s>\r\n"
                 "Call-ID: fl%x-%llu@%s\r\n"
                 "CSeq: 1 INVITE\r\n"
                 "Contact: <sip:attacker@%s:%u>\r\n"
                 "User-Agent: flood\r\n"
                 "Content-Length: 0\r\n"
                 "\r\n",
                 k % 1000000ULL, domain, src->ip, src->port, run_id, k, src->ip, run_id, k, k % 1000000ULL,
                 domain, run_id, k, src->ip, src->ip, src->port);
  } else {
    n = snprintf(buf, cap,
                 "REGISTER sip:%s SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-fl%x-%llu;rport\r\n"
                 "Max-Forwards: 70\r\n"
                 "From: <sip:9%llu@%s>;tag=fl%x-%llu\r\n"
                 "To: <sip:9%llu@%s>\r\n"
                 "Call-ID: fl%x-%llu@%s\r\n"
                 "CSeq: 1 REGISTER\r\n"
                 "Contact: <sip:9%llu@%s:%u>\r\n"
                 "Expires: 3600\r\n"
                 "User-Agent: flood\r\n"
                 "Content-Length: 0\r\n"
                 "\r\n",
                 domain, src->ip, src->port, run_id, k, k, domain, run_id, k, k, domain, run_id, k, src->ip, k,
                 src->ip, src->port);
  }
  if (n < 0 || (size_t)n >= cap) {
    fprintf(stderr, "flood: message %llu does not fit in %zu bytes\n", k, cap);
    exit(2);
  }
  return n;
}

static unsigned long long g_answers = 0;
static unsigned long long g_codes[700];

/* Read and count whatever the target answered on every socket, without blocking. */
static void drain(struct source *srcs, int nsrc) {
  static char rbuf[MAX_BATCH][128];
  static struct mmsghdr rmsgs[MAX_BATCH];
  static struct iovec riov[MAX_BATCH];
  const unsigned vlen = 64;
  for (unsigned i = 0; i < vlen; ++i) {
    riov[i].iov_base = rbuf[i];
    riov[i].iov_len = sizeof rbuf[i] - 1; /* the status line is all we look at */
    memset(&rmsgs[i].msg_hdr, 0, sizeof rmsgs[i].msg_hdr);
    rmsgs[i].msg_hdr.msg_iov = &riov[i];
    rmsgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (int s = 0; s < nsrc; ++s) {
    for (int round = 0; round < 64; ++round) { /* bounded: at most 4096 datagrams per socket */
      int got = recvmmsg(srcs[s].fd, rmsgs, vlen, MSG_DONTWAIT, NULL);
      if (got <= 0) break;
      for (int i = 0; i < got; ++i) {
        ++g_answers;
        unsigned len = rmsgs[i].msg_len < sizeof rbuf[i] - 1 ? rmsgs[i].msg_len : (unsigned)sizeof rbuf[i] - 1;
        rbuf[i][len] = '\0';
        int code = 0;
        if (sscanf(rbuf[i], "SIP/2.0 %d", &code) == 1 && code >= 100 && code < 700) ++g_codes[code];
      }
      if ((unsigned)got < vlen) break;
    }
  }
}

int main(int argc, char **argv) {
  const char *target_arg = NULL, *sources_arg = NULL, *mix_arg = "1:1", *domain = "resproxy.local";
  long rate = 0, duration = 0, batch = 8;
  long long max_messages = -1;
  int quiet = 0, opt;
  while ((opt = getopt(argc, argv, "t:r:d:s:m:b:n:D:qh")) != -1) {
    switch (opt) {
      case 't': target_arg = optarg; break;
      case 'r': rate = parse_long(optarg, 1, 2000000, "-r rate"); break;
      case 'd': duration = parse_long(optarg, 1, 3600, "-d seconds"); break;
      case 's': sources_arg = optarg; break;
      case 'm': mix_arg = optarg; break;
      case 'b': batch = parse_long(optarg, 1, MAX_BATCH, "-b batch"); break;
      case 'n': max_messages = parse_long(optarg, 1, 2000000L * 3600L, "-n max messages"); break;
      case 'D': domain = optarg; break;
      case 'q': quiet = 1; break;
      default: usage(argv[0]);
    }
  }
  if (!target_arg || !sources_arg || rate == 0 || duration == 0 || optind != argc) usage(argv[0]);
  if (strlen(domain) > 200 || strpbrk(domain, " \r\n\t<>;")) {
    fprintf(stderr, "flood: bad domain \"%s\"\n", domain);
    return 2;
  }

  /* target */
  char thost[64];
  const char *colon = strrchr(target_arg, ':');
  if (!colon || (size_t)(colon - target_arg) >= sizeof thost) usage(argv[0]);
  memcpy(thost, target_arg, (size_t)(colon - target_arg));
  thost[colon - target_arg] = '\0';
  struct sockaddr_in target = {.sin_family = AF_INET};
  target.sin_port = htons((uint16_t)parse_long(colon + 1, 1, 65535, "target port"));
  if (inet_pton(AF_INET, thost, &target.sin_addr) != 1 || !is_loopback(target.sin_addr)) {
    fprintf(stderr, "flood: target \"%s\" must be an IPv4 loopback address (127.0.0.0/8)\n", thost);
    return 2;
  }

  /* sources */
  char first_s[64], last_s[64];
  const char *dots = strstr(sources_arg, "..");
  if (dots) {
    if ((size_t)(dots - sources_arg) >= sizeof first_s || strlen(dots + 2) >= sizeof last_s) usage(argv[0]);
    memcpy(first_s, sources_arg, (size_t)(dots - sources_arg));
    first_s[dots - sources_arg] = '\0';
    strcpy(last_s, dots + 2);
  } else {
    if (strlen(sources_arg) >= sizeof first_s) usage(argv[0]);
    strcpy(first_s, sources_arg);
    strcpy(last_s, sources_arg);
  }
  struct in_addr a_first, a_last;
  if (inet_pton(AF_INET, first_s, &a_first) != 1 || inet_pton(AF_INET, last_s, &a_last) != 1 ||
      !is_loopback(a_first) || !is_loopback(a_last) || ntohl(a_last.s_addr) < ntohl(a_first.s_addr)) {
    fprintf(stderr, "flood: sources \"%s\" must be FIRST..LAST, IPv4 loopback, FIRST <= LAST\n", sources_arg);
    return 2;
  }
  unsigned long span = (unsigned long)ntohl(a_last.s_addr) - ntohl(a_first.s_addr) + 1;
  if (span > MAX_SOURCES) {
    fprintf(stderr, "flood: %lu sources; at most %d\n", span, MAX_SOURCES);
    return 2;
  }
  int nsrc = (int)span;

  /* mix */
  unsigned mix_inv = 1, mix_reg = 1;
  if (sscanf(mix_arg, "%u:%u", &mix_inv, &mix_reg) != 2 || mix_inv + mix_reg == 0 || mix_inv > 1000 ||
      mix_reg > 1000) {
    fprintf(stderr, "flood: -m \"%s\" must be INVITE:REGISTER, e.g. 1:1, 1:0, 3:1\n", mix_arg);
    return 2;
  }

  long long cap = (long long)rate * duration;
  if (max_messages < 0 || max_messages > cap) max_messages = cap;

  static struct source srcs[MAX_SOURCES];
  for (int i = 0; i < nsrc; ++i) {
    struct sockaddr_in local = {.sin_family = AF_INET};
    local.sin_addr.s_addr = htonl(ntohl(a_first.s_addr) + (uint32_t)i);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int small = 4096; /* the kernel keeps what we do not read within this, drops the rest */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) < 0) die("setsockopt SO_RCVBUF");
    int big = 1 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big) < 0) die("setsockopt SO_SNDBUF");
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
      char ip[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &local.sin_addr, ip, sizeof ip);
      fprintf(stderr, "flood: bind %s: %s\n", ip, strerror(errno));
      return 2;
    }
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0) die("connect");
    struct sockaddr_in bound;
    socklen_t bl = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &bl) < 0) die("getsockname");
    srcs[i].fd = fd;
    srcs[i].port = ntohs(bound.sin_port);
    inet_ntop(AF_INET, &bound.sin_addr, srcs[i].ip, sizeof srcs[i].ip);
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  static char bufs[MAX_BATCH][MSG_CAP];
  static struct iovec iov[MAX_BATCH];
  static struct mmsghdr msgs[MAX_BATCH];

  const unsigned run_id = (unsigned)getpid() ^ (unsigned)time(NULL);
  unsigned long long sent = 0, errors = 0, eagain = 0, refused = 0, other = 0, attempted = 0;
  const long long per_tick_cap = rate / 10 > batch ? rate / 10 : batch; /* at most 100 ms worth */
  const double t0 = now_s();
  const double t_end = t0 + (double)duration;
  double next_drain = t0 + 0.05, next_report = t0 + 1.0;
  unsigned long long last_report_sent = 0;
  struct timespec tick;
  clock_gettime(CLOCK_MONOTONIC, &tick);

  /* Bounded: ends at t_end, at max_messages, or on a signal. */
  while (!g_stop && (long long)attempted < max_messages) {
    double t = now_s();
    if (t >= t_end) break;
    long long due = (long long)((t - t0) * (double)rate);
    if (due > max_messages) due = max_messages;
    long long todo = due - (long long)attempted;
    if (todo > per_tick_cap) todo = per_tick_cap;
    while (todo > 0) {
      /* one run of consecutive messages for the same source */
      unsigned long long k = attempted;
      int s = (int)((k / (unsigned long long)batch) % (unsigned long long)nsrc);
      long long in_run = batch - (long long)(k % (unsigned long long)batch);
      if (in_run > todo) in_run = todo;
      for (long long j = 0; j < in_run; ++j) {
        unsigned long long m = k + (unsigned long long)j;
        int invite = (m % (mix_inv + mix_reg)) < mix_inv;
        int len = build_message(bufs[j], MSG_CAP, invite, m, &srcs[s], domain, run_id);
        iov[j].iov_base = bufs[j];
        iov[j].iov_len = (size_t)len;
        memset(&msgs[j].msg_hdr, 0, sizeof msgs[j].msg_hdr);
        msgs[j].msg_hdr.msg_iov = &iov[j];
        msgs[j].msg_hdr.msg_iovlen = 1;
      }
      long long off = 0;
      while (off < in_run) { /* each pass sends or fails at least one message */
        int r = sendmmsg(srcs[s].fd, msgs + off, (unsigned)(in_run - off), MSG_DONTWAIT);
        if (r > 0) {
          sent += (unsigned long long)r;
          off += r;
        } else {
          ++errors;
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ++eagain;
          else if (errno == ECONNREFUSED) ++refused;
          else ++other;
          off += 1; /* a flooder drops what it cannot send */
        }
      }
      attempted += (unsigned long long)in_run;
      todo -= in_run;
    }
    t = now_s();
    if (t >= next_drain) {
      drain(srcs, nsrc);
      next_drain = t + 0.05;
    }
    if (!quiet && t >= next_report) {
      fprintf(stderr, "flood: t=%.0fs sent=%llu (%llu/s) errors=%llu answers=%llu\n", t - t0, sent,
              sent - last_report_sent, errors, g_answers);
      last_report_sent = sent;
      next_report += 1.0;
    }
    /* sleep to the next 1 ms tick (absolute, so the pacing does not drift) */
    tick.tv_nsec += 1000000L;
    if (tick.tv_nsec >= 1000000000L) {
      tick.tv_nsec -= 1000000000L;
      tick.tv_sec += 1;
    }
    struct timespec cur;
    clock_gettime(CLOCK_MONOTONIC, &cur);
    if (cur.tv_sec > tick.tv_sec || (cur.tv_sec == tick.tv_sec && cur.tv_nsec > tick.tv_nsec)) {
      tick = cur; /* behind: do not try to make up for missed ticks by sleeping less later */
    } else {
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
    }
  }
  const double elapsed = now_s() - t0;
  drain(srcs, nsrc);

  printf("FLOOD target=%s sources=%d first=%s last=%s mix=%u:%u batch=%ld asked_rate=%ld duration_s=%ld "
         "max_messages=%lld attempted=%llu sent=%llu send_errors=%llu eagain=%llu refused=%llu other_errors=%llu "
         "elapsed_s=%.3f achieved_rate=%.1f stopped_early=%d answers=%llu answer_codes=",
         target_arg, nsrc, srcs[0].ip, srcs[nsrc - 1].ip, mix_inv, mix_reg, batch, rate, duration, max_messages,
         attempted, sent, errors, eagain, refused, other, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0,
         g_stop ? 1 : 0, g_answers);
  int any = 0;
  for (int c = 100; c < 700; ++c) {
    if (g_codes[c]) {
      printf("%s%d:%llu", any ? "," : "", c, g_codes[c]);
      any = 1;
    }
  }
  printf("%s\n", any ? "" : "none");
  for (int i = 0; i < nsrc; ++i) close(srcs[i].fd);
  return 0;
}
