/* push/webhook.c - the webhook transport: one signed HTTP POST of one outbox event over
 * libcurl (issue 3 "Push"; R2.x "pushed to the GIS map and other vendors' dashboards"), and
 * the URL, topic and signature rules it relies on. No subscription, cursor or retry here:
 * domain/notify/webhook_worker.c decides what to send and when. See webhook.h.
 */
#include "push/webhook.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/json_escape.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"

#define WH_TOPIC_MAX 47

struct webhook_client {
    CURL *curl;
    bool (*cancelled)(void *arg);
    void *arg;
    /* the request in flight: what its socket callback allows, and whether it refused */
    bool allow_loopback, plain_http, refused;
};

static pthread_once_t wh_once = PTHREAD_ONCE_INIT;
static bool wh_curl_ok;

static void
wh_global_init(void)
{
    wh_curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* Destination addresses (issue 12, SSRF) --------------------------------------------------- */

/* wh_v4_class: 1 refused, 2 loopback, 0 public; a in host byte order. */
static int
wh_v4_class(uint32_t a)
{
    uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16);
    if (b0 == 127)
        return 2;
    if (b0 == 0 || b0 == 10 || (b0 == 100 && (b1 & 0xc0) == 64) || (b0 == 169 && b1 == 254) ||
        (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168) || (b0 == 192 && b1 == 0 && (uint8_t)(a >> 8) == 0) ||
        (b0 == 198 && (b1 & 0xfe) == 18) || b0 >= 224)
        return 1; /* this network, RFC 1918, CGNAT, link-local, IETF, benchmarking, multicast, reserved */
    return 0;
}

static int
wh_v6_class(const uint8_t *b)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const uint8_t zero[15] = { 0 };
    if (memcmp(b, mapped, 12) == 0)
        return wh_v4_class((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    if (memcmp(b, zero, 15) == 0)
        return b[15] == 1 ? 2 : 1; /* ::1 loopback, :: unspecified */
    if (b[0] == 0xff || (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
        (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || memcmp(b, zero, 12) == 0 ||
        (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) || (b[0] == 0x00 && b[1] == 0x64))
        return 1; /* multicast, ULA, link-local, site-local, IPv4-compatible, documentation, NAT64 */
    return 0;
}

int
webhook_addr_check(const struct sockaddr *sa, bool allow_loopback)
{
    int c = 1;
    if (sa && sa->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        c = wh_v4_class(ntohl(in.sin_addr.s_addr));
    } else if (sa && sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        c = wh_v6_class(in6.sin6_addr.s6_addr);
    }
    return c == 0 || (c == 2 && allow_loopback) ? 0 : ERR_FORBIDDEN;
}

static bool
wh_is_loopback(const struct sockaddr *sa)
{
    return webhook_addr_check(sa, false) && !webhook_addr_check(sa, true);
}

/* wh_open is libcurl's socket-open callback: it sees every address libcurl resolved before
 * connecting to it, and opens a socket only for an allowed one (no TOCTOU re-resolve). */
static curl_socket_t
wh_open(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct webhook_client *c = arg;
    const struct sockaddr *sa = &addr->addr;
    if (purpose != CURLSOCKTYPE_IPCXN || webhook_addr_check(sa, c->allow_loopback) ||
        (c->plain_http && !wh_is_loopback(sa))) {
        c->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* Checks and signature --------------------------------------------------------------------- */

int
webhook_url_check(const char *url, char *host, size_t cap, const char **why)
{
    const char *dummy, *auth;
    CURLU *u = NULL;
    char *part = NULL;
    size_t n = url ? strlen(url) : 0;
    int rc = ERR_INVALID;

    if (!why)
        why = &dummy;
    *why = NULL;
    if (n == 0 || n > WEBHOOK_URL_MAX) {
        *why = "'url' must have 1 to 2048 characters";
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
            *why = "'url' may hold only printable ASCII characters without spaces";
            goto out;
        }
    }
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        *why = "'url' must start with http:// or https://";
        goto out;
    }
    auth = strstr(url, "://") + 3;
    if (memchr(auth, '@', strcspn(auth, "/?#"))) {
        *why = "'url' must not carry a user name or password";
        goto out;
    }
    if (!(u = curl_url())) {
        rc = ERR_INTERNAL;
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        *why = "'url' is not a valid URL";
        goto out;
    }
    static const CURLUPart forbidden[] = { CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS };
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        if (curl_url_get(u, forbidden[i], &part, 0) == CURLUE_OK) {
            *why = "'url' must not carry a user name or password";
            goto out;
        }
        curl_free(part);
        part = NULL;
    }
    if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || !part || !*part) {
        *why = "'url' must name a host";
        goto out;
    }
    if (host)
        str_copy(host, cap, part);
    rc = 0;
out:
    curl_free(part);
    curl_url_cleanup(u);
    return rc;
}

int
webhook_topics_check(const char *topics)
{
    const char *p = topics;
    size_t count = 0;
    if (!p)
        return ERR_INVALID;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n > WH_TOPIC_MAX || ++count > WEBHOOK_TOPICS_MAX)
            return ERR_INVALID;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
                return ERR_INVALID;
        }
        p += n;
        if (*p == ',' && !*++p)
            return ERR_INVALID; /* a trailing comma */
    }
    return 0;
}

bool
webhook_topic_match(const char *topics, const char *topic)
{
    const char *p = topics;
    if (!*p)
        return true;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n && strncmp(topic, p, n) == 0 && (topic[n] == '\0' || topic[n] == '.'))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

int
webhook_sign(const char *secret, size_t secret_len, const char *timestamp, const void *body, size_t body_len,
             char out[WEBHOOK_SIG_LEN + 1])
{
    struct sm_part parts[3] = { { timestamp, strlen(timestamp) }, { ".", 1 }, { body, body_len } };
    uint8_t mac[SM3_LEN];
    struct buf hex = BUF_INIT;
    int rc = hmac_sm3_parts(secret, secret_len, parts, 3, mac);
    if (!rc) {
        hex_encode(&hex, mac, sizeof mac);
        snprintf(out, WEBHOOK_SIG_LEN + 1, "%s%s", WEBHOOK_SIG_PREFIX, hex.data);
    }
    wipe(mac, sizeof mac);
    buf_release(&hex);
    return rc;
}

/* The sender ------------------------------------------------------------------------------ */

int
webhook_client_new(bool (*cancelled)(void *arg), void *arg, struct webhook_client **out)
{
    struct webhook_client *c;
    *out = NULL;
    pthread_once(&wh_once, wh_global_init);
    if (!wh_curl_ok)
        return ERR_INTERNAL;
    c = xcalloc(1, sizeof *c);
    c->cancelled = cancelled;
    c->arg = arg;
    if (!(c->curl = curl_easy_init())) {
        xfree(c);
        return ERR_INTERNAL;
    }
    *out = c;
    return 0;
}

void
webhook_client_free(struct webhook_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    xfree(c);
}

static size_t
wh_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static int
wh_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const struct webhook_client *c = arg;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return c->cancelled && c->cancelled(c->arg) ? 1 : 0;
}

static void
wh_body(struct buf *b, const struct outbox_event *e)
{
    buf_printf(b, "{\"id\":%lld,\"topic\":", (long long)e->id);
    json_escape(b, e->topic);
    buf_adds(b, ",\"subdistrict\":");
    json_escape(b, e->subdistrict);
    buf_printf(b, ",\"created_at\":%lld,\"data\":", (long long)e->created_at);
    buf_adds(b, e->payload[0] ? e->payload : "null");
    buf_addch(b, '}');
}

static struct curl_slist *
wh_header(struct curl_slist *list, bool *ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct curl_slist *
wh_header(struct curl_slist *list, bool *ok, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || str_has_ctl(line, (size_t)n)) {
        *ok = false;
        return list;
    }
    struct curl_slist *next = curl_slist_append(list, line);
    if (!next) {
        *ok = false;
        return list;
    }
    return next;
}

int
webhook_post(struct webhook_client *c, const struct webhook_post *p, long *status, const char **error)
{
    const struct outbox_event *e = p->event;
    struct buf body = BUF_INIT;
    struct curl_slist *h = NULL;
    char ts[24], sig[WEBHOOK_SIG_LEN + 1];
    bool ok = true;
    CURLcode cc;
    int rc = ERR_UNAVAILABLE;

    *status = 0;
    *error = "";
    wh_body(&body, e);
    snprintf(ts, sizeof ts, "%lld", (long long)time_now_ms());
    if (buf_error(&body)) {
        *error = "event too large";
        goto out;
    }
    if (!p->secret || webhook_sign(p->secret, p->secret_len, ts, body.data, body.len, sig)) {
        *error = "cannot sign";
        goto out;
    }
    h = wh_header(h, &ok, "Content-Type: application/json");
    h = wh_header(h, &ok, "User-Agent: jiayuan-webhook/1");
    h = wh_header(h, &ok, "Expect:");
    h = wh_header(h, &ok, "X-Jiayuan-Event-Id: %lld", (long long)e->id);
    h = wh_header(h, &ok, "X-Jiayuan-Topic: %s", e->topic);
    h = wh_header(h, &ok, "X-Jiayuan-Timestamp: %s", ts);
    h = wh_header(h, &ok, "X-Jiayuan-Signature: %s", sig);
    if (!ok) {
        *error = "bad header";
        goto out;
    }
    c->allow_loopback = p->allow_loopback;
    c->plain_http = strncasecmp(p->url, "http://", 7) == 0;
    c->refused = false;
    if (c->plain_http && !p->allow_loopback) {
        *error = "plain http refused";
        rc = ERR_FORBIDDEN;
        goto out;
    }
    curl_easy_reset(c->curl);
    if (curl_easy_setopt(c->curl, CURLOPT_URL, p->url) ||
        curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, c->plain_http ? "http" : "https") ||
        curl_easy_setopt(c->curl, CURLOPT_PROXY, "") ||
        curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETFUNCTION, wh_open) ||
        curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETDATA, c) ||
        curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L) ||
        curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(c->curl, CURLOPT_POST, 1L) ||
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body.data) ||
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len) ||
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h) ||
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms) ||
        curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)p->timeout_ms) ||
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, wh_discard) ||
        curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L) ||
        curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, wh_progress) ||
        curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c)) {
        *error = "cannot set up the request";
        goto out;
    }
    cc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        rc = ERR_INTERNAL;
    } else if (cc != CURLE_OK && c->refused) {
        *error = "destination address refused";
        rc = ERR_FORBIDDEN;
    } else if (cc != CURLE_OK) {
        *error = curl_easy_strerror(cc);
    } else if (*status < 200 || *status > 299) {
        *error = "not a 2xx answer";
    } else {
        rc = 0;
    }
out:
    curl_slist_free_all(h);
    buf_release(&body);
    return rc;
}
