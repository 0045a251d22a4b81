/* domain/batch/batch.c - the batch test-result lookup engine (see batch.h): clean every row of a
 * resident list, look the distinct IDs up by blind index in chunks, confirm by opening the
 * sealed IDs, and hand each row with its result to a sink. It is not the HTTP batch
 * service (uploads, storage, workers) nor the xlsx export (cli/batch.c, api/): those sit on
 * top of it. Serves R4.3-R4.7 (batch query, cleaning statuses, N-day counts), S1 (only
 * blind indexes reach the database; plaintext IDs stay in memory and are wiped) and S6
 * (one audit entry per run, counts only).
 */
#include "domain/batch/batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strmap.h"
#include "core/time.h"
#include "crypto/field.h"
#include "crypto/sm.h"
#include "domain/platform/audit.h"

#define BATCH_DAY_MS 86400000LL
#define BATCH_NONE UINT32_MAX
#define BATCH_PROGRESS_EVERY 16384
#define BATCH_THREADS_MAX 16
#define BATCH_SCRATCH_CAP ((size_t)256 << 20) /* sealed IDs and tube codes of one chunk */
#define BATCH_MAX_SEALED 256                  /* a sealed ID longer than this is not an ID */

#define CAND_UNOPENED (-2)
#define CAND_OTHER (-1)

/* ---- SQL ----------------------------------------------------------------------------
 * The lookups bind BATCH_CHUNK values into an IN list. The statements are static text
 * built once, at first use, from fixed parts and numbered placeholders ("?3,?4,…"): no
 * value ever goes into SQL text. A chunk with fewer values repeats its last one.
 * NEEDSWORK: samples_person and results_tube do not cover these queries, so every candidate
 * costs a random row read; covering indexes make the lookup 2-3 times faster at district
 * scale (bench/RESULTS.md, "Batch lookup") and want a migration. On PostgreSQL a small
 * results table is scanned per chunk instead of probed (same section). */

#define BATCH_SQL_CAP 8192

static const char sql_samples_head[] =
    "SELECT id, person_bidx, collected_at, id_number, tube_code, site_id FROM samples"
    " WHERE deleted_at = 0 AND collected_at >= ?1 AND collected_at < ?2 AND person_bidx IN (";
static const char sql_results_head[] =
    "SELECT tube_code, tested_at, id, institution, result FROM results WHERE tube_code IN (";
static const char sql_sites[] = "SELECT id, code, name FROM sites ORDER BY id";

static char batch_sql_samples[BATCH_SQL_CAP], batch_sql_results[BATCH_SQL_CAP];
static pthread_once_t batch_sql_once = PTHREAD_ONCE_INIT;

static void
batch_sql_make(char *out, const char *head, int first)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, head);
    for (int i = 0; i < BATCH_CHUNK; i++)
        buf_printf(&b, i ? ",?%d" : "?%d", first + i);
    buf_addch(&b, ')');
    if (b.len >= BATCH_SQL_CAP)
        abort(); /* an invariant of the constants above */
    memcpy(out, b.data, b.len + 1);
    buf_release(&b);
}

static void
batch_sql_build(void)
{
    batch_sql_make(batch_sql_samples, sql_samples_head, 3);
    batch_sql_make(batch_sql_results, sql_results_head, 1);
}

/* ---- state ------------------------------------------------------------------------ */

enum { KEY_FOUND = 1, KEY_TESTED = 2, KEY_RESULT = 4 };

/* One distinct valid ID. id17 is the plaintext (first 17 digits): wiped before release. */
struct batch_key {
    int64_t bidx;
    uint64_t id17;
    int64_t sampled_at, sample_id, tested_at;
    const char *institution, *result; /* interned by the worker that looked it up */
    uint32_t first_num, count;
    int32_t site;                     /* index into ctx->sites, -1 = none */
    char check;
    uint8_t flags;
};

struct batch_pair {
    int64_t bidx;
    uint32_t key;
};

struct batch_site {
    int64_t id;
    char *code, *name;
};

struct batch_ctx {
    struct app *app;
    const struct batch_opts *opts;
    int64_t now, since_near, since_far, since_window; /* windows, ms */
    struct batch_key *keys;
    size_t nkeys;
    struct batch_pair *pairs;      /* keys sorted by blind index */
    size_t *chunks;                /* chunk c is pairs[chunks[c], chunks[c + 1]) */
    size_t nchunks;
    struct batch_site *sites;
    size_t nsites;
    size_t next_chunk, done_keys;  /* atomics */
    int stop;                      /* atomic: a worker failed or progress cancelled */
    const struct batch_progress *progress;
};

struct batch_cand {
    int64_t bidx, sample_id, collected_at, site_id;
    uint32_t blob_off, blob_len, tube_off, tube_len;
    int32_t key; /* CAND_UNOPENED, CAND_OTHER or the matching key */
    int32_t pos; /* when matched: the key's position in the chunk (its slot) */
};

/* A key of the chunk being looked up and its cursor over candidate samples. */
struct batch_slot {
    uint32_t key;
    size_t lo, hi, cur;
    bool need_result, need_far;
};

struct batch_req {
    uint32_t tube_off, tube_len;
    size_t slot;
    int64_t tested_at, result_id;
    const char *institution, *result;
};

struct batch_worker {
    struct batch_ctx *ctx;
    struct db *db;
    bool own_db;
    pthread_t thread;
    bool started;
    struct strmap intern;
    struct buf scratch;
    struct batch_cand *cands;
    size_t ncands, capcands;
    struct batch_slot *slots;
    struct batch_req *reqs;
    size_t nreqs, capreqs;
    int64_t *bidx;
    size_t samples_read, samples_opened, collisions;
    int64_t fetch_us, open_us, results_us;
    int rc;
};

static int64_t
batch_days_ms(int days)
{
    return (int64_t)days * BATCH_DAY_MS;
}

static const char *
batch_intern(struct batch_worker *w, const char *s, size_t n)
{
    const char *k = strmap_get(&w->intern, s ? s : "", s ? n : 0);
    if (k)
        return k;
    k = strmap_put(&w->intern, s ? s : "", s ? n : 0, (void *)1);
    strmap_put(&w->intern, k, n, (void *)k);
    return k;
}

static void
batch_id_text(const struct batch_key *k, char out[IDNO_LEN + 1])
{
    uint64_t v = k->id17;
    for (int i = 16; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[17] = k->check;
    out[18] = '\0';
}

/* ---- pass 1: read and clean ------------------------------------------------------- */

/* A hash set of the distinct IDs seen so far: slot = key index + 1 (0 = empty). */
struct batch_seen {
    uint32_t *slots;
    size_t cap, len;
};

static uint64_t
batch_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void batch_seen_grow(struct batch_seen *s, const struct batch_key *keys);

/* batch_seen_find returns the key index of id17, or BATCH_NONE after inserting `next`. */
static uint32_t
batch_seen_add(struct batch_seen *s, const struct batch_key *keys, uint64_t id17, uint32_t next)
{
    if ((s->len + 1) * 2 > s->cap)
        batch_seen_grow(s, keys);
    size_t mask = s->cap - 1, i = (size_t)batch_hash(id17) & mask;
    while (s->slots[i]) {
        if (keys[s->slots[i] - 1].id17 == id17)
            return s->slots[i] - 1;
        i = (i + 1) & mask;
    }
    s->slots[i] = next + 1;
    s->len++;
    return BATCH_NONE;
}

static void
batch_seen_grow(struct batch_seen *s, const struct batch_key *keys)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    uint32_t *slots = xcalloc(cap, sizeof *slots);
    for (size_t j = 0; j < s->cap; j++) {
        if (!s->slots[j])
            continue;
        size_t i = (size_t)batch_hash(keys[s->slots[j] - 1].id17) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = s->slots[j];
    }
    xfree(s->slots);
    s->slots = slots;
    s->cap = cap;
}

static enum batch_row_kind
batch_kind(const struct columns *cols, uint64_t num)
{
    if (!cols->header_row)
        return BATCH_ROW_DATA;
    if (num < cols->header_row)
        return BATCH_ROW_TITLE;
    return num == cols->header_row ? BATCH_ROW_HEADER : BATCH_ROW_DATA;
}

static bool
batch_valid(enum idno_status st)
{
    return st == IDNO_OK || st == IDNO_FIXED || st == IDNO_CONVERTED_15;
}

/* ---- lookup ----------------------------------------------------------------------- */

static int
batch_cand_cmp_key(const void *pa, const void *pb)
{
    const struct batch_cand *a = pa, *b = pb;
    /* matched first, by slot; then newest first */
    if ((a->key < 0) != (b->key < 0))
        return a->key < 0 ? 1 : -1;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    if (a->collected_at != b->collected_at)
        return a->collected_at > b->collected_at ? -1 : 1;
    return a->sample_id > b->sample_id ? -1 : a->sample_id < b->sample_id;
}

static int
batch_cand_cmp_bidx(const void *pa, const void *pb)
{
    const struct batch_cand *a = pa, *b = pb;
    if (a->bidx != b->bidx)
        return a->bidx < b->bidx ? -1 : 1;
    if (a->collected_at != b->collected_at)
        return a->collected_at > b->collected_at ? -1 : 1;
    return a->sample_id > b->sample_id ? -1 : a->sample_id < b->sample_id;
}

static int
batch_pair_cmp(const void *pa, const void *pb)
{
    const struct batch_pair *a = pa, *b = pb;
    if (a->bidx != b->bidx)
        return a->bidx < b->bidx ? -1 : 1;
    return a->key < b->key ? -1 : a->key > b->key;
}

/* batch_fetch appends the samples of blind indexes bidx[0..n) collected in [lo, hi). */
static int
batch_fetch(struct batch_worker *w, const int64_t *bidx, size_t n, int64_t lo, int64_t hi)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = 0;
    int64_t t0 = time_mono_us();

    for (size_t off = 0; off < n && !rc; off += BATCH_CHUNK) {
        if ((rc = db_prepare(w->db, batch_sql_samples, &st)) || (rc = db_bind_i64(st, 1, lo)) ||
            (rc = db_bind_i64(st, 2, hi)))
            break;
        for (size_t j = 0; j < BATCH_CHUNK && !rc; j++)
            rc = db_bind_i64(st, (int)(3 + j), bidx[off + j < n ? off + j : n - 1]);
        while (!rc && !(rc = db_step(st, &row)) && row) {
            size_t blen = 0, tlen = 0;
            const void *blob = db_col_blob(st, 3, &blen);
            const char *tube = db_col_text(st, 4, &tlen);
            if (w->ncands == w->capcands) {
                w->capcands = w->capcands ? 2 * w->capcands : 4096;
                w->cands = xrealloc(w->cands, w->capcands * sizeof *w->cands);
            }
            struct batch_cand *c = &w->cands[w->ncands++];
            c->sample_id = db_col_i64(st, 0);
            c->bidx = db_col_i64(st, 1);
            c->collected_at = db_col_i64(st, 2);
            c->site_id = db_col_i64(st, 5);
            c->key = CAND_UNOPENED;
            c->pos = -1;
            if (blen > BATCH_MAX_SEALED)
                blen = 0; /* cannot be an ID: fails to open, counted as a collision */
            c->blob_off = (uint32_t)w->scratch.len;
            c->blob_len = (uint32_t)blen;
            buf_add(&w->scratch, blob, blen);
            c->tube_off = (uint32_t)w->scratch.len;
            c->tube_len = (uint32_t)tlen;
            buf_add(&w->scratch, tube, tlen);
            if (buf_error(&w->scratch))
                rc = ERR_TOO_LARGE;
            w->samples_read++;
        }
        db_done(st);
        st = NULL;
    }
    w->fetch_us += time_mono_us() - t0;
    return rc;
}

/* batch_open opens candidate c and tells which key of the chunk (pairs[plo, phi)) it is. */
static void
batch_open(struct batch_worker *w, const struct batch_pair *pairs, size_t plo, size_t phi,
           struct batch_cand *c)
{
    struct batch_ctx *ctx = w->ctx;
    uint8_t plain[BATCH_MAX_SEALED];
    size_t n = 0, a = plo, b = phi;

    c->key = CAND_OTHER;
    w->samples_opened++;
    while (a < b) { /* first pair with this blind index */
        size_t m = a + (b - a) / 2;
        if (pairs[m].bidx < c->bidx)
            a = m + 1;
        else
            b = m;
    }
    if (field_open(&ctx->app->keys, "samples.id_number", (const uint8_t *)w->scratch.data + c->blob_off,
                   c->blob_len, plain, sizeof plain, &n) == 0 &&
        n == IDNO_LEN) {
        uint64_t v = 0;
        bool digits = true;
        for (int i = 0; i < 17; i++) {
            digits &= plain[i] >= '0' && plain[i] <= '9';
            v = v * 10 + (uint64_t)(plain[i] - '0');
        }
        for (size_t i = a; digits && i < phi && pairs[i].bidx == c->bidx; i++) {
            const struct batch_key *k = &ctx->keys[pairs[i].key];
            if (k->id17 == v && k->check == (char)plain[17]) {
                c->key = (int32_t)pairs[i].key;
                c->pos = (int32_t)(i - plo);
                break;
            }
        }
    }
    if (c->key == CAND_OTHER)
        w->collisions++;
    wipe(plain, sizeof plain);
}

/* batch_next returns the index of the next candidate of slot s (at or after its cursor)
 * that is confirmed to be its person, opening candidates as needed; -1 when none. */
static long
batch_next(struct batch_worker *w, const struct batch_pair *pairs, size_t plo, size_t phi, struct batch_slot *s)
{
    for (; s->cur < s->hi; s->cur++) {
        struct batch_cand *c = &w->cands[s->cur];
        if (c->key == CAND_UNOPENED)
            batch_open(w, pairs, plo, phi, c);
        if (c->key == (int32_t)s->key)
            return (long)s->cur;
    }
    return -1;
}

static int
batch_req_cmp(const void *pa, const void *pb, void *arg)
{
    const struct batch_req *a = pa, *b = pb;
    const char *base = arg;
    size_t n = a->tube_len < b->tube_len ? a->tube_len : b->tube_len;
    int c = memcmp(base + a->tube_off, base + b->tube_off, n);
    if (c)
        return c;
    return a->tube_len < b->tube_len ? -1 : a->tube_len > b->tube_len;
}

/* batch_results fills each request with the latest result of its tube (tested_at <= now). */
static int
batch_results(struct batch_worker *w)
{
    const char *base = w->scratch.data;
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = 0;
    size_t i = 0;

    int64_t t0 = time_mono_us();
    qsort_r(w->reqs, w->nreqs, sizeof *w->reqs, batch_req_cmp, (void *)base);
    while (i < w->nreqs && !rc) {
        size_t first = i, nbound = 0;
        if ((rc = db_prepare(w->db, batch_sql_results, &st)))
            break;
        const struct batch_req *last = NULL;
        for (; i < w->nreqs && nbound < BATCH_CHUNK && !rc; i++) {
            const struct batch_req *r = &w->reqs[i];
            if (last && batch_req_cmp(last, r, (void *)base) == 0)
                continue;
            rc = db_bind_text(st, (int)(1 + nbound++), base + r->tube_off, r->tube_len);
            last = r;
        }
        for (size_t j = nbound; j < BATCH_CHUNK && !rc; j++)
            rc = db_bind_text(st, (int)(1 + j), base + last->tube_off, last->tube_len);
        while (!rc && !(rc = db_step(st, &row)) && row) {
            size_t tlen = 0;
            const char *tube = db_col_text(st, 0, &tlen);
            int64_t tested = db_col_i64(st, 1), rid = db_col_i64(st, 2);
            if (!tube || tested > w->ctx->now)
                continue;
            /* binary search among this statement's requests [first, i) */
            size_t a = first, b = i;
            while (a < b) {
                size_t m = a + (b - a) / 2;
                const struct batch_req *r = &w->reqs[m];
                size_t n = r->tube_len < tlen ? r->tube_len : tlen;
                int c = memcmp(base + r->tube_off, tube, n);
                if (!c)
                    c = r->tube_len < tlen ? -1 : r->tube_len > tlen;
                if (c < 0)
                    a = m + 1;
                else
                    b = m;
            }
            for (size_t m = a; m < i; m++) {
                struct batch_req *r = &w->reqs[m];
                if (r->tube_len != tlen || memcmp(base + r->tube_off, tube, tlen) != 0)
                    break;
                if (r->result && (tested < r->tested_at || (tested == r->tested_at && rid < r->result_id)))
                    continue;
                size_t n = 0;
                const char *s = db_col_text(st, 3, &n);
                r->institution = batch_intern(w, s, n);
                s = db_col_text(st, 4, &n);
                r->result = batch_intern(w, s, n);
                r->tested_at = tested;
                r->result_id = rid;
            }
        }
        db_done(st);
        st = NULL;
    }
    w->results_us += time_mono_us() - t0;
    return rc;
}

/* batch_result_rounds finds, for every slot with need_result, the latest result among
 * its confirmed candidates, newest sample first; a slot whose candidates run out gets
 * need_far (when far is true). */
static int
batch_result_rounds(struct batch_worker *w, const struct batch_pair *pairs, size_t plo, size_t phi,
                    size_t nslots, bool far)
{
    int rc = 0;
    for (;;) {
        w->nreqs = 0;
        for (size_t i = 0; i < nslots; i++) {
            struct batch_slot *s = &w->slots[i];
            if (!s->need_result)
                continue;
            long c = batch_next(w, pairs, plo, phi, s);
            if (c < 0) {
                s->need_result = false;
                s->need_far = far;
                continue;
            }
            if (w->nreqs == w->capreqs) {
                w->capreqs = w->capreqs ? 2 * w->capreqs : 1024;
                w->reqs = xrealloc(w->reqs, w->capreqs * sizeof *w->reqs);
            }
            w->reqs[w->nreqs++] = (struct batch_req){ w->cands[c].tube_off, w->cands[c].tube_len, i, 0, 0, NULL, NULL };
        }
        if (!w->nreqs)
            break;
        if ((rc = batch_results(w)))
            break;
        for (size_t r = 0; r < w->nreqs; r++) {
            struct batch_req *q = &w->reqs[r];
            struct batch_slot *s = &w->slots[q->slot];
            if (q->result) {
                struct batch_key *k = &w->ctx->keys[s->key];
                k->tested_at = q->tested_at;
                k->institution = q->institution;
                k->result = q->result;
                k->flags |= KEY_RESULT;
                s->need_result = false;
            } else {
                s->cur++; /* pending: try the person's previous sample */
            }
        }
    }
    return rc;
}

static int32_t
batch_site_index(const struct batch_ctx *ctx, int64_t id)
{
    size_t a = 0, b = ctx->nsites;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (ctx->sites[m].id < id)
            a = m + 1;
        else
            b = m;
    }
    return a < ctx->nsites && ctx->sites[a].id == id ? (int32_t)a : -1;
}

static void
batch_set_latest(struct batch_ctx *ctx, struct batch_key *k, const struct batch_cand *c)
{
    k->flags |= KEY_FOUND;
    if (c->collected_at >= ctx->since_window)
        k->flags |= KEY_TESTED;
    k->sampled_at = c->collected_at;
    k->sample_id = c->sample_id;
    k->site = batch_site_index(ctx, c->site_id);
}

/* batch_chunk looks up the keys pairs[plo, phi). */
static int
batch_chunk(struct batch_worker *w, size_t plo, size_t phi)
{
    struct batch_ctx *ctx = w->ctx;
    const struct batch_pair *pairs = ctx->pairs;
    size_t nslots = phi - plo, nb = 0, nA;
    int rc;

    w->ncands = 0;
    buf_reset(&w->scratch);
    for (size_t i = plo; i < phi; i++)
        if (i == plo || pairs[i].bidx != pairs[i - 1].bidx)
            w->bidx[nb++] = pairs[i].bidx;
    /* near window: every sample is opened (all of them count) */
    if ((rc = batch_fetch(w, w->bidx, nb, ctx->since_near, ctx->now + 1)))
        return rc;
    int64_t t0 = time_mono_us();
    for (size_t i = 0; i < w->ncands; i++)
        batch_open(w, pairs, plo, phi, &w->cands[i]);
    w->open_us += time_mono_us() - t0;
    qsort(w->cands, w->ncands, sizeof *w->cands, batch_cand_cmp_key);
    nA = w->ncands;
    size_t c = 0;
    for (size_t i = 0; i < nslots; i++) {
        uint32_t key = pairs[plo + i].key;
        struct batch_key *k = &ctx->keys[key];
        struct batch_slot *s = &w->slots[i];
        while (c < nA && w->cands[c].key >= 0 && (size_t)w->cands[c].pos < i)
            c++;
        s->key = key;
        s->lo = s->cur = c;
        while (c < nA && w->cands[c].key >= 0 && (size_t)w->cands[c].pos == i)
            c++;
        s->hi = c;
        s->need_result = true;
        s->need_far = false;
        if (s->hi > s->lo)
            batch_set_latest(ctx, k, &w->cands[s->lo]);
        /* 近N天检测次数: distinct tubes (a re-scan of one tube is not a second test) */
        uint32_t count = 0;
        for (size_t j = s->lo; j < s->hi; j++) {
            const struct batch_cand *x = &w->cands[j];
            bool seen = false;
            if (x->collected_at < ctx->since_near)
                continue;
            for (size_t p = s->lo; p < j && p < s->lo + 64 && !seen; p++)
                seen = w->cands[p].tube_len == x->tube_len &&
                       memcmp(w->scratch.data + w->cands[p].tube_off, w->scratch.data + x->tube_off,
                              x->tube_len) == 0;
            count += !seen;
        }
        k->count = count;
    }
    if ((rc = batch_result_rounds(w, pairs, plo, phi, nslots, ctx->since_far < ctx->since_near)))
        return rc;
    /* far window: only for people with no sample or no result in the near one; opened
     * lazily, newest first, until the latest sample and the latest result are known */
    if (ctx->since_far >= ctx->since_near)
        return 0;
    nb = 0;
    for (size_t i = 0; i < nslots; i++) {
        struct batch_slot *s = &w->slots[i];
        if (s->hi == s->lo)
            s->need_far = true;
        if (s->need_far && (nb == 0 || w->bidx[nb - 1] != pairs[plo + i].bidx))
            w->bidx[nb++] = pairs[plo + i].bidx;
    }
    if (!nb)
        return 0;
    if ((rc = batch_fetch(w, w->bidx, nb, ctx->since_far, ctx->since_near)))
        return rc;
    qsort(w->cands + nA, w->ncands - nA, sizeof *w->cands, batch_cand_cmp_bidx);
    for (size_t i = 0; i < nslots; i++) {
        struct batch_slot *s = &w->slots[i];
        if (!s->need_far)
            continue;
        int64_t bidx = pairs[plo + i].bidx;
        size_t a = nA, b = w->ncands;
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (w->cands[m].bidx < bidx)
                a = m + 1;
            else
                b = m;
        }
        s->lo = s->cur = a;
        while (b < w->ncands && w->cands[b].bidx == bidx)
            b++;
        s->hi = b;
        bool had_latest = ctx->keys[s->key].flags & KEY_FOUND;
        s->need_result = !(ctx->keys[s->key].flags & KEY_RESULT);
        if (!had_latest) {
            long x = batch_next(w, pairs, plo, phi, s);
            if (x >= 0)
                batch_set_latest(ctx, &ctx->keys[s->key], &w->cands[x]);
        }
    }
    return batch_result_rounds(w, pairs, plo, phi, nslots, false);
}

static int
batch_progress_call(struct batch_ctx *ctx, const char *stage, uint64_t done, uint64_t total)
{
    if (!ctx->progress || !ctx->progress->fn)
        return 0;
    return ctx->progress->fn(ctx->progress->arg, stage, done, total);
}

static void *
batch_worker_run(void *arg)
{
    struct batch_worker *w = arg;
    struct batch_ctx *ctx = w->ctx;
    bool main_thread = !w->own_db;
    int rc = 0;

    for (;;) {
        if (__atomic_load_n(&ctx->stop, __ATOMIC_RELAXED))
            break;
        size_t c = __atomic_fetch_add(&ctx->next_chunk, 1, __ATOMIC_RELAXED);
        if (c >= ctx->nchunks)
            break;
        if ((rc = batch_chunk(w, ctx->chunks[c], ctx->chunks[c + 1]))) {
            __atomic_store_n(&ctx->stop, 1, __ATOMIC_RELAXED);
            break;
        }
        size_t done = __atomic_add_fetch(&ctx->done_keys, ctx->chunks[c + 1] - ctx->chunks[c], __ATOMIC_RELAXED);
        if (main_thread && (c % 16) == 0 && (rc = batch_progress_call(ctx, "lookup", done, ctx->nkeys))) {
            __atomic_store_n(&ctx->stop, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    w->rc = rc;
    if (!main_thread)
        crypto_thread_release();
    return NULL;
}

static void
batch_worker_release(struct batch_worker *w)
{
    strmap_release(&w->intern);
    buf_release_secret(&w->scratch);
    xfree(w->cands);
    xfree(w->slots);
    xfree(w->reqs);
    xfree(w->bidx);
}

static int
batch_load_sites(struct batch_ctx *ctx, struct db *db)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t cap = 0;
    int rc;

    if ((rc = db_prepare(db, sql_sites, &st)))
        return rc;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const char *s;
        if (ctx->nsites == cap) {
            cap = cap ? 2 * cap : 256;
            ctx->sites = xrealloc(ctx->sites, cap * sizeof *ctx->sites);
        }
        struct batch_site *site = &ctx->sites[ctx->nsites++];
        site->id = db_col_i64(st, 0);
        s = db_col_text(st, 1, &n);
        site->code = xstrndup(s ? s : "", s ? n : 0);
        s = db_col_text(st, 2, &n);
        site->name = xstrndup(s ? s : "", s ? n : 0);
    }
    db_done(st);
    return rc;
}

/* Index stage: blind indexes in parallel slices. */
struct batch_index_job {
    struct batch_ctx *ctx;
    size_t lo, hi;
    pthread_t thread;
    int rc;
};

static void *
batch_index_run(void *arg)
{
    struct batch_index_job *j = arg;
    const struct keyring *kr = &j->ctx->app->keys;
    char id[IDNO_LEN + 1];
    for (size_t i = j->lo; i < j->hi; i++) {
        struct batch_key *k = &j->ctx->keys[i];
        batch_id_text(k, id);
        if (blind_index_with(&kr->keys[0], "idno", id, IDNO_LEN, &k->bidx)) {
            j->rc = ERR_CRYPTO;
            break;
        }
        j->ctx->pairs[i] = (struct batch_pair){ k->bidx, (uint32_t)i };
    }
    wipe(id, sizeof id);
    return NULL;
}

static int
batch_index(struct batch_ctx *ctx, unsigned threads)
{
    struct batch_index_job jobs[BATCH_THREADS_MAX];
    int rc = 0;

    ctx->pairs = xcalloc(ctx->nkeys ? ctx->nkeys : 1, sizeof *ctx->pairs);
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (struct batch_index_job){ ctx, ctx->nkeys * t / threads, ctx->nkeys * (t + 1) / threads, 0, 0 };
    unsigned started = 1;
    for (unsigned t = 1; t < threads; t++, started++)
        if (pthread_create(&jobs[t].thread, NULL, batch_index_run, &jobs[t])) {
            jobs[t].rc = ERR_INTERNAL;
            break;
        }
    batch_index_run(&jobs[0]);
    for (unsigned t = 1; t < started; t++)
        pthread_join(jobs[t].thread, NULL);
    if (started < threads)
        rc = ERR_INTERNAL;
    for (unsigned t = 0; t < started; t++)
        if (jobs[t].rc)
            rc = jobs[t].rc;
    if (rc)
        return rc;
    qsort(ctx->pairs, ctx->nkeys, sizeof *ctx->pairs, batch_pair_cmp);
    /* chunks of at most BATCH_CHUNK distinct blind indexes; a blind index never spans two */
    ctx->chunks = xcalloc(ctx->nkeys / BATCH_CHUNK + 2, sizeof *ctx->chunks);
    size_t distinct = 0;
    for (size_t i = 0; i < ctx->nkeys; i++) {
        if (i && ctx->pairs[i].bidx == ctx->pairs[i - 1].bidx)
            continue;
        if (distinct++ % BATCH_CHUNK == 0)
            ctx->chunks[ctx->nchunks++] = i;
    }
    ctx->chunks[ctx->nchunks] = ctx->nkeys;
    return 0;
}

static int
batch_lookup(struct batch_ctx *ctx, struct db *db, unsigned threads, struct batch_stats *st,
             struct batch_worker *workers)
{
    int rc = 0;
    unsigned started = 1;

    for (unsigned t = 0; t < threads; t++) {
        struct batch_worker *w = &workers[t];
        w->ctx = ctx;
        w->intern = (struct strmap)STRMAP_INIT;
        buf_init(&w->scratch, BATCH_SCRATCH_CAP);
        w->slots = xcalloc(BATCH_CHUNK * 2 + 1, sizeof *w->slots);
        w->bidx = xcalloc(BATCH_CHUNK, sizeof *w->bidx);
        w->db = db;
    }
    /* a chunk holds at most BATCH_CHUNK distinct blind indexes; keys sharing one (a true
       collision of two different IDs in one upload) are very rare: size slots for them */
    for (size_t c = 0; c < ctx->nchunks; c++) {
        size_t n = ctx->chunks[c + 1] - ctx->chunks[c];
        if (n > BATCH_CHUNK * 2 + 1)
            for (unsigned t = 0; t < threads; t++)
                workers[t].slots = xrealloc(workers[t].slots, n * sizeof *workers[t].slots);
    }
    for (unsigned t = 1; t < threads; t++, started++) {
        workers[t].db = db_pool_get(ctx->opts->pool);
        workers[t].own_db = true;
        if (pthread_create(&workers[t].thread, NULL, batch_worker_run, &workers[t])) {
            db_pool_put(ctx->opts->pool, workers[t].db);
            workers[t].db = NULL;
            __atomic_store_n(&ctx->stop, 1, __ATOMIC_RELAXED);
            rc = ERR_INTERNAL;
            break;
        }
        workers[t].started = true;
    }
    batch_worker_run(&workers[0]);
    for (unsigned t = 1; t < started; t++) {
        pthread_join(workers[t].thread, NULL);
        db_pool_put(ctx->opts->pool, workers[t].db);
        workers[t].db = NULL;
    }
    for (unsigned t = 0; t < started; t++) {
        if (workers[t].rc && !rc)
            rc = workers[t].rc;
        st->samples_read += workers[t].samples_read;
        st->samples_opened += workers[t].samples_opened;
        st->collisions += workers[t].collisions;
        st->fetch_us += workers[t].fetch_us;
        st->open_us += workers[t].open_us;
        st->results_us += workers[t].results_us;
    }
    if (!rc)
        rc = batch_progress_call(ctx, "lookup", ctx->nkeys, ctx->nkeys);
    return rc;
}

/* ---- the run ---------------------------------------------------------------------- */

static void
batch_fill_result(const struct batch_ctx *ctx, const struct batch_key *k, struct batch_result *r)
{
    const struct batch_site *site = k->site >= 0 ? &ctx->sites[k->site] : NULL;
    r->found = k->flags & KEY_FOUND;
    r->tested = k->flags & KEY_TESTED;
    r->count = k->count;
    r->sampled_at = k->sampled_at;
    r->tested_at = k->flags & KEY_RESULT ? k->tested_at : 0;
    r->institution = k->flags & KEY_RESULT ? k->institution : "";
    r->result = k->flags & KEY_RESULT ? k->result : "";
    r->site_code = site ? site->code : "";
    r->site_name = site ? site->name : "";
}

static int
batch_fail(struct buf *why, int rc, const char *msg)
{
    if (why && !why->len)
        buf_adds(why, msg);
    return rc;
}

/* ---- pass 2 ------------------------------------------------------------------------ */

/* What pass 2 needs to turn a source row into a sink row. */
struct batch_emit {
    struct batch_ctx *ctx;
    struct batch_stats *st;
    const struct batch_sink *sink;
    const uint8_t *row_status;
    const uint32_t *row_key;
    uint64_t nrows, all_rows;
    uint64_t index, seen;      /* data rows and rows handed over so far */
    struct buf *why;
};

static int
batch_emit_row(struct batch_emit *em, const struct table_row *row)
{
    const struct batch_ctx *ctx = em->ctx;
    struct batch_result res;
    struct batch_row br = { batch_kind(&em->st->cols, row->num), row->num, 0, row->cells, row->ncells,
                            em->st->cols.id, IDNO_EMPTY, 0, NULL };
    int rc;

    if (br.kind == BATCH_ROW_DATA) {
        if (em->index >= em->nrows)
            return batch_fail(em->why, ERR_INVALID, "the list changed while it was being read");
        br.index = em->index;
        br.status = (enum idno_status)em->row_status[em->index];
        if (em->row_key[em->index] != BATCH_NONE) {
            const struct batch_key *k = &ctx->keys[em->row_key[em->index]];
            batch_fill_result(ctx, k, &res);
            br.result = &res;
            if (br.status == IDNO_DUPLICATE)
                br.first_num = k->first_num;
        }
        em->index++;
    }
    if ((rc = em->sink->row(em->sink->arg, &br)))
        return rc;
    em->seen++;
    if (em->seen % BATCH_PROGRESS_EVERY == 0)
        return batch_progress_call(em->ctx, "write", em->seen, em->all_rows);
    return 0;
}

static int
batch_pass2_direct(struct batch_emit *em, const struct batch_source *src)
{
    struct table_row row;
    int64_t r0 = time_mono_us();
    int rc;

    while (!(rc = src->next(src->arg, &row, em->why)) && row.cells) {
        em->st->t.reread_us += time_mono_us() - r0;
        if ((rc = batch_emit_row(em, &row)))
            return rc;
        r0 = time_mono_us();
    }
    return rc;
}

/* The piped pass 2: a reader thread parses the source into blocks of rows (copies) while
 * this thread hands them to the sink, so parsing overlaps with the sink's own work. */
#define BATCH_BLOCK_ROWS 512
#define BATCH_RING 4

struct batch_cell_ref {
    size_t off, n;
};

struct batch_block {
    struct buf text;                 /* the cells' bytes, each followed by a NUL */
    struct batch_cell_ref *cells;
    uint8_t *kinds;                  /* beside cells (io/table.h table_row.kinds) */
    size_t ncells, capcells;
    uint64_t num[BATCH_BLOCK_ROWS];
    size_t first[BATCH_BLOCK_ROWS + 1];
    size_t nrows;
    bool last;                       /* the source ended (or failed: rc) after these rows */
    int rc;
};

struct batch_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch_block blocks[BATCH_RING];
    size_t head, count;              /* filled blocks: head .. head + count - 1 */
    bool stop;                       /* the consumer gave up */
    const struct batch_source *src;
    struct buf why;
    int64_t read_us;
};

static void *
batch_pipe_reader(void *arg)
{
    struct batch_pipe *p = arg;
    size_t slot = 0;
    bool end = false;

    while (!end) {
        pthread_mutex_lock(&p->mu);
        while (p->count == BATCH_RING && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        struct batch_block *b = &p->blocks[slot];
        buf_reset(&b->text);
        b->ncells = b->nrows = 0;
        b->last = false;
        b->rc = 0;
        while (b->nrows < BATCH_BLOCK_ROWS) {
            struct table_row row;
            int64_t r0 = time_mono_us();
            int rc = p->src->next(p->src->arg, &row, &p->why);
            p->read_us += time_mono_us() - r0;
            if (rc || !row.cells) {
                b->rc = rc;
                b->last = end = true;
                break;
            }
            b->num[b->nrows] = row.num;
            b->first[b->nrows] = b->ncells;
            for (size_t i = 0; i < row.ncells; i++) {
                if (b->ncells == b->capcells) {
                    b->capcells = b->capcells ? 2 * b->capcells : 4096;
                    b->cells = xrealloc(b->cells, b->capcells * sizeof *b->cells);
                    b->kinds = xrealloc(b->kinds, b->capcells);
                }
                b->kinds[b->ncells] = row.kinds[i];
                b->cells[b->ncells++] = (struct batch_cell_ref){ b->text.len, row.cells[i].n };
                buf_add(&b->text, row.cells[i].p, row.cells[i].n);
                buf_addch(&b->text, '\0');
            }
            b->nrows++;
            if (buf_error(&b->text)) {
                b->rc = ERR_TOO_LARGE;
                b->last = end = true;
                break;
            }
        }
        b->first[b->nrows] = b->ncells;
        pthread_mutex_lock(&p->mu);
        p->count++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        slot = (slot + 1) % BATCH_RING;
    }
    return NULL;
}

static int
batch_pass2_piped(struct batch_emit *em, const struct batch_source *src)
{
    struct batch_pipe p = { .src = src };
    struct str cells[TABLE_MAX_COLS + 1];
    pthread_t reader;
    bool done = false;
    int rc = 0;

    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    buf_init(&p.why, 4096);
    for (size_t i = 0; i < BATCH_RING; i++)
        buf_init(&p.blocks[i].text, (size_t)64 << 20);
    if (pthread_create(&reader, NULL, batch_pipe_reader, &p)) {
        rc = ERR_INTERNAL;
        goto out;
    }
    while (!done && !rc) {
        pthread_mutex_lock(&p.mu);
        while (p.count == 0)
            pthread_cond_wait(&p.cv, &p.mu);
        struct batch_block *b = &p.blocks[p.head];
        pthread_mutex_unlock(&p.mu);
        for (size_t r = 0; r < b->nrows && !rc; r++) {
            size_t n = b->first[r + 1] - b->first[r];
            if (n > TABLE_MAX_COLS + 1) {
                rc = ERR_TOO_LARGE;
                break;
            }
            for (size_t i = 0; i < n; i++) {
                const struct batch_cell_ref *c = &b->cells[b->first[r] + i];
                cells[i] = (struct str){ b->text.data + c->off, c->n };
            }
            struct table_row row = { cells, b->kinds + b->first[r], n, b->num[r] };
            rc = batch_emit_row(em, &row);
        }
        if (!rc && b->last) {
            rc = b->rc;
            done = true;
        }
        pthread_mutex_lock(&p.mu);
        p.head = (p.head + 1) % BATCH_RING;
        p.count--;
        if (rc)
            p.stop = true;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    pthread_mutex_lock(&p.mu);
    p.stop = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    pthread_join(reader, NULL);
    em->st->t.reread_us += p.read_us;
    if (p.why.len && em->why && !em->why->len)
        buf_add(em->why, p.why.data, p.why.len);
out:
    for (size_t i = 0; i < BATCH_RING; i++) {
        buf_release_secret(&p.blocks[i].text); /* the user's cells */
        xfree(p.blocks[i].cells);
        xfree(p.blocks[i].kinds);
    }
    buf_release(&p.why);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

int
batch_run(struct app *app, struct db *db, const struct actor *a, const struct batch_source *src,
          const struct batch_opts *opts, const struct batch_sink *sink,
          const struct batch_progress *progress, struct batch_stats *stp, struct buf *why)
{
    struct batch_opts o = opts ? *opts : (struct batch_opts){ 0 };
    struct batch_stats st_local, *st = stp ? stp : &st_local;
    struct batch_ctx ctx = { 0 };
    struct batch_worker workers[BATCH_THREADS_MAX];
    struct batch_seen seen = { 0 };
    struct buf why_local = BUF_INIT, *w = why ? why : &why_local;
    uint8_t *row_status = NULL;
    uint32_t *row_key = NULL;
    size_t cap_rows = 0, cap_keys = 0;
    uint64_t nrows = 0, all_rows = 0;
    struct table_row row;
    struct columns cols2;
    bool open = false;
    int64_t t0 = time_mono_us(), t1, t2;
    char id[IDNO_LEN + 1];
    char target[64], detail[160];
    int rc;

    memset(st, 0, sizeof *st);
    memset(workers, 0, sizeof workers);
    st->cols = (struct columns)COLUMNS_INIT;
    if (!o.days_window)
        o.days_window = BATCH_DAYS_WINDOW_DEFAULT;
    if (!o.days_count)
        o.days_count = BATCH_DAYS_COUNT_DEFAULT;
    if (!o.threads)
        o.threads = 1;
    if (o.days_window < 1 || o.days_window > BATCH_DAYS_MAX || o.days_count < 1 ||
        o.days_count > BATCH_DAYS_MAX || o.threads > BATCH_THREADS_MAX || (o.threads > 1 && !o.pool) || !src ||
        !src->open || !src->next || !src->close) {
        rc = batch_fail(w, ERR_INVALID, "batch options are not valid");
        goto out;
    }
    if (!app->keys.n) {
        rc = batch_fail(w, ERR_CRYPTO, "no data key is loaded");
        goto out;
    }
    pthread_once(&batch_sql_once, batch_sql_build);
    st->days_window = o.days_window;
    st->days_count = o.days_count;
    ctx.app = app;
    ctx.opts = &o;
    ctx.progress = progress;
    ctx.now = o.now_ms ? o.now_ms : time_now_ms();
    ctx.since_window = ctx.now - batch_days_ms(o.days_window);
    ctx.since_near = ctx.now - batch_days_ms(o.days_count);
    ctx.since_far = ctx.now - batch_days_ms(o.days_window > o.days_count ? o.days_window : o.days_count);

    /* pass 1: read, clean, find duplicates */
    open = true;
    if ((rc = src->open(src->arg, &st->cols, w)))
        goto out;
    if (st->cols.id < 0) {
        rc = batch_fail(w, ERR_INVALID, "no column of ID numbers found");
        goto out;
    }
    t1 = time_mono_us();
    while (!(rc = src->next(src->arg, &row, w)) && row.cells) {
        t2 = time_mono_us();
        st->t.read_us += t2 - t1;
        all_rows++;
        if (row.ncells > st->max_cells)
            st->max_cells = row.ncells;
        st->title_rows += batch_kind(&st->cols, row.num) == BATCH_ROW_TITLE;
        if (batch_kind(&st->cols, row.num) == BATCH_ROW_DATA) {
            if (nrows >= BATCH_MAX_ROWS) {
                rc = batch_fail(w, ERR_TOO_LARGE, "the list has more than 2,000,000 rows");
                goto out;
            }
            if (nrows == cap_rows) {
                cap_rows = cap_rows ? 2 * cap_rows : 65536;
                row_status = xrealloc(row_status, cap_rows);
                row_key = xrealloc(row_key, cap_rows * sizeof *row_key);
            }
            enum idno_status s = columns_idno(&row, st->cols.id, id); /* kinds count (io/table.h) */
            uint32_t key = BATCH_NONE;
            if (batch_valid(s)) {
                uint64_t v = 0;
                for (int i = 0; i < 17; i++)
                    v = v * 10 + (uint64_t)(id[i] - '0');
                if (ctx.nkeys == cap_keys) {
                    cap_keys = cap_keys ? 2 * cap_keys : 65536;
                    struct batch_key *bigger = xcalloc(cap_keys, sizeof *bigger);
                    if (ctx.nkeys)
                        memcpy(bigger, ctx.keys, ctx.nkeys * sizeof *bigger);
                    xfree_secret(ctx.keys, ctx.nkeys * sizeof *ctx.keys);
                    ctx.keys = bigger;
                }
                key = batch_seen_add(&seen, ctx.keys, v, (uint32_t)ctx.nkeys);
                if (key != BATCH_NONE) {
                    s = IDNO_DUPLICATE;
                } else {
                    key = (uint32_t)ctx.nkeys++;
                    struct batch_key *k = &ctx.keys[key];
                    memset(k, 0, sizeof *k);
                    k->id17 = v;
                    k->check = id[17];
                    k->first_num = (uint32_t)row.num;
                    k->site = -1;
                }
            }
            row_status[nrows] = (uint8_t)s;
            row_key[nrows] = key;
            nrows++;
            st->counts.by_status[s]++;
            if (s == IDNO_DUPLICATE)
                st->counts.duplicate++;
            else if (!batch_valid(s))
                st->counts.invalid++;
        }
        t1 = time_mono_us();
        st->t.clean_us += t1 - t2;
        if (all_rows % BATCH_PROGRESS_EVERY == 0 && (rc = batch_progress_call(&ctx, "read", all_rows, 0)))
            goto out;
    }
    src->close(src->arg);
    open = false;
    if (rc)
        goto out;
    st->counts.rows = nrows;
    st->counts.valid = ctx.nkeys;

    /* index: blind indexes, sorted, chunked */
    t1 = time_mono_us();
    if ((rc = batch_index(&ctx, o.threads)))
        goto out;
    t2 = time_mono_us();
    st->t.index_us = t2 - t1;

    /* lookup */
    if ((rc = batch_load_sites(&ctx, db)))
        goto out;
    rc = batch_lookup(&ctx, db, o.threads, st, workers);
    st->t.lookup_us = time_mono_us() - t2;
    if (rc)
        goto out;
    for (size_t i = 0; i < ctx.nkeys; i++) {
        st->counts.found += (ctx.keys[i].flags & KEY_FOUND) != 0;
        st->counts.tested += (ctx.keys[i].flags & KEY_TESTED) != 0;
    }
    st->counts.not_found = st->counts.valid - st->counts.found;
    snprintf(target, sizeof target, "%s", o.audit_target ? o.audit_target : "batch");
    snprintf(detail, sizeof detail, "rows=%llu valid=%llu found=%llu invalid=%llu days=%d/%d",
             (unsigned long long)st->counts.rows, (unsigned long long)st->counts.valid,
             (unsigned long long)st->counts.found, (unsigned long long)st->counts.invalid, o.days_window,
             o.days_count);
    if ((rc = audit_record(db, &app->keys, a, "batches.lookup", target, "ok", detail)))
        goto out;

    /* pass 2: read again and write */
    if (sink && sink->row) {
        t1 = time_mono_us();
        if (sink->begin && (rc = sink->begin(sink->arg, st)))
            goto out;
        open = true;
        cols2 = (struct columns)COLUMNS_INIT;
        if ((rc = src->open(src->arg, &cols2, w)))
            goto out;
        if (cols2.id != st->cols.id || cols2.header_row != st->cols.header_row) {
            rc = batch_fail(w, ERR_INVALID, "the list changed while it was being read");
            goto out;
        }
        struct batch_emit em = { &ctx, st, sink, row_status, row_key, nrows, all_rows, 0, 0, w };
        if (o.threads > 1)
            rc = batch_pass2_piped(&em, src);
        else
            rc = batch_pass2_direct(&em, src);
        uint64_t index = em.index;
        if (rc)
            goto out;
        if (index != nrows) {
            rc = batch_fail(w, ERR_INVALID, "the list changed while it was being read");
            goto out;
        }
        src->close(src->arg);
        open = false;
        if ((rc = batch_progress_call(&ctx, "write", all_rows, all_rows)))
            goto out;
        st->t.write_us = time_mono_us() - t1;
    }
    rc = 0;
out:
    if (open)
        src->close(src->arg);
    st->t.total_us = time_mono_us() - t0;
    for (unsigned t = 0; t < BATCH_THREADS_MAX; t++)
        batch_worker_release(&workers[t]);
    for (size_t i = 0; i < ctx.nsites; i++) {
        xfree(ctx.sites[i].code);
        xfree(ctx.sites[i].name);
    }
    xfree(ctx.sites);
    xfree(ctx.pairs);
    xfree(ctx.chunks);
    xfree_secret(ctx.keys, cap_keys * sizeof *ctx.keys);
    xfree(seen.slots);
    xfree(row_status);
    xfree(row_key);
    wipe(id, sizeof id);
    buf_release(&why_local);
    return rc;
}

/* ---- sources ---------------------------------------------------------------------- */

static int
batch_table_open(void *arg, struct columns *cols, struct buf *why)
{
    struct batch_table_state *s = arg;
    int rc = s->path ? table_open_path(s->path, &s->t, why) : table_open_mem(s->p, s->n, &s->t, why);
    if (rc)
        return rc;
    *cols = *table_columns(s->t);
    return 0;
}

static int
batch_table_next(void *arg, struct table_row *row, struct buf *why)
{
    struct batch_table_state *s = arg;
    int rc = table_next_row(s->t, row);
    if (rc && why)
        buf_adds(why, table_message(s->t));
    return rc;
}

static void
batch_table_close(void *arg)
{
    struct batch_table_state *s = arg;
    table_close(s->t);
    s->t = NULL;
}

void
batch_source_mem(struct batch_source *src, struct batch_table_state *state, const void *p, size_t n)
{
    *state = (struct batch_table_state){ p, n, NULL, NULL };
    *src = (struct batch_source){ batch_table_open, batch_table_next, batch_table_close, state };
}

void
batch_source_path(struct batch_source *src, struct batch_table_state *state, const char *path)
{
    *state = (struct batch_table_state){ NULL, 0, path, NULL };
    *src = (struct batch_source){ batch_table_open, batch_table_next, batch_table_close, state };
}

/* ---- text of the appended columns -------------------------------------------------- */

void
batch_col_names(int days_count, struct str names[BATCH_RESULT_COLS], char *namebuf, size_t cap)
{
    snprintf(namebuf, cap, "近%d天检测次数", days_count);
    names[BATCH_COL_STATUS] = STR_LIT("状态");
    names[BATCH_COL_TESTED] = STR_LIT("是否检测");
    names[BATCH_COL_COUNT] = str_of(namebuf);
    names[BATCH_COL_SAMPLED_AT] = STR_LIT("最近采样时间");
    names[BATCH_COL_TESTED_AT] = STR_LIT("最近检测时间");
    names[BATCH_COL_INSTITUTION] = STR_LIT("检测机构");
    names[BATCH_COL_RESULT] = STR_LIT("最近结果");
    names[BATCH_COL_SITE] = STR_LIT("采样点");
}

static struct str
batch_result_word(const char *r)
{
    static const struct {
        const char *code, *word;
    } words[] = { { "negative", "阴性" }, { "positive", "阳性" }, { "invalid", "无效" }, { "pending", "待出结果" } };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(r, words[i].code) == 0)
            return str_of(words[i].word);
    return str_of(r);
}

void
batch_row_text(const struct batch_row *r, struct batch_text *tb, struct str out[BATCH_RESULT_COLS])
{
    for (int i = 0; i < BATCH_RESULT_COLS; i++)
        out[i] = STR_LIT("");
    tb->count[0] = tb->sampled_at[0] = tb->tested_at[0] = '\0';
    if (r->kind != BATCH_ROW_DATA)
        return;
    out[BATCH_COL_STATUS] = str_of(idno_status_code(r->status));
    if (!r->result)
        return;
    const struct batch_result *res = r->result;
    out[BATCH_COL_TESTED] = res->tested ? STR_LIT("是") : STR_LIT("否");
    snprintf(tb->count, sizeof tb->count, "%u", res->count);
    out[BATCH_COL_COUNT] = str_of(tb->count);
    if (res->sampled_at) {
        time_format_local(res->sampled_at, tb->sampled_at, sizeof tb->sampled_at);
        out[BATCH_COL_SAMPLED_AT] = str_of(tb->sampled_at);
    }
    if (res->tested_at) {
        time_format_local(res->tested_at, tb->tested_at, sizeof tb->tested_at);
        out[BATCH_COL_TESTED_AT] = str_of(tb->tested_at);
    }
    out[BATCH_COL_INSTITUTION] = str_of(res->institution);
    out[BATCH_COL_RESULT] = batch_result_word(res->result);
    out[BATCH_COL_SITE] = str_of(res->site_name);
}
