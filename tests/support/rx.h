/* tests/support/rx.h - a real webhook receiver for tests: a plain POSIX-socket HTTP/1.1
 * server on its own thread, on a loopback port (issue 3 "Push": signed, ordered,
 * at-least-once delivery; used by tests/unit/push/test_webhook.c and tests/e2e/e2e_push.c).
 *
 * It keeps connections alive (poll over the listening socket and up to RX_CONNS
 * connections), records every request it reads (event id, topic, timestamp, signature,
 * content type, body) and answers with the status set by rx_set. It can be taken down
 * (connection refused) and brought up again on the same port, answer 500 to one "poisoned"
 * event id, or read requests and never answer (hang). Signatures are checked with
 * OpenSSL's HMAC-SM3 (EVP_Q_mac), not with the server's code.
 *
 * One receiver per process: rx_start starts it; rx_stop (also from a teardown after a
 * failed test) stops it. hits/n are written by the receiver's thread under mu: read them
 * after rx_count has reported what you wait for (the array only grows).
 */
#ifndef JY_TESTS_RX_H
#define JY_TESTS_RX_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define RX_CONNS 16

struct rx_hit {
    int64_t event_id; /* X-Jiayuan-Event-Id; -1 when missing or not a number */
    char topic[64], ts[32], sig[128], type[64];
    char *body;
    size_t len;
    int answered; /* the status answered; 0 = not answered (hang) */
};

struct rx_conn {
    int fd;
    struct buf in;
};

struct rx {
    pthread_t thread;
    pthread_mutex_t mu;
    int port;
    atomic_int want_up, is_up;
    atomic_bool quit;
    /* behaviour, under mu */
    int status;     /* answer to every event (200) */
    int64_t poison; /* this event id is answered 500 (0 = none) */
    bool hang;      /* read requests, never answer */
    /* what arrived, under mu */
    struct rx_hit *hits;
    size_t n, cap;
    /* the thread's own */
    int lfd;
    struct rx_conn conns[RX_CONNS];
};

/* rx_start starts the receiver on a free loopback port (rx->port), answering 200. */
struct rx *rx_start(void);
/* rx_stop stops the receiver and frees what it recorded; rx NULL means the one running.
 * Safe when it is not running. */
void rx_stop(struct rx *rx);
/* rx_set_up takes the receiver down (connections refused) or up on the same port, and
 * waits until it is (asserting). */
void rx_set_up(struct rx *rx, bool up);
/* rx_set sets the answer to every event, the poisoned event id and hang. */
void rx_set(struct rx *rx, int status, int64_t poison, bool hang);
/* rx_set_status changes only the answer to every event. */
void rx_set_status(struct rx *rx, int status);
/* rx_count returns how many requests have arrived. */
size_t rx_count(struct rx *rx);
/* rx_delivered counts the distinct event ids in want[0..n) answered 2xx so far. */
size_t rx_delivered(struct rx *rx, const int64_t *want, size_t n);
/* rx_verify checks a hit's signature "hmac-sm3=<hex>" of "<ts>.<body>" under secret. */
bool rx_verify(const struct rx_hit *h, const char *secret);

#endif
