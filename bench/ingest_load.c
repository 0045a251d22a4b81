/* bench/ingest_load.c - load generator for the ingest benchmark (issue 3 "Benchmark"; R2.4
 * sampling scans pushed in real time, R2.7 counters kept in the same transaction).
 *
 * It sends samples to a running `jiayuan serve` over plain HTTP/1.1 keep-alive sockets,
 * driven by one epoll loop on one thread (so `taskset -c 1` pins the whole client to one
 * core): either arrays of --batch samples to POST /api/v1/samples/batch, or one sample per
 * POST /api/v1/samples, on --conns connections at once (closed loop: a connection sends its
 * next request as soon as the previous one is answered). Every response is checked: a batch
 * must answer 200 with "rejected":0, a single 201 "accepted" or 200 "duplicate"; anything
 * else is counted as an error and the first few bodies are printed. The acknowledgement
 * latency of a request is the time from the first byte sent to the last byte of its
 * response; the server answers only after its transaction committed, so an acknowledged
 * sample is a durable one.
 *
 * Samples are valid and distinct: record i of --source has external_id "<prefix>-<i>", a
 * GB 11643 ID number unique for i < 464 million (16 Beijing region codes x 29,000 birth
 * dates from 1940 x 1000 sequence numbers, with the MOD 11-2 check digit), a name, a phone,
 * a tube code shared by 10 consecutive records (10-in-1 mixing), a site code and a plan
 * number (taken from the server's own /api/v1/sites and /api/v1/plans unless given), and
 * collected_at = now. Start at a new --start (or --source) to send new records; the same
 * range again tests the duplicate path.
 *
 * It is not a test and not part of the server: it only prints figures (a human summary and
 * one "RESULT {json}" line for scripts). CPU use of the client comes from getrusage, of the
 * server (and of PostgreSQL backends, --db-pids) from /proc/PID/stat, over the measured
 * window only.
 *
 *   ingest_load --url http://127.0.0.1:8080 --token jy_… [--mode batch|single]
 *       [--conns N] [--batch N] [--duration S] [--warmup S] [--records N]
 *       [--source S] [--prefix P] [--start N] [--sites A,B,…] [--plan P]
 *       [--server-pid PID] [--db-pids PID,PID,…]
 * The token needs samples.write, and sites.read + plans.read unless --sites and --plan are
 * given.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"

#define LOAD_MAX_CONNS 1024
#define LOAD_MAX_SITES 4096
#define LOAD_SHOW_ERRORS 5

enum load_mode { LOAD_BATCH, LOAD_SINGLE };
enum load_state { LOAD_CONNECTING, LOAD_SENDING, LOAD_READING, LOAD_IDLE };

struct load_opts {
    const char *url, *token, *source, *prefix, *sites_arg, *plan, *db_pids;
    enum load_mode mode;
    int64_t conns, batch, records, start, server_pid;
    double duration, warmup;
};

struct load_conn {
    int fd;
    enum load_state state;
    struct buf out, in;
    size_t sent;
    size_t nrec;      /* samples in the request in flight */
    int64_t t0_us;    /* first byte sent */
    size_t head_len;  /* bytes of the response head incl. CRLFCRLF, 0 = not complete */
    int64_t body_len; /* Content-Length of the response */
    int status;
    bool close_after;
};

/* Results of the measured window. */
struct load_stats {
    int64_t requests, errors, conn_errors, accepted, duplicate, rejected;
    double *lat_us;
    size_t nlat, caplat;
};

struct load {
    struct load_opts o;
    struct sockaddr_in addr;
    char host[64];
    char *sites[LOAD_MAX_SITES];
    size_t nsites;
    char plan[64];
    int ep;
    struct load_conn *conns;
    int64_t next, end_index; /* next record index; end_index = start + records (0 = none) */
    int64_t t_start, t_measure, t_stop, t_last;
    bool stopping;
    size_t active;
    struct load_stats st;
    int shown_errors;
};

/* --- records ------------------------------------------------------------------------ */

static const int load_regions[16] = { 110101, 110102, 110105, 110106, 110107, 110108, 110109, 110111,
                                      110112, 110113, 110114, 110115, 110116, 110117, 110118, 110119 };
static const char *const load_surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄",
                                             "周", "吴", "徐", "孙", "马", "朱", "胡", "郭" };
static const char *const load_given[] = { "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
                                          "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞" };

/* load_civil converts days since 1970-01-01 to a date (H. Hinnant's algorithm). */
static void
load_civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* load_idno writes the distinct, valid ID number of record i. */
static void
load_idno(int64_t i, char out[19])
{
    int y, m, d;
    int64_t seq = i % 1000, region = (i / 1000) % 16, day = (i / 16000) % 29000;
    char tmp[64];
    load_civil(-10957 + day, &y, &m, &d); /* -10957 = 1940-01-01 */
    snprintf(tmp, sizeof tmp, "%06d%04d%02d%02d%03d", load_regions[region], y, m, d, (int)seq);
    memcpy(out, tmp, 17);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

static void
load_sample(struct load *l, struct buf *b, int64_t i, int64_t now_ms)
{
    char id[19];
    load_idno(i, id);
    buf_printf(b,
               "{\"source\":\"%s\",\"external_id\":\"%s-%lld\",\"id_number\":\"%s\",\"name\":\"%s%s\","
               "\"phone\":\"13%09lld\",\"tube_code\":\"%sT%lld\",\"site_code\":\"%s\",\"plan_no\":\"%s\","
               "\"collected_at\":%lld,\"mix_size\":10,\"mix_index\":%d,\"collector\":\"采样员%02d\"}",
               l->o.source, l->o.prefix, (long long)i, id, load_surnames[i % 16], load_given[(i / 16) % 20],
               (long long)(i % 1000000000), l->o.prefix, (long long)(i / 10),
               l->sites[(i / 10) % (int64_t)l->nsites], l->plan, (long long)now_ms, (int)(i % 10) + 1,
               (int)(i / 10) % 50);
    wipe(id, sizeof id);
}

/* --- setup: site codes and plan from the server ---------------------------------------- */

static size_t
load_curl_write(char *p, size_t size, size_t n, void *arg)
{
    buf_add(arg, p, size * n);
    return size * n;
}

static json_t *
load_get(struct load *l, const char *path)
{
    struct buf url = BUF_INIT, auth = BUF_INIT, body = BUF_INIT;
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    long status = 0;
    json_t *v = NULL;
    buf_printf(&url, "%s%s", l->o.url, path);
    buf_printf(&auth, "Authorization: Bearer %s", l->o.token);
    h = curl_slist_append(h, auth.data);
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, load_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200)
        v = json_loadb(body.data, body.len, 0, NULL);
    if (!v)
        fprintf(stderr, "ingest_load: GET %s answered %ld: %.300s\n", path, status, body.data);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    buf_release_secret(&auth);
    buf_release(&url);
    buf_release(&body);
    return v;
}

static int
load_setup_sites(struct load *l)
{
    if (l->o.sites_arg) {
        const char *p = l->o.sites_arg;
        while (*p && l->nsites < LOAD_MAX_SITES) {
            size_t n = strcspn(p, ",");
            if (n)
                l->sites[l->nsites++] = xstrndup(p, n);
            p += n + (p[n] == ',');
        }
        return l->nsites ? 0 : -1;
    }
    struct buf path = BUF_INIT;
    const char *cursor = NULL;
    json_t *page = NULL;
    int rc = -1;
    for (;;) {
        buf_reset(&path);
        buf_printf(&path, "/api/v1/sites?limit=200%s%s", cursor ? "&cursor=" : "", cursor ? cursor : "");
        json_decref(page);
        if (!(page = load_get(l, path.data)))
            goto out;
        json_t *items = json_object_get(page, "items"), *it;
        size_t i;
        json_array_foreach(items, i, it) {
            const char *code = json_string_value(json_object_get(it, "code"));
            const char *status = json_string_value(json_object_get(it, "status"));
            if (code && l->nsites < LOAD_MAX_SITES && (!status || strcmp(status, "paused") != 0))
                l->sites[l->nsites++] = xstrdup(code);
        }
        cursor = json_string_value(json_object_get(page, "next"));
        if (!cursor || l->nsites >= LOAD_MAX_SITES)
            break;
    }
    rc = l->nsites ? 0 : -1;
    if (rc)
        fprintf(stderr, "ingest_load: the server has no site in service (load the demo district first)\n");
out:
    json_decref(page);
    buf_release(&path);
    return rc;
}

/* load_setup_plan picks the plan whose window holds now, else the latest one. */
static int
load_setup_plan(struct load *l)
{
    if (l->o.plan) {
        str_copy(l->plan, sizeof l->plan, l->o.plan);
        return 0;
    }
    json_t *page = load_get(l, "/api/v1/plans?limit=200"), *it;
    int64_t now = time_now_ms(), best_start = INT64_MIN;
    size_t i;
    if (!page)
        return -1;
    json_array_foreach(json_object_get(page, "items"), i, it) {
        const char *no = json_string_value(json_object_get(it, "plan_no"));
        int64_t s = json_integer_value(json_object_get(it, "starts_at"));
        int64_t e = json_integer_value(json_object_get(it, "ends_at"));
        if (!no)
            continue;
        int64_t score = (s <= now && now < e) ? INT64_MAX : s;
        if (score > best_start) {
            best_start = score;
            str_copy(l->plan, sizeof l->plan, no);
        }
    }
    json_decref(page);
    if (!l->plan[0]) {
        fprintf(stderr, "ingest_load: the server has no plan (load the demo district first)\n");
        return -1;
    }
    return 0;
}

static int
load_parse_url(struct load *l)
{
    const char *u = l->o.url, *colon;
    char host[40];
    int64_t port = 80;
    if (strncmp(u, "http://", 7) != 0)
        return -1;
    u += 7;
    size_t n = strcspn(u, ":/");
    if (n == 0 || n >= sizeof host)
        return -1;
    memcpy(host, u, n);
    host[n] = '\0';
    colon = u + n;
    if (*colon == ':') {
        char pb[8];
        size_t pn = strcspn(colon + 1, "/");
        if (pn == 0 || pn >= sizeof pb)
            return -1;
        memcpy(pb, colon + 1, pn);
        pb[pn] = '\0';
        if (cstr_to_i64(pb, &port, 1, 65535))
            return -1;
    }
    l->addr.sin_family = AF_INET;
    l->addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &l->addr.sin_addr) != 1)
        return -1;
    snprintf(l->host, sizeof l->host, "%s:%lld", host, (long long)port);
    return 0;
}

/* --- CPU accounting -------------------------------------------------------------------- */

/* load_proc_cpu returns the user+system CPU seconds of pid, or -1. */
static double
load_proc_cpu(int64_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *p = strrchr(text, ')');
    if (!p)
        return -1;
    /* after ") ": field 3 (state) ... field 14 utime, 15 stime */
    int field = 2;
    int64_t ut = 0, stt = 0;
    for (char *tok = p + 1; *tok;) {
        while (*tok == ' ')
            tok++;
        size_t len = strcspn(tok, " ");
        field++;
        if (field == 14 || field == 15) {
            char num[32];
            snprintf(num, sizeof num, "%.*s", (int)(len < 31 ? len : 31), tok);
            if (cstr_to_i64(num, field == 14 ? &ut : &stt, 0, INT64_MAX))
                return -1;
        }
        if (field == 15)
            break;
        tok += len;
    }
    return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

static double
load_pids_cpu(const char *list)
{
    double sum = 0;
    const char *p = list;
    while (p && *p) {
        char num[24];
        size_t n = strcspn(p, ",");
        int64_t pid;
        snprintf(num, sizeof num, "%.*s", (int)(n < 23 ? n : 23), p);
        if (!cstr_to_i64(num, &pid, 1, INT32_MAX)) {
            double c = load_proc_cpu(pid);
            if (c > 0)
                sum += c;
        }
        p += n + (p[n] == ',');
    }
    return sum;
}

static double
load_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* --- the event loop ---------------------------------------------------------------------- */

static int
load_connect(struct load *l, struct load_conn *c)
{
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&l->addr, sizeof l->addr) && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->state = LOAD_CONNECTING;
    struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
load_close(struct load *l, struct load_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
}

static void
load_watch(struct load *l, struct load_conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* load_start_request builds the next request on c, or parks c when the run is over. */
static void
load_start_request(struct load *l, struct load_conn *c)
{
    int64_t now_us = time_mono_us(), n = l->o.mode == LOAD_BATCH ? l->o.batch : 1;
    if (!l->stopping && (now_us >= l->t_stop || (l->end_index && l->next >= l->end_index)))
        l->stopping = true;
    if (l->stopping) {
        c->state = LOAD_IDLE;
        load_close(l, c);
        l->active--;
        return;
    }
    if (l->end_index && l->next + n > l->end_index)
        n = l->end_index - l->next;
    struct buf body = BUF_INIT;
    int64_t now_ms = time_now_ms();
    if (l->o.mode == LOAD_BATCH) {
        buf_addch(&body, '[');
        for (int64_t i = 0; i < n; i++) {
            if (i)
                buf_addch(&body, ',');
            load_sample(l, &body, l->next + i, now_ms);
        }
        buf_addch(&body, ']');
    } else {
        load_sample(l, &body, l->next, now_ms);
    }
    l->next += n;
    buf_reset(&c->out);
    buf_printf(&c->out,
               "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
               "Content-Length: %zu\r\n\r\n",
               l->o.mode == LOAD_BATCH ? "/api/v1/samples/batch" : "/api/v1/samples", l->host, l->o.token,
               body.len);
    buf_add(&c->out, body.data, body.len);
    buf_release_secret(&body);
    c->sent = 0;
    c->nrec = (size_t)n;
    c->t0_us = time_mono_us();
    c->state = LOAD_SENDING;
    buf_reset(&c->in);
    c->head_len = 0;
    c->body_len = 0;
    c->status = 0;
    c->close_after = false;
    load_watch(l, c, EPOLLOUT);
}

static int64_t
load_count(const char *body, const char *key)
{
    const char *p = strstr(body, key);
    int64_t v = -1;
    if (!p)
        return -1;
    p += strlen(key);
    char num[24];
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, p, n);
    num[n] = '\0';
    if (cstr_to_i64(num, &v, 0, INT64_MAX))
        return -1;
    return v;
}

static void
load_error(struct load *l, const char *what, const struct load_conn *c)
{
    if (l->shown_errors++ < LOAD_SHOW_ERRORS)
        fprintf(stderr, "ingest_load: %s (status %d): %.300s\n", what, c->status,
                c->head_len ? c->in.data + c->head_len : "");
}

/* load_finish accounts for one complete response on c. */
static void
load_finish(struct load *l, struct load_conn *c)
{
    int64_t t = time_mono_us();
    const char *body = c->in.data + c->head_len;
    bool measured = c->t0_us >= l->t_measure;
    int64_t acc = 0, dup = 0, rej = 0;
    bool ok;

    if (l->o.mode == LOAD_BATCH) {
        acc = load_count(body, "\"accepted\":");
        dup = load_count(body, "\"duplicate\":");
        rej = load_count(body, "\"rejected\":");
        ok = c->status == 200 && acc >= 0 && dup >= 0 && rej == 0 && (size_t)(acc + dup) == c->nrec;
    } else {
        acc = c->status == 201 && strstr(body, "\"accepted\"") ? 1 : 0;
        dup = c->status == 200 && strstr(body, "\"duplicate\"") ? 1 : 0;
        ok = acc + dup == 1;
        rej = ok ? 0 : 1;
    }
    if (!ok)
        load_error(l, "unexpected response", c);
    if (measured) {
        l->st.requests++;
        if (!ok) {
            l->st.errors++;
        } else {
            l->st.accepted += acc;
            l->st.duplicate += dup;
        }
        l->st.rejected += rej > 0 ? rej : 0;
        if (l->st.nlat == l->st.caplat) {
            l->st.caplat = l->st.caplat ? l->st.caplat * 2 : 4096;
            l->st.lat_us = xrealloc(l->st.lat_us, l->st.caplat * sizeof *l->st.lat_us);
        }
        l->st.lat_us[l->st.nlat++] = (double)(t - c->t0_us);
        l->t_last = t;
    }
}

/* load_parse_head parses the response head once CRLFCRLF arrived; -1 on a bad head. */
static int
load_parse_head(struct load_conn *c)
{
    char *end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    c->head_len = (size_t)(end - c->in.data) + 4;
    if (c->in.len < 12 || strncmp(c->in.data, "HTTP/1.1 ", 9) != 0)
        return -1;
    c->status = (c->in.data[9] - '0') * 100 + (c->in.data[10] - '0') * 10 + (c->in.data[11] - '0');
    c->body_len = -1;
    for (char *p = strstr(c->in.data, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
        char *line = p + 2;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            char num[24];
            const char *v = line + 15;
            while (*v == ' ')
                v++;
            size_t n = strspn(v, "0123456789");
            if (n == 0 || n >= sizeof num)
                return -1;
            memcpy(num, v, n);
            num[n] = '\0';
            if (cstr_to_i64(num, &c->body_len, 0, 1 << 30))
                return -1;
        } else if (strncasecmp(line, "Connection: close", 17) == 0) {
            c->close_after = true;
        } else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
            return -1; /* the server's JSON replies always carry a Content-Length */
        }
    }
    return c->body_len < 0 ? -1 : 0;
}

static void
load_broken(struct load *l, struct load_conn *c, const char *why)
{
    if (c->t0_us >= l->t_measure)
        l->st.conn_errors++;
    if (l->shown_errors++ < LOAD_SHOW_ERRORS)
        fprintf(stderr, "ingest_load: connection failed: %s\n", why);
    load_close(l, c);
    if (load_connect(l, c)) {
        c->state = LOAD_IDLE;
        l->active--;
    }
}

static void
load_on_event(struct load *l, struct load_conn *c, uint32_t events)
{
    if (c->state == LOAD_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
            load_broken(l, c, err ? strerror(err) : "connect");
            return;
        }
        load_start_request(l, c);
        return;
    }
    if (c->state == LOAD_SENDING) {
        while (c->sent < c->out.len) {
            ssize_t w = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
            if (w < 0 && errno == EAGAIN)
                return;
            if (w <= 0) {
                load_broken(l, c, w < 0 ? strerror(errno) : "send");
                return;
            }
            c->sent += (size_t)w;
        }
        c->state = LOAD_READING;
        load_watch(l, c, EPOLLIN);
        return;
    }
    if (c->state != LOAD_READING || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    for (;;) {
        char tmp[65536];
        ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
        if (r < 0 && errno == EAGAIN)
            return;
        if (r <= 0) {
            load_broken(l, c, r < 0 ? strerror(errno) : "the server closed the connection");
            return;
        }
        buf_add(&c->in, tmp, (size_t)r);
        if (!c->head_len && load_parse_head(c)) {
            load_broken(l, c, "malformed response");
            return;
        }
        if (c->head_len && c->in.len >= c->head_len + (size_t)c->body_len) {
            load_finish(l, c);
            if (c->close_after) {
                load_close(l, c);
                if (load_connect(l, c)) {
                    c->state = LOAD_IDLE;
                    l->active--;
                }
            } else {
                load_start_request(l, c);
            }
            return;
        }
    }
}

static int
load_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
load_pct(const struct load_stats *s, double p)
{
    if (!s->nlat)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(s->nlat - 1) + 0.5);
    return s->lat_us[i < s->nlat ? i : s->nlat - 1];
}

static int
load_run(struct load *l)
{
    struct epoll_event evs[256];
    double cpu_self0 = 0, cpu_srv0 = 0, cpu_db0 = 0, cpu_self1, cpu_srv1, cpu_db1;
    bool measuring = false;

    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->conns = xcalloc((size_t)l->o.conns, sizeof *l->conns);
    l->t_start = time_mono_us();
    l->t_measure = l->t_start + (int64_t)(l->o.warmup * 1e6);
    l->t_stop = l->t_measure + (int64_t)(l->o.duration * 1e6);
    l->next = l->o.start;
    l->end_index = l->o.records ? l->o.start + l->o.records : 0;
    for (int64_t i = 0; i < l->o.conns; i++) {
        struct load_conn *c = &l->conns[i];
        c->out = (struct buf)BUF_INIT;
        c->in = (struct buf)BUF_INIT;
        if (load_connect(l, c)) {
            fprintf(stderr, "ingest_load: cannot connect to %s\n", l->host);
            return -1;
        }
        l->active++;
    }
    if (!l->o.warmup) {
        measuring = true;
        cpu_self0 = load_self_cpu();
        cpu_srv0 = l->o.server_pid ? load_proc_cpu(l->o.server_pid) : 0;
        cpu_db0 = load_pids_cpu(l->o.db_pids);
    }
    while (l->active) {
        int n = epoll_wait(l->ep, evs, 256, 100);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++)
            load_on_event(l, evs[i].data.ptr, evs[i].events);
        if (!measuring && time_mono_us() >= l->t_measure) {
            measuring = true;
            cpu_self0 = load_self_cpu();
            cpu_srv0 = l->o.server_pid ? load_proc_cpu(l->o.server_pid) : 0;
            cpu_db0 = load_pids_cpu(l->o.db_pids);
        }
    }
    cpu_self1 = load_self_cpu();
    cpu_srv1 = l->o.server_pid ? load_proc_cpu(l->o.server_pid) : 0;
    cpu_db1 = load_pids_cpu(l->o.db_pids);
    if (!l->t_last)
        l->t_last = time_mono_us();

    struct load_stats *s = &l->st;
    double wall = (double)(l->t_last - l->t_measure) / 1e6;
    double acked = (double)(s->accepted + s->duplicate);
    double mean = 0;
    for (size_t i = 0; i < s->nlat; i++)
        mean += s->lat_us[i];
    mean = s->nlat ? mean / (double)s->nlat : 0;
    qsort(s->lat_us, s->nlat, sizeof *s->lat_us, load_cmp);
    if (wall <= 0)
        wall = 1e-9;
    printf("mode %s%s, %lld connection(s), %.1f s measured after %.1f s warm-up\n",
           l->o.mode == LOAD_BATCH ? "batch" : "single", l->o.mode == LOAD_BATCH ? "" : " (1 sample/request)",
           (long long)l->o.conns, wall, l->o.warmup);
    if (l->o.mode == LOAD_BATCH)
        printf("batch size %lld samples, %lld sites, plan %s\n", (long long)l->o.batch, (long long)l->nsites, l->plan);
    printf("requests %lld (errors %lld, broken connections %lld); samples accepted %lld, duplicate %lld,"
           " rejected %lld\n",
           (long long)s->requests, (long long)s->errors, (long long)s->conn_errors, (long long)s->accepted,
           (long long)s->duplicate, (long long)s->rejected);
    printf("throughput: %.0f samples/s acknowledged, %.1f requests/s\n", acked / wall, (double)s->requests / wall);
    printf("ack latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
           load_pct(s, 50) / 1e3, load_pct(s, 90) / 1e3, load_pct(s, 99) / 1e3,
           s->nlat ? s->lat_us[s->nlat - 1] / 1e3 : 0.0, mean / 1e3);
    printf("cpu: client %.2f s (%.0f%% of a core)", cpu_self1 - cpu_self0, 100 * (cpu_self1 - cpu_self0) / wall);
    if (l->o.server_pid)
        printf(", server %.2f s (%.0f%%)", cpu_srv1 - cpu_srv0, 100 * (cpu_srv1 - cpu_srv0) / wall);
    if (l->o.db_pids)
        printf(", postgres backends %.2f s (%.0f%%)", cpu_db1 - cpu_db0, 100 * (cpu_db1 - cpu_db0) / wall);
    printf("\n");
    printf("RESULT {\"mode\":\"%s\",\"conns\":%lld,\"batch\":%lld,\"seconds\":%.2f,\"requests\":%lld,"
           "\"errors\":%lld,\"conn_errors\":%lld,\"accepted\":%lld,\"duplicate\":%lld,\"rejected\":%lld,"
           "\"samples_per_s\":%.0f,\"requests_per_s\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"max_ms\":%.2f,\"cpu_client_pct\":%.0f,\"cpu_server_pct\":%.0f,\"cpu_db_pct\":%.0f}\n",
           l->o.mode == LOAD_BATCH ? "batch" : "single", (long long)l->o.conns,
           (long long)(l->o.mode == LOAD_BATCH ? l->o.batch : 1), wall, (long long)s->requests, (long long)s->errors,
           (long long)s->conn_errors, (long long)s->accepted, (long long)s->duplicate, (long long)s->rejected,
           acked / wall, (double)s->requests / wall, load_pct(s, 50) / 1e3, load_pct(s, 90) / 1e3,
           load_pct(s, 99) / 1e3, s->nlat ? s->lat_us[s->nlat - 1] / 1e3 : 0.0,
           100 * (cpu_self1 - cpu_self0) / wall, l->o.server_pid ? 100 * (cpu_srv1 - cpu_srv0) / wall : 0.0,
           l->o.db_pids ? 100 * (cpu_db1 - cpu_db0) / wall : 0.0);
    fflush(stdout);
    return s->errors || s->conn_errors || s->rejected || s->requests == 0 ? 1 : 0;
}

static void
load_usage(void)
{
    fprintf(stderr,
            "usage: ingest_load --url http://HOST:PORT --token TOKEN [--mode batch|single] [--conns N]\n"
            "         [--batch N] [--duration S] [--warmup S] [--records N] [--source S] [--prefix P]\n"
            "         [--start N] [--sites A,B,...] [--plan P] [--server-pid PID] [--db-pids PID,PID,...]\n");
}

static int
load_seconds(const char *s, double *out)
{
    int64_t ms;
    /* whole or decimal seconds with up to 3 decimals, e.g. "20" or "2.5" */
    const char *dot = strchr(s, '.');
    char whole[24], frac[4] = "000";
    size_t wn = dot ? (size_t)(dot - s) : strlen(s);
    if (wn == 0 || wn >= sizeof whole)
        return -1;
    memcpy(whole, s, wn);
    whole[wn] = '\0';
    if (dot) {
        size_t fn = strlen(dot + 1);
        if (fn == 0 || fn > 3 || strspn(dot + 1, "0123456789") != fn)
            return -1;
        memcpy(frac, dot + 1, fn);
    }
    if (cstr_to_i64(whole, &ms, 0, 86400))
        return -1;
    int64_t f;
    if (cstr_to_i64(frac, &f, 0, 999))
        return -1;
    *out = (double)ms + (double)f / 1000.0;
    return 0;
}

int
main(int argc, char **argv)
{
    struct load l = { .o = { .source = "bench", .prefix = "b", .mode = LOAD_BATCH, .conns = 4, .batch = 1000,
                             .duration = 20, .warmup = 2 } };
    int rc = 2;

    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t *num = !strcmp(k, "--conns")        ? &l.o.conns
                       : !strcmp(k, "--batch")      ? &l.o.batch
                       : !strcmp(k, "--records")    ? &l.o.records
                       : !strcmp(k, "--start")      ? &l.o.start
                       : !strcmp(k, "--server-pid") ? &l.o.server_pid
                                                    : NULL;
        if (!v) {
            load_usage();
            return 2;
        }
        i++;
        if (num) {
            if (cstr_to_i64(v, num, 0, INT64_MAX / 4)) {
                fprintf(stderr, "ingest_load: %s needs a whole number\n", k);
                return 2;
            }
        } else if (!strcmp(k, "--duration") || !strcmp(k, "--warmup")) {
            if (load_seconds(v, !strcmp(k, "--duration") ? &l.o.duration : &l.o.warmup)) {
                fprintf(stderr, "ingest_load: %s needs seconds\n", k);
                return 2;
            }
        } else if (!strcmp(k, "--mode")) {
            if (strcmp(v, "batch") && strcmp(v, "single")) {
                load_usage();
                return 2;
            }
            l.o.mode = strcmp(v, "batch") ? LOAD_SINGLE : LOAD_BATCH;
        } else if (!strcmp(k, "--url")) {
            l.o.url = v;
        } else if (!strcmp(k, "--token")) {
            l.o.token = v;
        } else if (!strcmp(k, "--source")) {
            l.o.source = v;
        } else if (!strcmp(k, "--prefix")) {
            l.o.prefix = v;
        } else if (!strcmp(k, "--sites")) {
            l.o.sites_arg = v;
        } else if (!strcmp(k, "--plan")) {
            l.o.plan = v;
        } else if (!strcmp(k, "--db-pids")) {
            l.o.db_pids = v[0] ? v : NULL;
        } else {
            fprintf(stderr, "ingest_load: unknown option %s\n", k);
            load_usage();
            return 2;
        }
    }
    if (!l.o.url || !l.o.token || l.o.conns < 1 || l.o.conns > LOAD_MAX_CONNS || l.o.batch < 1 ||
        l.o.batch > 10000 || load_parse_url(&l)) {
        load_usage();
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (load_setup_sites(&l) || load_setup_plan(&l)) {
        rc = 1;
        goto out;
    }
    rc = load_run(&l) ? 1 : 0;
out:
    for (size_t i = 0; i < l.nsites; i++)
        xfree(l.sites[i]);
    if (l.conns) {
        for (int64_t i = 0; i < l.o.conns; i++) {
            buf_release(&l.conns[i].out);
            buf_release(&l.conns[i].in);
            if (l.conns[i].fd > 0)
                close(l.conns[i].fd);
        }
        xfree(l.conns);
    }
    if (l.ep > 0)
        close(l.ep);
    xfree(l.st.lat_us);
    curl_global_cleanup();
    return rc;
}
