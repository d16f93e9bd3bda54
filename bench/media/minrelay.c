/* minrelay.c - minimal UDP port-pair relay: the CPU-per-packet baseline for compare.sh.
 *
 * N port pairs on one address: pair i is socket A = BASE+2i and socket B = BASE+2i+1
 * (the kit's "ports" convention: stream i is sent to BASE+2i, the sink latches BASE+2i+1).
 * One thread, level-triggered epoll. Symmetric latching per socket: each socket takes
 * its peer from the source of the first packet it receives and keeps it. A packet that
 * arrives on one side of a pair is sent from the other side's socket to that side's
 * latched peer; it is dropped while the other side has not latched yet.
 *
 *   minrelay -p BASE -n N [-a 127.0.0.1] [-m batch|single|uring] [-B 64] [-r RCVBUF] [-t TOS]
 *
 *   -m batch   per ready socket: one recvmmsg (up to -B packets), then one sendmmsg
 *   -m single  per ready socket: up to -B x (recvfrom, sendto)
 *   -m uring   no epoll and no system call per packet: io_uring (built with -DMINRELAY_URING
 *              -luring), a multishot recvmsg per socket into a ring of provided buffers, one
 *              sendmsg per packet queued, and one io_uring_enter per loop that submits the
 *              sends and waits for completions (Linux >= 6.0). An experiment: how much of a
 *              relay's CPU per packet the per-packet system calls are.
 *   -r BYTES   SO_RCVBUF of every socket (default: the system default)
 *   -t TOS     IP_TOS of every socket, e.g. 184 (DSCP EF, as resproxy-media marks RTP): what
 *              the kernel charges for the marking, apart from the relay (default: none)
 *
 * Runs until SIGINT/SIGTERM, then prints one line on stderr:
 *   "minrelay recv=.. sent=.. dropped_unlatched=.. send_errors=.. recv_calls=.. wakeups=.."
 * (-m uring: recv_calls counts the multishot receives armed again, and nobufs=.. follows)
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
#ifdef MINRELAY_URING
#include <liburing.h>
#include <sys/mman.h>
#endif

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
    fprintf(stderr, "usage: minrelay -p BASE -n N [-a ADDR] [-m batch|single|uring] [-B BATCH] [-r RCVBUF] [-t TOS]\n");
    exit(2);
}

#ifdef MINRELAY_URING
#define URING_BUFS 8192 /* provided receive buffers, a power of two */
#define URING_BUF_SIZE PKT
#define URING_SEND (1ULL << 63) /* user_data: a send (| buffer id); else a socket's index */

struct uring_send { struct msghdr mh; struct iovec iov; };

static unsigned char *uring_buf(unsigned char *bufs, int bid) { return bufs + (size_t)bid * URING_BUF_SIZE; }

/* Buffer `bid` back to the ring, the `offset`-th of this pass (made visible by one advance) */
static void uring_give_back(struct io_uring_buf_ring *br, unsigned char *bufs, int bid, int offset) {
    io_uring_buf_ring_add(br, uring_buf(bufs, bid), URING_BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(URING_BUFS), offset);
}

static struct io_uring_sqe *uring_sqe(struct io_uring *ring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) { /* the submission queue is full: hand it to the kernel first */
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

static int uring_arm_recv(struct io_uring *ring, struct msghdr *tmpl, int fd, int idx) {
    struct io_uring_sqe *sqe = uring_sqe(ring);
    if (!sqe) return -1;
    io_uring_prep_recvmsg_multishot(sqe, fd, tmpl, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, (uint64_t)idx);
    return 0;
}

/* The relay loop on io_uring: each socket has one multishot recvmsg taking buffers from a
 * provided-buffer ring; a received datagram is sent from the other socket by a sendmsg that
 * points into the same buffer, which goes back to the ring when the send completes. One
 * io_uring_enter per loop submits the sends queued and waits for the next completions. */
static int run_uring(struct side *sd, int nsock) {
    struct io_uring ring;
    /* deferred task work where the kernel has it (Linux >= 6.1), else without */
    const unsigned flags[] = {IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                              IORING_SETUP_CQSIZE};
    int r = -1;
    for (int f = 0; f < 2 && r < 0; f++) {
        struct io_uring_params p;
        memset(&p, 0, sizeof(p));
        p.flags = flags[f];
        p.cq_entries = 65536;
        r = io_uring_queue_init_params(4096, &ring, &p);
    }
    if (r < 0) { fprintf(stderr, "io_uring_queue_init_params: %s\n", strerror(-r)); return 1; }
    size_t ring_bytes = URING_BUFS * sizeof(struct io_uring_buf);
    struct io_uring_buf_ring *br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) { perror("mmap"); return 1; }
    io_uring_buf_ring_init(br);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (unsigned long)br;
    reg.ring_entries = URING_BUFS;
    reg.bgid = 0;
    r = io_uring_register_buf_ring(&ring, &reg, 0);
    if (r) { fprintf(stderr, "io_uring_register_buf_ring: %s\n", strerror(-r)); return 1; }
    unsigned char *bufs = malloc((size_t)URING_BUFS * URING_BUF_SIZE);
    struct uring_send *sends = calloc(URING_BUFS, sizeof(*sends));
    if (!bufs || !sends) { perror("malloc"); return 1; }
    for (int b = 0; b < URING_BUFS; b++) uring_give_back(br, bufs, b, b);
    io_uring_buf_ring_advance(br, URING_BUFS);

    struct msghdr tmpl; /* what each received buffer holds: the header, the source, the bytes */
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.msg_namelen = sizeof(struct sockaddr_in);
    for (int i = 0; i < nsock; i++)
        if (uring_arm_recv(&ring, &tmpl, sd[i].fd, i) < 0) { fprintf(stderr, "no SQE\n"); return 1; }

    uint64_t nrecv = 0, nsent = 0, dropped = 0, serr = 0, rearms = 0, wakeups = 0, nobufs = 0;
    struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 200000000 };
    while (!stop) {
        struct io_uring_cqe *cqe;
        r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
        if (r < 0 && r != -ETIME && r != -EINTR) {
            fprintf(stderr, "io_uring_submit_and_wait_timeout: %s\n", strerror(-r));
            return 1;
        }
        wakeups++;
        unsigned head, seen = 0;
        int returned = 0; /* buffers given back to the ring in this pass */
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            if (ud & URING_SEND) {
                int bid = (int)(ud & 0xffff);
                if (cqe->res < 0) serr++; else nsent++;
                uring_give_back(br, bufs, bid, returned++);
                continue;
            }
            int i = (int)ud;
            if (!(cqe->flags & IORING_CQE_F_MORE)) { /* the multishot ended (no buffer left, an error) */
                rearms++;
                if (uring_arm_recv(&ring, &tmpl, sd[i].fd, i) < 0) { fprintf(stderr, "no SQE\n"); return 1; }
            }
            if (cqe->res < 0) { if (cqe->res == -ENOBUFS) nobufs++; continue; }
            if (!(cqe->flags & IORING_CQE_F_BUFFER)) continue;
            int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
            struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(uring_buf(bufs, bid), cqe->res, &tmpl);
            struct side *me = &sd[i], *other = &sd[i ^ 1];
            int give_back = 1;
            if (o && !(o->flags & MSG_TRUNC)) {
                nrecv++;
                if (!me->latched) { memcpy(&me->peer, io_uring_recvmsg_name(o), sizeof(me->peer)); me->latched = 1; }
                if (!other->latched) {
                    dropped++;
                } else {
                    struct uring_send *snd = &sends[bid];
                    snd->iov.iov_base = io_uring_recvmsg_payload(o, &tmpl);
                    snd->iov.iov_len = io_uring_recvmsg_payload_length(o, cqe->res, &tmpl);
                    memset(&snd->mh, 0, sizeof(snd->mh));
                    snd->mh.msg_name = &other->peer;
                    snd->mh.msg_namelen = sizeof(other->peer);
                    snd->mh.msg_iov = &snd->iov;
                    snd->mh.msg_iovlen = 1;
                    struct io_uring_sqe *sqe = uring_sqe(&ring);
                    if (sqe) {
                        io_uring_prep_sendmsg(sqe, other->fd, &snd->mh, MSG_DONTWAIT);
                        io_uring_sqe_set_data64(sqe, URING_SEND | (uint64_t)bid);
                        give_back = 0; /* when its send completes */
                    } else {
                        serr++;
                    }
                }
            } else {
                serr++;
            }
            if (give_back) uring_give_back(br, bufs, bid, returned++);
        }
        io_uring_cq_advance(&ring, seen);
        if (returned) io_uring_buf_ring_advance(br, returned);
    }
    fprintf(stderr, "minrelay recv=%llu sent=%llu dropped_unlatched=%llu send_errors=%llu recv_calls=%llu wakeups=%llu"
            " nobufs=%llu\n", (unsigned long long)nrecv, (unsigned long long)nsent, (unsigned long long)dropped,
            (unsigned long long)serr, (unsigned long long)rearms, (unsigned long long)wakeups,
            (unsigned long long)nobufs);
    return 0;
}
#endif

enum mode { MODE_BATCH, MODE_SINGLE, MODE_URING };

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1";
    enum mode mode = MODE_BATCH;
    int base = 0, n = 0, batch = 64, rcvbuf = 0, tos = -1, opt;
    while ((opt = getopt(argc, argv, "p:n:a:m:B:r:t:")) != -1) {
        switch (opt) {
        case 'p': base = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 'm':
            if (!strcmp(optarg, "single")) mode = MODE_SINGLE;
            else if (!strcmp(optarg, "uring")) {
#ifndef MINRELAY_URING
                fprintf(stderr, "minrelay: built without io_uring (cc -DMINRELAY_URING ... -luring)\n");
                return 2;
#endif
                mode = MODE_URING;
            }
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
        /* not under io_uring: a socket in an epoll set pays the set's callback per datagram */
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (mode != MODE_URING && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll_ctl"); return 1; }
        sd[i].fd = fd;
    }

    struct sigaction sig = { .sa_handler = on_sig };
    sigaction(SIGINT, &sig, NULL);
    sigaction(SIGTERM, &sig, NULL);
    fprintf(stderr, "minrelay ready pairs=%d ports=%d-%d mode=%s batch=%d tos=%d\n", n, base, base + 2 * n - 1,
            mode == MODE_URING ? "uring" : mode == MODE_SINGLE ? "single" : "batch", batch, tos);
#ifdef MINRELAY_URING
    if (mode == MODE_URING) return run_uring(sd, 2 * n);
#endif

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
            if (mode == MODE_SINGLE) {
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
