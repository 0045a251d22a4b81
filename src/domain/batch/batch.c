/* domain/batch/batch.c - the batch test-result lookup engine (see batch.h): clean every row of a
 * resident list, look the distinct IDs up by blind index in chunks, confirm by opening the
 * sealed IDs, and hand each row with its result to a sink. This file holds the run
 * (options, pass 1: read, clean, duplicates; the stages in order; the audit), the sources
 * and the text of the result columns; the lookup stage is batch_lookup.c, pass 2
 * batch_emit.c (see batch_int.h). It is not the HTTP batch service (uploads, storage,
 * workers: batch_job*.c) nor the xlsx writing (io/xlsxw.h, used by cli/batch.c and
 * batch_job_export.c): those sit on top of it. Serves R4.3-R4.7 (batch query, cleaning statuses, N-day counts), S1 (only
 * blind indexes reach the database; plaintext IDs stay in memory and are wiped) and S6
 * (one audit entry per run, counts only).
 */
#include "domain/batch/batch_int.h"

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

static int64_t
batch_days_ms(int days)
{
    return (int64_t)days * BATCH_DAY_MS;
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

enum batch_row_kind
batch__kind(const struct columns *cols, uint64_t num)
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

int
batch__fail(struct buf *why, int rc, const char *msg)
{
    if (why && !why->len)
        buf_adds(why, msg);
    return rc;
}

/* ---- the run ---------------------------------------------------------------------- */

/* batch_ctx_release frees what the run built: the workers (and the strings they interned,
 * referenced by the keys), the sites, the chunks and the keys (cap_keys of them, wiped). */
static void
batch_ctx_release(struct batch_ctx *ctx, struct batch_worker *workers, size_t cap_keys)
{
    for (unsigned t = 0; t < BATCH_THREADS_MAX; t++)
        batch__worker_release(&workers[t]);
    for (size_t i = 0; i < ctx->nsites; i++) {
        xfree(ctx->sites[i].code);
        xfree(ctx->sites[i].name);
    }
    xfree(ctx->sites);
    xfree(ctx->pairs);
    xfree(ctx->chunks);
    xfree_secret(ctx->keys, cap_keys * sizeof *ctx->keys);
}

/* batch_setup checks the options (defaults filled in *o) and readies ctx and st. */
static int
batch_setup(struct app *app, struct batch_opts *o, const struct batch_source *src,
            const struct batch_progress *progress, struct batch_ctx *ctx, struct batch_stats *st, struct buf *w)
{
    st->cols = (struct columns)COLUMNS_INIT;
    if (!o->days_window)
        o->days_window = BATCH_DAYS_WINDOW_DEFAULT;
    if (!o->days_count)
        o->days_count = BATCH_DAYS_COUNT_DEFAULT;
    if (!o->threads)
        o->threads = 1;
    if (o->days_window < 1 || o->days_window > BATCH_DAYS_MAX || o->days_count < 1 ||
        o->days_count > BATCH_DAYS_MAX || o->threads > BATCH_THREADS_MAX || (o->threads > 1 && !o->pool) || !src ||
        !src->open || !src->next || !src->close)
        return batch__fail(w, ERR_INVALID, "batch options are not valid");
    if (!app->keys.n)
        return batch__fail(w, ERR_CRYPTO, "no data key is loaded");
    st->days_window = o->days_window;
    st->days_count = o->days_count;
    ctx->app = app;
    ctx->opts = o;
    ctx->progress = progress;
    ctx->now = o->now_ms ? o->now_ms : time_now_ms();
    ctx->since_window = ctx->now - batch_days_ms(o->days_window);
    ctx->since_near = ctx->now - batch_days_ms(o->days_count);
    ctx->since_far = ctx->now - batch_days_ms(o->days_window > o->days_count ? o->days_window : o->days_count);
    return 0;
}

/* batch_look_up runs the index and lookup stages over ctx's keys, counts what was found
 * and audits the run (batches.lookup, counts only). */
static int
batch_look_up(struct app *app, struct db *db, const struct actor *a, struct batch_ctx *c, struct batch_stats *st,
              struct batch_worker *workers, struct buf *w)
{
    const struct batch_opts o = *c->opts;
    char target[64], detail[160];
    int64_t t1, t2;
    int rc;

    /* index: blind indexes, sorted, chunked */
    t1 = time_mono_us();
    if ((rc = batch__index(c, o.threads)))
        return rc;
    t2 = time_mono_us();
    st->t.index_us = t2 - t1;

    /* lookup */
    if ((rc = batch__load_sites(c, db)))
        return rc;
    rc = batch__lookup(c, db, o.threads, st, workers);
    st->t.lookup_us = time_mono_us() - t2;
    if (rc)
        return rc;
    uint64_t damaged_unfound = 0;
    for (size_t i = 0; i < c->nkeys; i++) {
        uint8_t f = c->keys[i].flags;
        st->counts.found += (f & KEY_FOUND) != 0;
        st->counts.tested += (f & KEY_TESTED) != 0;
        st->counts.damaged += (f & KEY_DAMAGED) != 0;
        damaged_unfound += (f & KEY_DAMAGED) && !(f & KEY_FOUND);
    }
    st->counts.not_found = st->counts.valid - st->counts.found - damaged_unfound;
    snprintf(target, sizeof target, "%s", o.audit_target ? o.audit_target : "batch");
    snprintf(detail, sizeof detail, "rows=%llu valid=%llu found=%llu invalid=%llu days=%d/%d",
             (unsigned long long)st->counts.rows, (unsigned long long)st->counts.valid,
             (unsigned long long)st->counts.found, (unsigned long long)st->counts.invalid, o.days_window,
             o.days_count);
    if ((rc = audit_record(db, &app->keys, a, "batches.lookup", target, "ok", detail)))
        return rc;
    if (!st->damaged_samples)
        return 0;
    /* damaged data is evidence (issue 12): audited, besides the log and the counter */
    snprintf(detail, sizeof detail, "column=samples.id_number samples=%zu ids=%llu", st->damaged_samples,
             (unsigned long long)st->counts.damaged);
    return audit_record(db, &app->keys, a, "integrity.failure", target, "failed", detail);
}

/* batch_write runs pass 2: the sink begins, the source is read again (it must be the
 * same list) and every row goes to the sink. */
static int
batch_write(struct batch_emit *em, const struct batch_source *src, bool piped)
{
    struct batch_stats *st = em->st;
    struct columns cols2 = COLUMNS_INIT;
    int64_t t1 = time_mono_us();
    int rc;

    if (em->sink->begin && (rc = em->sink->begin(em->sink->arg, st)))
        return rc;
    if ((rc = src->open(src->arg, &cols2, em->why)))
        goto out;
    if (cols2.id != st->cols.id || cols2.header_row != st->cols.header_row) {
        rc = batch__fail(em->why, ERR_INVALID, "the list changed while it was being read");
        goto out;
    }
    if ((rc = batch__emit(em, src, piped)))
        goto out;
    if (em->index != em->nrows) {
        rc = batch__fail(em->why, ERR_INVALID, "the list changed while it was being read");
        goto out;
    }
    if ((rc = batch__progress_call(em->ctx, "write", em->all_rows, em->all_rows)))
        goto out;
    st->t.write_us = time_mono_us() - t1;
out:
    src->close(src->arg);
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
    bool open = false;
    int64_t t0 = time_mono_us(), t1, t2;
    char id[IDNO_LEN + 1];
    int rc;

    memset(st, 0, sizeof *st);
    memset(workers, 0, sizeof workers);
    if ((rc = batch_setup(app, &o, src, progress, &ctx, st, w)))
        goto out;

    /* pass 1: read, clean, find duplicates */
    open = true;
    if ((rc = src->open(src->arg, &st->cols, w)))
        goto out;
    if (st->cols.id < 0) {
        rc = batch__fail(w, ERR_INVALID, "no column of ID numbers found");
        goto out;
    }
    t1 = time_mono_us();
    while (!(rc = src->next(src->arg, &row, w)) && row.cells) {
        t2 = time_mono_us();
        st->t.read_us += t2 - t1;
        all_rows++;
        if (row.ncells > st->max_cells)
            st->max_cells = row.ncells;
        st->title_rows += batch__kind(&st->cols, row.num) == BATCH_ROW_TITLE;
        if (batch__kind(&st->cols, row.num) == BATCH_ROW_DATA) {
            if (nrows >= BATCH_MAX_ROWS) {
                rc = batch__fail(w, ERR_TOO_LARGE, "the list has more than 2,000,000 rows");
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
        if (all_rows % BATCH_PROGRESS_EVERY == 0 && (rc = batch__progress_call(&ctx, "read", all_rows, 0)))
            goto out;
    }
    src->close(src->arg);
    open = false;
    if (rc)
        goto out;
    st->counts.rows = nrows;
    st->counts.valid = ctx.nkeys;

    if ((rc = batch_look_up(app, db, a, &ctx, st, workers, w)))
        goto out;

    /* pass 2: read again and write */
    if (sink && sink->row) {
        struct batch_emit em = { &ctx, st, sink, row_status, row_key, nrows, all_rows, 0, 0, w };
        if ((rc = batch_write(&em, src, o.threads > 1)))
            goto out;
    }
    rc = 0;
out:
    if (open)
        src->close(src->arg);
    st->t.total_us = time_mono_us() - t0;
    batch_ctx_release(&ctx, workers, cap_keys);
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
    names[BATCH_COL_STATUS_CODE] = STR_LIT("状态代码");
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
    out[BATCH_COL_STATUS] = str_of(idno_status_word(r->status));
    out[BATCH_COL_STATUS_CODE] = str_of(idno_status_code(r->status));
    if (!r->result)
        return;
    const struct batch_result *res = r->result;
    if (res->damaged) {
        out[BATCH_COL_STATUS] = STR_LIT(BATCH_DAMAGED_WORD);
        out[BATCH_COL_STATUS_CODE] = STR_LIT(BATCH_DAMAGED_CODE);
    }
    out[BATCH_COL_TESTED] = res->tested ? STR_LIT("是") : res->damaged ? STR_LIT(BATCH_DAMAGED_WORD) : STR_LIT("否");
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