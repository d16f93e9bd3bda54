/* Copied from the workplace's media bench kit (shared/bench/media/sink.c); changed here: per-stream counts (streams_expected/streams_zero/streams_min) and an on-time count (ontime_us_le) in the result line. */
/* sink.c - counting UDP sink for media-relay benchmarks (pairs with loadgen.c).
 *
 * Binds K receive sockets, optionally "latches" a relay by sending a few small
 * RTP packets from them to each relay output port (symmetric RTP: the relay
 * learns where to send from the source of the first packet it receives there),
 * then counts loadgen packets and measures one-way delay from the send
 * timestamp in the payload.
 *
 *   -l IP:PORT     bind address; socket j binds PORT + 2*j   (default 127.0.0.1:0)
 *   -k K           number of receive sockets (default 1)
 *   -L HOST:PORT -n N [-S STEP]   latch targets HOST:(PORT + i*STEP), i < N (STEP default 2)
 *   -f FILE        latch targets, one HOST:PORT per line (overrides -L)
 *                  target i is latched from socket i % K
 *   -c COUNT       latch packets per target (default 3, sent in rounds 20 ms apart)
 *   -D IP:PORT     extra "decoy" socket: counted separately (e.g. the address put in
 *                  SDP while the real sink latches from another port, to check latching)
 *   -i RUNID       only count packets carrying this run id (others counted as stale)
 *   -T MS          exit after MS ms without data once data has been seen (default 700)
 *   -d SECONDS     hard stop (default 120)
 *   -O USEC        "on time" bound for the ontime= count (default 100000 = 100 ms)
 *
 * Delay: "kdelay" = kernel receive timestamp (SO_TIMESTAMPNS, taken when the
 * relay's send reaches the sink socket on loopback) minus the send timestamp;
 * "udelay" = user-space time after recvmmsg returns minus the send timestamp.
 * Prints "ready" after latching and one "sink ..." result line at exit.
 * Per stream (with latch targets: streams_expected = number of targets):
 * streams_zero = expected streams that delivered no packet, streams_min = the
 * fewest packets any expected stream delivered; ontime = packets whose kdelay
 * was <= the -O bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define B 64
#define HMAX 2000000 /* histogram: 1 us buckets up to 2 s */

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static int parse_hostport(const char *s, struct sockaddr_in *sa) {
    char host[256];
    const char *c = strrchr(s, ':');
    if (!c || (size_t)(c - s) >= sizeof(host)) return -1;
    memcpy(host, s, c - s);
    host[c - s] = 0;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(atoi(c + 1));
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct hist { uint32_t *b; uint64_t n, over; uint64_t max_ns; double sum_us; };

static void hadd(struct hist *h, int64_t d_ns) {
    if (d_ns < 0) d_ns = 0;
    uint64_t us = d_ns / 1000;
    h->n++;
    h->sum_us += d_ns / 1000.0;
    if ((uint64_t)d_ns > h->max_ns) h->max_ns = d_ns;
    if (us >= HMAX) h->over++; else h->b[us]++;
}

static double hpct(struct hist *h, double p) {
    if (!h->n) return -1;
    uint64_t want = (uint64_t)(p * h->n);
    if (want >= h->n) want = h->n - 1;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < HMAX; i++) {
        acc += h->b[i];
        if (acc > want) return (double)i;
    }
    return h->max_ns / 1000.0;
}

static void usage(void) {
    fprintf(stderr, "usage: sink [-l IP:PORT] [-k K] [-L HOST:PORT -n N [-S STEP] | -f FILE] [-c COUNT] "
                    "[-D IP:PORT] [-i RUNID] [-T MS] [-d SEC] [-O USEC]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *local = "127.0.0.1:0", *latch = NULL, *lfile = NULL, *decoy = NULL;
    int k = 1, n = 0, step = 2, lcount = 3, idle_ms = 700, opt, have_runid = 0;
    int64_t ontime_us = 100000;
    double maxsec = 120;
    uint32_t runid = 0;
    while ((opt = getopt(argc, argv, "l:k:L:n:S:f:c:D:i:T:d:O:")) != -1) {
        switch (opt) {
        case 'l': local = optarg; break;
        case 'k': k = atoi(optarg); break;
        case 'L': latch = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 'S': step = atoi(optarg); break;
        case 'f': lfile = optarg; break;
        case 'c': lcount = atoi(optarg); break;
        case 'D': decoy = optarg; break;
        case 'i': runid = strtoul(optarg, NULL, 0); have_runid = 1; break;
        case 'T': idle_ms = atoi(optarg); break;
        case 'd': maxsec = atof(optarg); break;
        case 'O': ontime_us = atoll(optarg); break;
        default: usage();
        }
    }
    if (k < 1) usage();

    struct sockaddr_in *lt = NULL;
    int nl = 0;
    if (lfile) {
        FILE *f = fopen(lfile, "r");
        if (!f) { perror(lfile); return 1; }
        char line[512];
        int cap = 0;
        while (fgets(line, sizeof(line), f)) {
            char *p = line;
            while (*p == ' ' || *p == '\t') p++;
            if (*p == '#' || *p == '\n' || !*p) continue;
            p[strcspn(p, " \t\r\n")] = 0;
            if (nl == cap) { cap = cap ? cap * 2 : 256; lt = realloc(lt, cap * sizeof(*lt)); }
            if (parse_hostport(p, &lt[nl])) { fprintf(stderr, "bad latch target '%s'\n", p); return 1; }
            nl++;
        }
        fclose(f);
    } else if (latch && n > 0) {
        struct sockaddr_in base;
        if (parse_hostport(latch, &base)) { fprintf(stderr, "bad latch target\n"); return 1; }
        lt = calloc(n, sizeof(*lt));
        for (int i = 0; i < n; i++) {
            lt[i] = base;
            lt[i].sin_port = htons(ntohs(base.sin_port) + i * step);
        }
        nl = n;
    }

    struct sockaddr_in lsa;
    if (parse_hostport(local, &lsa)) { fprintf(stderr, "bad local '%s'\n", local); return 1; }
    int lport = ntohs(lsa.sin_port);
    int nsock = k + (decoy ? 1 : 0);
    int *socks = calloc(nsock, sizeof(int));
    int epfd = epoll_create1(0);
    for (int j = 0; j < nsock; j++) {
        struct sockaddr_in b = lsa;
        if (j < k) b.sin_port = htons(lport ? lport + 2 * j : 0);
        else if (parse_hostport(decoy, &b)) { fprintf(stderr, "bad decoy\n"); return 1; }
        socks[j] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int rb = 4 << 20, on = 1;
        setsockopt(socks[j], SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
        setsockopt(socks[j], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
        if (bind(socks[j], (struct sockaddr *)&b, sizeof(b)) < 0) {
            fprintf(stderr, "bind %s: %s\n", j < k ? local : decoy, strerror(errno));
            return 1;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = j };
        epoll_ctl(epfd, EPOLL_CTL_ADD, socks[j], &ev);
    }

    /* latch: small RTP packets (magic 'LTCH') from socket i%k to target i, a few rounds */
    for (int r = 0; r < lcount && nl; r++) {
        unsigned char p[172];
        memset(p, 0xFF, sizeof(p));
        for (int i = 0; i < nl; i++) {
            p[0] = 0x80; p[1] = 0;
            uint16_t seq = htons(r);
            uint32_t ssrc = htonl(0x4C000000u + i), magic = htonl(0x4C54434Bu);
            memcpy(p + 2, &seq, 2);
            memset(p + 4, 0, 4);
            memcpy(p + 8, &ssrc, 4);
            memcpy(p + 12, &magic, 4);
            if (sendto(socks[i % k], p, sizeof(p), 0, (struct sockaddr *)&lt[i], sizeof(lt[i])) < 0)
                perror("latch sendto");
            if ((i & 63) == 63) usleep(200); /* do not overrun the relay with latch packets */
        }
        usleep(20000);
    }

    struct sigaction sa = { .sa_handler = on_sig };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct hist hk = { calloc(HMAX, 4), 0, 0, 0, 0 }, hu = { calloc(HMAX, 4), 0, 0, 0, 0 };
    static unsigned char bufs[B][2048];
    static char ctl[B][128];
    static struct iovec iov[B];
    static struct mmsghdr msg[B];
    uint64_t ontime = 0;
    uint64_t recv = 0, stale = 0, other = 0, decoyc = 0, latchback = 0, reorder = 0, bytes = 0;
    int maxidx = 0;
    size_t cap = 1024;
    uint64_t *next = calloc(cap, sizeof(uint64_t)); /* expected next counter per stream */
    uint8_t *seen = calloc(cap, 1);
    uint32_t *cnt = calloc(cap, sizeof(uint32_t)); /* packets per stream */
    uint64_t first_ns = 0, last_ns = 0;

    printf("ready sockets=%d latched=%d\n", k, nl);
    fflush(stdout);

    uint64_t start = now_ns(CLOCK_MONOTONIC);
    struct epoll_event evs[256];
    while (!stop) {
        uint64_t tnow = now_ns(CLOCK_MONOTONIC);
        if (tnow - start > (uint64_t)(maxsec * 1e9)) break;
        if (last_ns && tnow - last_ns > (uint64_t)idle_ms * 1000000ull) break;
        int ne = epoll_wait(epfd, evs, 256, 50);
        if (ne < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int e = 0; e < ne; e++) {
            int j = evs[e].data.u32;
            for (int q = 0; q < B; q++) {
                iov[q].iov_base = bufs[q];
                iov[q].iov_len = sizeof(bufs[q]);
                memset(&msg[q].msg_hdr, 0, sizeof(msg[q].msg_hdr));
                msg[q].msg_hdr.msg_iov = &iov[q];
                msg[q].msg_hdr.msg_iovlen = 1;
                msg[q].msg_hdr.msg_control = ctl[q];
                msg[q].msg_hdr.msg_controllen = sizeof(ctl[q]);
            }
            int r = recvmmsg(socks[j], msg, B, MSG_DONTWAIT, NULL);
            if (r <= 0) continue;
            uint64_t uwall = now_ns(CLOCK_REALTIME), mono = now_ns(CLOCK_MONOTONIC);
            for (int q = 0; q < r; q++) {
                unsigned char *p = bufs[q];
                unsigned len = msg[q].msg_len;
                uint32_t magic = 0;
                if (len >= 16) { memcpy(&magic, p + 12, 4); magic = ntohl(magic); }
                if (magic == 0x4C54434Bu) { latchback++; continue; }
                if (len < 40 || magic != 0x524C5942u) { other++; continue; }
                uint32_t idx, rid;
                uint64_t w, c;
                memcpy(&idx, p + 16, 4); idx = ntohl(idx);
                memcpy(&w, p + 20, 8); w = be64toh(w);
                memcpy(&c, p + 28, 8); c = be64toh(c);
                memcpy(&rid, p + 36, 4); rid = ntohl(rid);
                if (have_runid && rid != runid) { stale++; continue; }
                if (j >= k) { decoyc++; continue; }
                recv++;
                bytes += len;
                if (!first_ns) first_ns = mono;
                last_ns = mono;
                if (idx >= cap) {
                    size_t nc = cap;
                    while (nc <= idx) nc *= 2;
                    next = realloc(next, nc * sizeof(uint64_t));
                    seen = realloc(seen, nc);
                    cnt = realloc(cnt, nc * sizeof(uint32_t));
                    memset(cnt + cap, 0, (nc - cap) * sizeof(uint32_t));
                    memset(next + cap, 0, (nc - cap) * sizeof(uint64_t));
                    memset(seen + cap, 0, nc - cap);
                    cap = nc;
                }
                if ((int)idx > maxidx) maxidx = idx;
                if (seen[idx] && c < next[idx]) reorder++;
                else next[idx] = c + 1;
                seen[idx] = 1;
                cnt[idx]++;
                uint64_t kts = 0;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg[q].msg_hdr); cm; cm = CMSG_NXTHDR(&msg[q].msg_hdr, cm)) {
                    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec ts;
                        memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
                        kts = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
                    }
                }
                if (kts) {
                    hadd(&hk, (int64_t)(kts - w));
                    if ((int64_t)(kts - w) <= ontime_us * 1000) ontime++;
                }
                hadd(&hu, (int64_t)(uwall - w));
            }
        }
    }
    uint64_t streams = 0;
    for (size_t i = 0; i < cap; i++) streams += seen[i];
    uint64_t szero = 0, smin = 0;
    for (int i = 0; i < nl; i++) {
        uint32_t c = (size_t)i < cap ? cnt[i] : 0;
        if (!c) szero++;
        if (i == 0 || c < smin) smin = c;
    }
    double span = first_ns && last_ns > first_ns ? (last_ns - first_ns) / 1e9 : 0;
    printf("sink recv=%llu streams=%llu stale=%llu other=%llu decoy=%llu latchback=%llu reorder=%llu span=%.3f "
           "kdelay_us_p50=%.0f kdelay_us_p90=%.0f kdelay_us_p99=%.0f kdelay_us_p999=%.0f kdelay_us_max=%.0f kdelay_us_mean=%.1f "
           "udelay_us_p50=%.0f udelay_us_p99=%.0f udelay_us_max=%.0f "
           "streams_expected=%d streams_zero=%llu streams_min=%llu ontime=%llu ontime_us_le=%lld\n",
           (unsigned long long)recv, (unsigned long long)streams, (unsigned long long)stale,
           (unsigned long long)other, (unsigned long long)decoyc, (unsigned long long)latchback,
           (unsigned long long)reorder, span,
           hpct(&hk, 0.5), hpct(&hk, 0.9), hpct(&hk, 0.99), hpct(&hk, 0.999), hk.max_ns / 1000.0,
           hk.n ? hk.sum_us / hk.n : -1,
           hpct(&hu, 0.5), hpct(&hu, 0.99), hu.max_ns / 1000.0,
           nl, (unsigned long long)szero, (unsigned long long)smin, (unsigned long long)ontime, (long long)ontime_us);
    (void)bytes;
    return 0;
}
