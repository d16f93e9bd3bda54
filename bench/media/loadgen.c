/* Copied from the workplace's media bench kit (shared/bench/media/loadgen.c). */
/* loadgen.c - RTP-shaped UDP load generator for media-relay benchmarks.
 *
 * Sends fixed-size RTP packets (default 172 bytes = 12-byte RTP header +
 * 160-byte G.711 20 ms payload) round-robin over N streams, each stream to
 * its own destination (a relay port), paced to a total packet rate.
 *
 * Payload layout after the RTP header (all network byte order):
 *   [0..3]   magic 'RLYB'
 *   [4..7]   stream index
 *   [8..15]  send time, CLOCK_REALTIME, ns (taken just before the send call)
 *   [16..23] per-stream packet counter (0,1,2,...)
 *   [24..27] run id (-i), so a sink can ignore stale packets of other runs
 *   rest     0xFF (PCMU silence)
 *
 * Targets:
 *   -t HOST:PORT -n N [-S STEP]   stream i -> HOST:(PORT + i*STEP)  (STEP default 2)
 *   -f FILE                       one HOST:PORT per line, stream i = line i
 * Sources:
 *   -l IP[:PORT]   bind address; with a port, socket j binds PORT + 2*j (default 127.0.0.1, ephemeral)
 *   -k K           number of source sockets; stream i uses socket i % K (default 1)
 * Load:
 *   -r PPS         total packets per second over all streams (0 = as fast as possible)
 *   -d SECONDS     duration (default 5)
 *   -b BATCH       max packets per sendmmsg call (1 = one sendto per packet; default 64)
 *   -s SIZE        packet size in bytes (default 172, minimum 40)
 *   -P PT          RTP payload type (default 0 = PCMU)
 *   -i RUNID       run id written into every packet (default 0)
 *   -q USEC        pacing quantum: sleep at least this long between bursts (default 500);
 *                  packets due meanwhile go out back to back (one sendmmsg per socket group)
 *
 * Prints one line: "loadgen streams=.. sockets=.. target_pps=.. sent=.. errors=.. seconds=.. pps=.."
 * Only sends to the destinations given; use loopback addresses for tests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXB 1024

struct stream {
    struct sockaddr_in dst;
    uint16_t seq;
    uint32_t ts;
    uint64_t count;
    int sock;
};

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

static void usage(void) {
    fprintf(stderr, "usage: loadgen (-t HOST:PORT -n N [-S STEP] | -f FILE) [-l IP[:PORT]] [-k K] [-r PPS] "
                    "[-d SEC] [-b BATCH] [-s SIZE] [-P PT] [-i RUNID] [-q USEC]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *target = NULL, *tfile = NULL, *local = "127.0.0.1";
    int n = 0, step = 2, k = 1, batch = 64, size = 172, pt = 0, opt;
    double rate = 0, dur = 5;
    uint32_t runid = 0;
    double quantum_us = 500;
    while ((opt = getopt(argc, argv, "t:n:S:f:l:k:r:d:b:s:P:i:q:")) != -1) {
        switch (opt) {
        case 't': target = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 'S': step = atoi(optarg); break;
        case 'f': tfile = optarg; break;
        case 'l': local = optarg; break;
        case 'k': k = atoi(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'd': dur = atof(optarg); break;
        case 'b': batch = atoi(optarg); break;
        case 's': size = atoi(optarg); break;
        case 'P': pt = atoi(optarg); break;
        case 'i': runid = strtoul(optarg, NULL, 0); break;
        case 'q': quantum_us = atof(optarg); break;
        default: usage();
        }
    }
    if (batch < 1 || batch > MAXB || size < 40 || size > 1500 || k < 1) usage();

    struct stream *st = NULL;
    if (tfile) {
        FILE *f = fopen(tfile, "r");
        if (!f) { perror(tfile); return 1; }
        char line[512];
        int cap = 0;
        n = 0;
        while (fgets(line, sizeof(line), f)) {
            char *p = line;
            while (*p == ' ' || *p == '\t') p++;
            if (*p == '#' || *p == '\n' || !*p) continue;
            p[strcspn(p, " \t\r\n")] = 0;
            if (n == cap) { cap = cap ? cap * 2 : 256; st = realloc(st, cap * sizeof(*st)); }
            memset(&st[n], 0, sizeof(*st));
            if (parse_hostport(p, &st[n].dst)) { fprintf(stderr, "bad target '%s'\n", p); return 1; }
            n++;
        }
        fclose(f);
    } else if (target && n > 0) {
        struct sockaddr_in base;
        if (parse_hostport(target, &base)) { fprintf(stderr, "bad target '%s'\n", target); return 1; }
        st = calloc(n, sizeof(*st));
        for (int i = 0; i < n; i++) {
            st[i].dst = base;
            st[i].dst.sin_port = htons(ntohs(base.sin_port) + i * step);
        }
    } else usage();
    if (n <= 0) { fprintf(stderr, "no streams\n"); return 1; }
    if (k > n) k = n;

    /* source sockets */
    struct sockaddr_in lsa;
    int lport = 0;
    {
        char tmp[300];
        snprintf(tmp, sizeof(tmp), "%s%s", local, strchr(local, ':') ? "" : ":0");
        if (parse_hostport(tmp, &lsa)) { fprintf(stderr, "bad local '%s'\n", local); return 1; }
        lport = ntohs(lsa.sin_port);
    }
    int *socks = calloc(k, sizeof(int));
    for (int j = 0; j < k; j++) {
        socks[j] = socket(AF_INET, SOCK_DGRAM, 0);
        if (socks[j] < 0) { perror("socket"); return 1; }
        int sb = 4 << 20;
        setsockopt(socks[j], SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
        struct sockaddr_in b = lsa;
        b.sin_port = htons(lport ? lport + 2 * j : 0);
        if (bind(socks[j], (struct sockaddr *)&b, sizeof(b)) < 0) { perror("bind"); return 1; }
    }

    /* stream order grouped by socket, so consecutive streams can share one sendmmsg */
    int *ord = malloc(n * sizeof(int));
    {
        int o = 0;
        for (int j = 0; j < k; j++)
            for (int i = j; i < n; i += k) ord[o++] = i;
    }
    for (int i = 0; i < n; i++) {
        st[i].sock = i % k;
        st[i].seq = (uint16_t)(i * 7919);
        st[i].ts = (uint32_t)i * 104729u;
    }

    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    static unsigned char bufs[MAXB][1500];
    static struct iovec iov[MAXB];
    static struct mmsghdr msg[MAXB];
    for (int b = 0; b < MAXB; b++) {
        memset(bufs[b], 0xFF, sizeof(bufs[b]));
        iov[b].iov_base = bufs[b];
        iov[b].iov_len = size;
    }

    uint64_t sent = 0, errors = 0, calls = 0;
    int cur = 0; /* position in ord[] */
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    uint64_t tend = t0 + (uint64_t)(dur * 1e9);
    for (;;) {
        uint64_t t = now_ns(CLOCK_MONOTONIC);
        if (t >= tend) break;
        uint64_t due;
        if (rate > 0) {
            due = (uint64_t)((double)(t - t0) * rate / 1e9) + 1;
            if (due <= sent + errors) {
                uint64_t next = t0 + (uint64_t)((double)(sent + errors) * 1e9 / rate);
                if (next < t + (uint64_t)(quantum_us * 1000)) next = t + (uint64_t)(quantum_us * 1000);
                if (next > tend) next = tend;
                struct timespec ts = { next / 1000000000ull, next % 1000000000ull };
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                continue;
            }
        } else {
            due = sent + errors + batch;
        }
        uint64_t want = due - sent - errors;
        /* build one batch of consecutive streams that share a socket */
        int nb = 0, sock = st[ord[cur]].sock;
        uint64_t wall = now_ns(CLOCK_REALTIME);
        while (nb < batch && (uint64_t)nb < want) {
            struct stream *s = &st[ord[cur]];
            if (s->sock != sock) break;
            unsigned char *p = bufs[nb];
            p[0] = 0x80;
            p[1] = pt & 0x7f;
            uint16_t seq = htons(s->seq);
            uint32_t ts32 = htonl(s->ts), ssrc = htonl(0x52000000u + (uint32_t)ord[cur]);
            memcpy(p + 2, &seq, 2);
            memcpy(p + 4, &ts32, 4);
            memcpy(p + 8, &ssrc, 4);
            uint32_t magic = htonl(0x524C5942u), idx = htonl((uint32_t)ord[cur]), rid = htonl(runid);
            uint64_t w = htobe64(wall), c = htobe64(s->count);
            memcpy(p + 12, &magic, 4);
            memcpy(p + 16, &idx, 4);
            memcpy(p + 20, &w, 8);
            memcpy(p + 28, &c, 8);
            memcpy(p + 36, &rid, 4);
            memset(&msg[nb].msg_hdr, 0, sizeof(msg[nb].msg_hdr));
            msg[nb].msg_hdr.msg_name = &s->dst;
            msg[nb].msg_hdr.msg_namelen = sizeof(s->dst);
            msg[nb].msg_hdr.msg_iov = &iov[nb];
            msg[nb].msg_hdr.msg_iovlen = 1;
            s->seq++;
            s->ts += 160;
            s->count++;
            nb++;
            cur = (cur + 1) % n;
        }
        if (batch == 1) {
            calls++;
            if (sendto(socks[sock], bufs[0], size, 0, msg[0].msg_hdr.msg_name, sizeof(struct sockaddr_in)) < 0)
                errors++;
            else
                sent++;
        } else {
            int off = 0;
            while (off < nb) {
                calls++;
                int r = sendmmsg(socks[sock], msg + off, nb - off, 0);
                if (r < 0) { errors++; off++; continue; } /* failed send: counted in errors, not in sent */
                off += r;
                sent += r;
            }
        }
    }
    double secs = (now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
    printf("loadgen streams=%d sockets=%d target_pps=%.0f sent=%llu errors=%llu calls=%llu seconds=%.3f pps=%.0f\n",
           n, k, rate, (unsigned long long)sent, (unsigned long long)errors, (unsigned long long)calls, secs,
           sent / secs);
    return 0;
}
