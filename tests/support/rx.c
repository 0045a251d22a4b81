/* tests/support/rx.c - see rx.h: the webhook test receiver (one copy, shared by the unit
 * and end-to-end push tests). */
#include "rx.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/str.h"
#include "core/vec.h"

static int
rx_listen(int port, int *bound)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 64) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        close(fd);
        return -1;
    }
    if (bound)
        *bound = ntohs(a.sin_port);
    return fd;
}

static void
rx_close_conn(struct rx_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_release(&c->in);
}

static void
rx_header(const char *head, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = head; p && p < head + n;) {
        const char *eol = memmem(p, (size_t)(head + n - p), "\r\n", 2);
        size_t len = eol ? (size_t)(eol - p) : (size_t)(head + n - p);
        if (len > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(p + len - v);
            if (vl >= cap)
                vl = cap - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return;
        }
        p = eol ? eol + 2 : NULL;
    }
}

/* rx_serve answers every complete request buffered on c; false when c must close. */
static bool
rx_serve(struct rx *rx, struct rx_conn *c)
{
    for (;;) {
        char *end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4);
        char value[128];
        int64_t clen = 0;
        if (!end)
            return true;
        size_t hlen = (size_t)(end - c->in.data) + 4;
        rx_header(c->in.data, hlen, "Content-Length", value, sizeof value);
        if (value[0] && cstr_to_i64(value, &clen, 0, 1 << 24))
            return false;
        if (c->in.len < hlen + (size_t)clen)
            return true;
        struct rx_hit h = { 0 };
        rx_header(c->in.data, hlen, "X-Jiayuan-Event-Id", value, sizeof value);
        if (cstr_to_i64(value, &h.event_id, 0, INT64_MAX))
            h.event_id = -1;
        rx_header(c->in.data, hlen, "X-Jiayuan-Topic", h.topic, sizeof h.topic);
        rx_header(c->in.data, hlen, "X-Jiayuan-Timestamp", h.ts, sizeof h.ts);
        rx_header(c->in.data, hlen, "X-Jiayuan-Signature", h.sig, sizeof h.sig);
        rx_header(c->in.data, hlen, "Content-Type", h.type, sizeof h.type);
        h.body = xstrndup(c->in.data + hlen, (size_t)clen);
        h.len = (size_t)clen;
        pthread_mutex_lock(&rx->mu);
        bool hang = rx->hang;
        h.answered = hang ? 0 : (h.event_id == rx->poison ? 500 : rx->status);
        VEC_ROOM(rx->hits, rx->n, rx->cap);
        rx->hits[rx->n++] = h;
        pthread_mutex_unlock(&rx->mu);
        memmove(c->in.data, c->in.data + hlen + clen, c->in.len - hlen - (size_t)clen);
        c->in.len -= hlen + (size_t)clen;
        c->in.data[c->in.len] = '\0';
        if (hang)
            continue;
        char resp[128];
        int n = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 2\r\n\r\nok", h.answered);
        if (write(c->fd, resp, (size_t)n) != n)
            return false;
    }
}

static void *
rx_main(void *arg)
{
    struct rx *rx = arg;
    while (!atomic_load(&rx->quit)) {
        struct pollfd fds[RX_CONNS + 1];
        int idx[RX_CONNS + 1];
        nfds_t n = 0;
        if (atomic_load(&rx->want_up) && rx->lfd < 0) {
            rx->lfd = rx_listen(rx->port, NULL);
            if (rx->lfd < 0) {
                usleep(10000);
                continue;
            }
        } else if (!atomic_load(&rx->want_up) && rx->lfd >= 0) {
            close(rx->lfd);
            rx->lfd = -1;
            for (size_t i = 0; i < RX_CONNS; i++)
                rx_close_conn(&rx->conns[i]);
        }
        atomic_store(&rx->is_up, rx->lfd >= 0);
        if (rx->lfd >= 0) {
            fds[n] = (struct pollfd){ rx->lfd, POLLIN, 0 };
            idx[n++] = -1;
        }
        for (int i = 0; i < RX_CONNS; i++) {
            if (rx->conns[i].fd >= 0) {
                fds[n] = (struct pollfd){ rx->conns[i].fd, POLLIN, 0 };
                idx[n++] = i;
            }
        }
        if (poll(fds, n, 10) <= 0)
            continue;
        for (nfds_t k = 0; k < n; k++) {
            if (!fds[k].revents)
                continue;
            if (idx[k] < 0) {
                int fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);
                int slot = -1;
                for (int i = 0; i < RX_CONNS && slot < 0 && fd >= 0; i++)
                    if (rx->conns[i].fd < 0)
                        slot = i;
                if (slot < 0) {
                    if (fd >= 0)
                        close(fd);
                    continue;
                }
                rx->conns[slot].fd = fd;
                buf_init(&rx->conns[slot].in, 1 << 24);
                continue;
            }
            struct rx_conn *c = &rx->conns[idx[k]];
            char tmp[16384];
            ssize_t got = read(c->fd, tmp, sizeof tmp);
            if (got <= 0) {
                rx_close_conn(c);
                continue;
            }
            buf_add(&c->in, tmp, (size_t)got);
            if (!rx_serve(rx, c))
                rx_close_conn(c);
        }
    }
    if (rx->lfd >= 0)
        close(rx->lfd);
    for (size_t i = 0; i < RX_CONNS; i++)
        rx_close_conn(&rx->conns[i]);
    return NULL;
}

/* The one receiver of the process: static, so a failed test's teardown can still stop it. */
static struct rx the_rx;
static bool rx_running;

struct rx *
rx_start(void)
{
    struct rx *rx = &the_rx;
    memset(rx, 0, sizeof *rx);
    pthread_mutex_init(&rx->mu, NULL);
    rx->status = 200;
    for (size_t i = 0; i < RX_CONNS; i++)
        rx->conns[i].fd = -1;
    rx->lfd = rx_listen(0, &rx->port);
    assert_true(rx->lfd >= 0);
    atomic_store(&rx->want_up, 1);
    atomic_store(&rx->is_up, 1);
    assert_int_equal(pthread_create(&rx->thread, NULL, rx_main, rx), 0);
    rx_running = true;
    return rx;
}

void
rx_stop(struct rx *rx)
{
    if (!rx_running)
        return;
    if (!rx)
        rx = &the_rx;
    rx_running = false;
    atomic_store(&rx->quit, true);
    pthread_join(rx->thread, NULL);
    for (size_t i = 0; i < rx->n; i++)
        xfree(rx->hits[i].body);
    xfree(rx->hits);
    pthread_mutex_destroy(&rx->mu);
}

void
rx_set_up(struct rx *rx, bool up)
{
    atomic_store(&rx->want_up, up);
    for (int i = 0; i < 500 && atomic_load(&rx->is_up) != up; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&rx->is_up), up);
}

size_t
rx_count(struct rx *rx)
{
    pthread_mutex_lock(&rx->mu);
    size_t n = rx->n;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

void
rx_set(struct rx *rx, int status, int64_t poison, bool hang)
{
    pthread_mutex_lock(&rx->mu);
    rx->status = status;
    rx->poison = poison;
    rx->hang = hang;
    pthread_mutex_unlock(&rx->mu);
}

bool
rx_verify(const struct rx_hit *h, const char *secret)
{
    struct buf msg = BUF_INIT;
    unsigned char mac[64];
    size_t len = 0;
    char hex[2 * sizeof mac + 16] = "hmac-sm3=";
    bool ok;
    buf_adds(&msg, h->ts);
    buf_addch(&msg, '.');
    buf_add(&msg, h->body, h->len);
    ok = EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, secret, strlen(secret), (const unsigned char *)msg.data,
                   msg.len, mac, sizeof mac, &len) != NULL && len == 32;
    if (ok)
        hex_to_str(mac, len, hex + 9);
    buf_release(&msg);
    return ok && strcmp(hex, h->sig) == 0;
}

void
rx_set_status(struct rx *rx, int status)
{
    pthread_mutex_lock(&rx->mu);
    rx->status = status;
    pthread_mutex_unlock(&rx->mu);
}

size_t
rx_delivered(struct rx *rx, const int64_t *want, size_t n)
{
    size_t got = 0;
    pthread_mutex_lock(&rx->mu);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < rx->n && !seen; k++)
            seen = rx->hits[k].event_id == want[i] && rx->hits[k].answered / 100 == 2;
        got += seen;
    }
    pthread_mutex_unlock(&rx->mu);
    return got;
}
