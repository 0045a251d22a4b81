/* bench/stats_latency.c - latency of a statistics endpoint over HTTP (R2.7; issue 3
 * "statistics endpoint p99"). Optionally seeds a running server first, through its own
 * API, with a district-like shape: 15 subdistricts, N sites, one plan per day for D days,
 * and S samples spread over those days (all through the batch endpoints, so the counters are
 * the ones ingest keeps). Then it sends R sequential GET requests on one kept-alive
 * connection (after W warm-up requests) and prints p50 / p90 / p99 / max.
 *
 * Not part of the CMake build. Build and run:
 *   cc -O2 -std=c17 -D_GNU_SOURCE -Isrc bench/stats_latency.c src/core/alloc.c \
 *      src/core/buf.c src/core/str.c src/core/err.c src/core/idno.c src/core/time.c \
 *      src/core/log.c src/core/json_escape.c $(pkg-config --cflags --libs libcurl jansson) \
 *      -o stats_latency
 *   ./stats_latency --url http://127.0.0.1:8080 --token jy_… [--seed-samples 100000]
 *      [--seed-sites 300] [--days 14] [--path /api/v1/stats/overview] [--requests 5000]
 *      [--warmup 200]
 * Seeding needs a token with sites.write, plans.write, samples.write, divisions.read;
 * measuring needs stats.read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"

#define BENCH_BATCH 5000
#define BENCH_DAY_MS 86400000LL

struct bench {
    const char *url, *token, *path;
    int64_t samples, sites, days, requests, warmup;
    CURL *curl;
    struct curl_slist *headers;
    struct buf resp;
    char subs[16][16];
    size_t nsubs;
};

static size_t
bench_write(char *p, size_t size, size_t n, void *arg)
{
    buf_add(arg, p, size * n);
    return size * n;
}

/* bench_call sends method path with body (NULL: none); returns the HTTP status, the body
 * in b->resp. */
static long
bench_call(struct bench *b, const char *method, const char *path, const char *body)
{
    struct buf url = BUF_INIT;
    long status = 0;
    buf_printf(&url, "%s%s", b->url, path);
    buf_reset(&b->resp);
    curl_easy_setopt(b->curl, CURLOPT_URL, url.data);
    if (body) {
        curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, body); /* a POST */
    } else {
        curl_easy_setopt(b->curl, CURLOPT_HTTPGET, 1L);
        (void)method;
    }
    if (curl_easy_perform(b->curl) == CURLE_OK)
        curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
    buf_release(&url);
    return status;
}

static int
bench_post(struct bench *b, const char *path, json_t *items)
{
    size_t n = json_dumpb(items, NULL, 0, JSON_COMPACT);
    char *body = xmalloc(n + 1);
    long st;
    json_dumpb(items, body, n, JSON_COMPACT);
    body[n] = '\0';
    st = bench_call(b, "POST", path, body);
    json_t *r = json_loads(b->resp.data, 0, NULL);
    int rc = 0;
    if (st != 200 || !r || json_integer_value(json_object_get(r, "rejected")) != 0) {
        fprintf(stderr, "POST %s: %ld %.300s\n", path, st, b->resp.data);
        rc = -1;
    }
    json_decref(r);
    xfree(body);
    return rc;
}

static uint64_t
bench_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int
bench_seed(struct bench *b)
{
    int64_t now = (int64_t)time(NULL) * 1000, day0 = (now / BENCH_DAY_MS - (b->days - 1)) * BENCH_DAY_MS;
    json_t *items, *divs;
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    struct buf key = BUF_INIT;
    int rc = -1;

    if (bench_call(b, "GET", "/api/v1/divisions?level=2", NULL) != 200 ||
        !(divs = json_loads(b->resp.data, 0, NULL))) {
        fprintf(stderr, "GET /api/v1/divisions: %.200s\n", b->resp.data);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(json_object_get(divs, "items")) && b->nsubs < 16; i++) {
        const char *c = json_string_value(json_object_get(json_array_get(json_object_get(divs, "items"), i), "code"));
        if (c && strlen(c) < sizeof b->subs[0])
            snprintf(b->subs[b->nsubs++], sizeof b->subs[0], "%s", c);
    }
    json_decref(divs);
    if (!b->nsubs)
        return -1;

    items = json_array();
    for (int64_t i = 0; i < b->sites; i++) {
        buf_reset(&key);
        buf_printf(&key, "BS%04lld", (long long)i);
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", "bench",
                                               "external_id", key.data, "code", key.data, "name", key.data, "type",
                                               "fixed", "subdistrict", b->subs[i % (int64_t)b->nsubs], "lon",
                                               116.30 + 0.0005 * (double)(i % 100), "lat",
                                               39.90 + 0.0005 * (double)(i / 100)));
    }
    if (bench_post(b, "/api/v1/sites/batch", items))
        goto out;
    json_decref(items);
    items = json_array();
    for (int64_t d = 0; d < b->days; d++) {
        buf_reset(&key);
        buf_printf(&key, "BP%02lld", (long long)d);
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "bench", "external_id",
                                               key.data, "plan_no", key.data, "name", key.data, "starts_at",
                                               (json_int_t)(day0 + d * BENCH_DAY_MS), "ends_at",
                                               (json_int_t)(day0 + (d + 1) * BENCH_DAY_MS)));
    }
    if (bench_post(b, "/api/v1/plans/batch", items))
        goto out;
    json_decref(items);
    items = json_array();
    for (int64_t i = 0; i < b->samples; i++) {
        char first17[18], id[19], ext[24], tube[24], site[24], plan[24];
        int64_t span = now - day0 - 60000, at = day0 + (int64_t)(bench_rand(&rng) % (uint64_t)span);
        int64_t d = (at - day0) / BENCH_DAY_MS;
        snprintf(first17, sizeof first17, "110102%04d%02d%02d%03d", 1950 + (int)(i % 60), (int)(i % 12) + 1,
                 (int)(i % 28) + 1, (int)(i % 1000));
        snprintf(id, sizeof id, "%s%c", first17, idno_check_digit(first17));
        snprintf(ext, sizeof ext, "b%lld", (long long)i);
        snprintf(tube, sizeof tube, "BT%lld", (long long)(i / 10));
        snprintf(site, sizeof site, "BS%04lld", (long long)((i / 10) % b->sites));
        snprintf(plan, sizeof plan, "BP%02lld", (long long)d);
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i}", "source",
                                               "bench", "external_id", ext, "id_number", id, "name", "Bench Person",
                                               "tube_code", tube, "site_code", site, "plan_no", plan,
                                               "collected_at", (json_int_t)at, "mix_size", 10, "mix_index",
                                               (int)(i % 10) + 1));
        if (json_array_size(items) == BENCH_BATCH || i + 1 == b->samples) {
            if (bench_post(b, "/api/v1/samples/batch", items))
                goto out;
            json_decref(items);
            items = json_array();
        }
    }
    rc = 0;
out:
    json_decref(items);
    buf_release(&key);
    return rc;
}

static int
bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
    struct bench b = { .path = "/api/v1/stats/overview", .sites = 300, .days = 14, .requests = 5000,
                       .warmup = 200, .resp = BUF_INIT };
    struct buf auth = BUF_INIT;
    double *lat = NULL, t0, total = 0;
    long connects = 0;
    int rc = 1;

    for (int i = 1; i + 1 < argc; i += 2) {
        int64_t *num = !strcmp(argv[i], "--seed-samples") ? &b.samples
                       : !strcmp(argv[i], "--seed-sites") ? &b.sites
                       : !strcmp(argv[i], "--days")       ? &b.days
                       : !strcmp(argv[i], "--requests")   ? &b.requests
                       : !strcmp(argv[i], "--warmup")     ? &b.warmup
                                                          : NULL;
        if (num) {
            if (cstr_to_i64(argv[i + 1], num, 0, 100000000)) {
                fprintf(stderr, "bad number for %s\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--url")) {
            b.url = argv[i + 1];
        } else if (!strcmp(argv[i], "--token")) {
            b.token = argv[i + 1];
        } else if (!strcmp(argv[i], "--path")) {
            b.path = argv[i + 1];
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!b.url || !b.token || b.requests < 1 || b.sites < 1 || b.days < 1 || b.days > 99) {
        fprintf(stderr, "usage: stats_latency --url URL --token TOKEN [--seed-samples N] [--seed-sites N]"
                        " [--days D] [--path P] [--requests R] [--warmup W]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    b.curl = curl_easy_init();
    buf_printf(&auth, "Authorization: Bearer %s", b.token);
    b.headers = curl_slist_append(NULL, auth.data);
    b.headers = curl_slist_append(b.headers, "Content-Type: application/json");
    curl_easy_setopt(b.curl, CURLOPT_HTTPHEADER, b.headers);
    curl_easy_setopt(b.curl, CURLOPT_WRITEFUNCTION, bench_write);
    curl_easy_setopt(b.curl, CURLOPT_WRITEDATA, &b.resp);
    curl_easy_setopt(b.curl, CURLOPT_TCP_NODELAY, 1L);

    if (b.samples) {
        t0 = bench_now_us();
        if (bench_seed(&b))
            goto out;
        printf("seeded %lld sites, %lld plans, %lld samples in %.1f s\n", (long long)b.sites, (long long)b.days,
               (long long)b.samples, (bench_now_us() - t0) / 1e6);
    }
    for (int64_t i = 0; i < b.warmup; i++)
        if (bench_call(&b, "GET", b.path, NULL) != 200) {
            fprintf(stderr, "GET %s: %.300s\n", b.path, b.resp.data);
            goto out;
        }
    printf("GET %s -> %.400s\n", b.path, b.resp.data);
    lat = xcalloc((size_t)b.requests, sizeof *lat);
    for (int64_t i = 0; i < b.requests; i++) {
        double s = bench_now_us();
        if (bench_call(&b, "GET", b.path, NULL) != 200) {
            fprintf(stderr, "GET %s: %.300s\n", b.path, b.resp.data);
            goto out;
        }
        lat[i] = bench_now_us() - s;
        total += lat[i];
    }
    curl_easy_getinfo(b.curl, CURLINFO_NUM_CONNECTS, &connects);
    qsort(lat, (size_t)b.requests, sizeof *lat, bench_cmp);
    printf("%lld requests on one kept-alive connection: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us,"
           " mean %.0f us (%.0f req/s)\n",
           (long long)b.requests, lat[b.requests / 2], lat[b.requests * 90 / 100], lat[b.requests * 99 / 100],
           lat[b.requests - 1], total / (double)b.requests, 1e6 * (double)b.requests / total);
    rc = 0;
out:
    xfree(lat);
    buf_release(&auth);
    buf_release(&b.resp);
    curl_slist_free_all(b.headers);
    curl_easy_cleanup(b.curl);
    curl_global_cleanup();
    return rc;
}
