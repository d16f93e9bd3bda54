/* minrelay.c - minimal UDP port-pair relay: the CPU-per-packet baseline for compare.sh.
 *
 * N port pairs on one address: pair i is socket A = BASE+2i and socket B = BASE+2i+1
 * (the kit's "ports" convention: stream i is sent to BASE+2i, the sink latches BASE+2i+1).
 * One thread, level-triggered epoll. Symmetric latching per socket: each socket takes
 * its peer from the source of the first packet it receives and keeps it. A packet that
 * arrives on one side of a pair is sent from the other side's socket to that side's
 * latched peer; it is dropped while the other side has not latched yet.
 *
 *   minrelay -p BASE -n N [-a 127.0.0.1] [-m batch|single] [-B 64] [-r RCVBUF] [-t TOS]
 *
 *   -m batch   per ready socket: one recvmmsg (up to -B packets), then one sendmmsg
 *   -m single  per ready socket: up to -B x (recvfrom, sendto)
 *   -r BYTES   SO_RCVBUF of every socket (default: the system default)
 *   -t TOS     IP_TOS of every socket, e.g. 184 (DSCP EF, as resproxy-media marks RTP): what
 *              the kernel charges for the marking, apart from the relay (default: none)
 *
 * Runs until SIGINT/SIGTERM, then prints one line on stderr:
 *   "minrelay recv=.. sent=.. dropped_unlatched=.. send_errors=.. recv_calls=.. wakeups=.."
 * Prints "minrelay ready ..." on stderr once all sockets are bound. Loopback use only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXB 256
#define PKT 2048

struct side {
    int fd;
    int latched;
    struct sockaddr_in peer;
};

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void usage(void) {
    fprintf(stderr, "usage: minrelay -p BASE -n N [-a ADDR] [-m batch|single] [-B BATCH] [-r RCVBUF] [-t TOS]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1";
    int base = 0, n = 0, batch = 64, single = 0, rcvbuf = 0, tos = -1, opt;
    while ((opt = getopt(argc, argv, "p:n:a:m:B:r:t:")) != -1) {
        switch (opt) {
        case 'p': base = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'm':
            if (!strcmp(optarg, "single")) single = 1;
            else if (strcmp(optarg, "batch")) usage();
            break;
        case 'B': batch = atoi(optarg); break;
        case 'r': rcvbuf = atoi(optarg); break;
        case 't': tos = atoi(optarg); break;
        default: usage();
        }
    }
    if (base <= 0 || n <= 0 || base + 2 * n - 1 > 65535 || batch < 1 || batch > MAXB || tos > 255) usage();

    /* 2N sockets + epoll: raise the descriptor limit to the hard limit if needed */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(2 * n + 16)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) { fprintf(stderr, "bad address '%s'\n", addr); return 2; }

    int ep = epoll_create1(0);
    if (ep < 0) { perror("epoll_create1"); return 1; }
    struct side *sd = calloc(2 * n, sizeof(*sd));
    if (!sd) { perror("calloc"); return 1; }
    for (int i = 0; i < 2 * n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (fd < 0) { perror("socket"); return 1; }
        if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (tos >= 0 && setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0) { perror("IP_TOS"); return 1; }
        sa.sin_port = htons(base + i);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            fprintf(stderr, "bind %s:%d: %s\n", addr, base + i, strerror(errno));
            return 1;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll_ctl"); return 1; }
        sd[i].fd = fd;
    }

    struct sigaction sig = { .sa_handler = on_sig };
    sigaction(SIGINT, &sig, NULL);
    sigaction(SIGTERM, &sig, NULL);
    fprintf(stderr, "minrelay ready pairs=%d ports=%d-%d mode=%s batch=%d tos=%d\n", n, base, base + 2 * n - 1,
            single ? "single" : "batch", batch, tos);

    static unsigned char bufs[MAXB][PKT];
    static struct iovec iov[MAXB];
    static struct mmsghdr in[MAXB], out[MAXB];
    static struct sockaddr_in src[MAXB];
    uint64_t nrecv = 0, nsent = 0, dropped = 0, serr = 0, rcalls = 0, wakeups = 0;
    struct epoll_event evs[256];

    while (!stop) {
        int ne = epoll_wait(ep, evs, 256, 200);
        if (ne < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        wakeups++;
        for (int e = 0; e < ne; e++) {
            int i = (int)evs[e].data.u32;
            struct side *me = &sd[i], *other = &sd[i ^ 1]; /* A = even, B = odd */
            if (single) {
                for (int q = 0; q < batch; q++) {
                    socklen_t sl = sizeof(src[0]);
                    ssize_t len = recvfrom(me->fd, bufs[0], PKT, MSG_DONTWAIT, (struct sockaddr *)&src[0], &sl);
                    rcalls++;
                    if (len < 0) break;
                    nrecv++;
                    if (!me->latched) { me->peer = src[0]; me->latched = 1; }
                    if (!other->latched) { dropped++; continue; }
                    if (sendto(other->fd, bufs[0], (size_t)len, 0, (struct sockaddr *)&other->peer,
                               sizeof(other->peer)) < 0)
                        serr++;
                    else
                        nsent++;
                }
                continue;
            }
            for (int q = 0; q < batch; q++) {
                iov[q].iov_base = bufs[q];
                iov[q].iov_len = PKT;
                memset(&in[q].msg_hdr, 0, sizeof(in[q].msg_hdr));
                in[q].msg_hdr.msg_name = &src[q];
                in[q].msg_hdr.msg_namelen = sizeof(src[q]);
                in[q].msg_hdr.msg_iov = &iov[q];
                in[q].msg_hdr.msg_iovlen = 1;
            }
            int r = recvmmsg(me->fd, in, batch, MSG_DONTWAIT, NULL);
            rcalls++;
            if (r <= 0) continue;
            nrecv += r;
            if (!me->latched) { me->peer = src[0]; me->latched = 1; }
            if (!other->latched) { dropped += r; continue; }
            for (int q = 0; q < r; q++) {
                memset(&out[q].msg_hdr, 0, sizeof(out[q].msg_hdr));
                out[q].msg_hdr.msg_name = &other->peer;
                out[q].msg_hdr.msg_namelen = sizeof(other->peer);
                out[q].msg_hdr.msg_iov = &iov[q];
                out[q].msg_hdr.msg_iovlen = 1;
                iov[q].iov_len = in[q].msg_len;
            }
            int off = 0;
            while (off < r) { /* sendmmsg stops at the first failing message: count it, go on */
                int s = sendmmsg(other->fd, out + off, r - off, MSG_DONTWAIT);
                if (s <= 0) { serr++; off++; continue; }
                nsent += s;
                off += s;
            }
        }
    }
    fprintf(stderr, "minrelay recv=%llu sent=%llu dropped_unlatched=%llu send_errors=%llu recv_calls=%llu wakeups=%llu\n",
            (unsigned long long)nrecv, (unsigned long long)nsent, (unsigned long long)dropped,
            (unsigned long long)serr, (unsigned long long)rcalls, (unsigned long long)wakeups);
    return 0;
}
