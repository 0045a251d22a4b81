/* domain/batch/batch_lookup.c - the lookup stage of the batch engine (R4.3-R4.7, S1; see
 * batch.h and batch_int.h): the distinct IDs' blind indexes, sorted and cut into chunks;
 * workers that fetch the candidate samples of a chunk by blind index, confirm each by
 * opening its sealed ID (collisions of the blind index are counted, never matched), keep
 * the latest sample and the count in the window, and fetch the results of the tubes.
 * Plaintext IDs stay in memory and are wiped; only blind indexes reach the database.
 */
#include "domain/batch/batch_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/field.h"
#include "crypto/sm.h"

#define BATCH_SCRATCH_CAP ((size_t)256 << 20) /* sealed IDs and tube codes of one chunk */
#define BATCH_MAX_SEALED 256                  /* a sealed ID longer than this is not an ID */

#define CAND_UNOPENED (-2)
#define CAND_OTHER (-1)
#define CAND_DAMAGED (-3) /* failed its integrity check */


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
static const char sql_samples_head_b[] = /* the second index slot (issue 12 rotate-index) */
    "SELECT id, person_bidx_b, collected_at, id_number, tube_code, site_id FROM samples"
    " WHERE deleted_at = 0 AND collected_at >= ?1 AND collected_at < ?2 AND person_bidx_b IN (";
static const char sql_results_head[] =
    "SELECT tube_code, tested_at, id, institution, result FROM results WHERE tube_code IN (";
static const char sql_sites[] = "SELECT id, code, name FROM sites ORDER BY id";

static char batch_sql_samples[2][BATCH_SQL_CAP], batch_sql_results[BATCH_SQL_CAP];
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
    batch_sql_make(batch_sql_samples[0], sql_samples_head, 3);
    batch_sql_make(batch_sql_samples[1], sql_samples_head_b, 3);
    batch_sql_make(batch_sql_results, sql_results_head, 1);
}

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
        if ((rc = db_prepare(w->db, batch_sql_samples[w->ctx->idx_slot ? 1 : 0], &st)) || (rc = db_bind_i64(st, 1, lo)) ||
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
    int orc = field_open(&ctx->app->keys, "samples.id_number", (const uint8_t *)w->scratch.data + c->blob_off,
                         c->blob_len, plain, sizeof plain, &n);
    if (orc == ERR_CRYPTO) {
        /* damaged data: it may be any key of this blind index's, so all of them read as
           damaged (the chunk's keys belong to this worker alone) */
        c->key = CAND_DAMAGED;
        w->damaged++;
        for (size_t i = a; i < phi && pairs[i].bidx == c->bidx; i++)
            ctx->keys[pairs[i].key].flags |= KEY_DAMAGED;
        wipe(plain, sizeof plain);
        return;
    }
    if (orc == 0 && n == IDNO_LEN) {
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
    if (w->nreqs) /* an empty array may be NULL, which qsort must not get */
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
    if (w->ncands) /* no candidates: cands may be NULL, which qsort must not get */
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
    if (w->ncands > nA)
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

int
batch__progress_call(struct batch_ctx *ctx, const char *stage, uint64_t done, uint64_t total)
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
        if (main_thread && (c % 16) == 0 && (rc = batch__progress_call(ctx, "lookup", done, ctx->nkeys))) {
            __atomic_store_n(&ctx->stop, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    w->rc = rc;
    if (!main_thread)
        crypto_thread_release();
    return NULL;
}

void
batch__worker_release(struct batch_worker *w)
{
    strmap_release(&w->intern);
    buf_release_secret(&w->scratch);
    xfree(w->cands);
    xfree(w->slots);
    xfree(w->reqs);
    xfree(w->bidx);
}

int
batch__load_sites(struct batch_ctx *ctx, struct db *db)
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
        if (blind_index_gen(kr, j->ctx->idx_gen, "idno", id, IDNO_LEN, &k->bidx)) {
            j->rc = ERR_CRYPTO;
            break;
        }
        j->ctx->pairs[i] = (struct batch_pair){ k->bidx, (uint32_t)i };
    }
    wipe(id, sizeof id);
    return NULL;
}

int
batch__index(struct batch_ctx *ctx, unsigned threads)
{
    struct batch_index_job jobs[BATCH_THREADS_MAX];
    int rc = 0;

    const struct indexkey *cur = keyring_index_current(&ctx->app->keys); /* one snapshot for the batch */
    ctx->idx_gen = cur ? cur->gen : 0;
    ctx->idx_slot = cur ? cur->slot : 0;
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
    if (ctx->nkeys)
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

int
batch__lookup(struct batch_ctx *ctx, struct db *db, unsigned threads, struct batch_stats *st,
             struct batch_worker *workers)
{
    int rc = 0;
    unsigned started = 1;

    pthread_once(&batch_sql_once, batch_sql_build);
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
        st->damaged_samples += workers[t].damaged;
        st->fetch_us += workers[t].fetch_us;
        st->open_us += workers[t].open_us;
        st->results_us += workers[t].results_us;
    }
    if (!rc)
        rc = batch__progress_call(ctx, "lookup", ctx->nkeys, ctx->nkeys);
    return rc;
}

