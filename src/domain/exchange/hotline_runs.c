/* domain/exchange/hotline_runs.c - runs of a rule set's current version over the stored
 * tickets of a period, and checked random samples of a run's hits with their precision
 * (R2.12). See hotline_store.h. */
#include "domain/exchange/hotline_store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "db/db_value.h"
#include "domain/exchange/hotline_extract.h"
#include "domain/exchange/hotline_rule.h"
#include "domain/exchange/hotline_store_impl.h"
#include "domain/platform/audit.h"

static const char sql_current[] =
    "SELECT v.id, v.version, v.name, v.categories, v.expression, v.synonyms FROM hotline_rule_versions v"
    " JOIN hotline_rules h ON h.id = v.rule_id AND h.version = v.version WHERE h.id = ?1";
static const char sql_period[] =
    "SELECT id, category_norm, title, content FROM hotline_tickets WHERE received_at >= ?1 AND received_at < ?2"
    " ORDER BY id";
static const char sql_run_insert[] =
    "INSERT INTO hotline_runs (rule_id, version_id, from_at, to_at, tickets, in_category, matched, created_by,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
static const char sql_hit_insert[] = "INSERT INTO hotline_hits (run_id, ticket_id) VALUES (?1, ?2)";
#define RUN_COLS                                                                                          \
    "SELECT r.id, r.rule_id, r.version_id, v.version, r.from_at, r.to_at, r.tickets, r.in_category,"      \
    " r.matched, r.created_at, r.created_by, v.name FROM hotline_runs r JOIN hotline_rule_versions v"     \
    " ON v.id = r.version_id"
static const char sql_run_get[] = RUN_COLS " WHERE r.id = ?1";
static const char sql_runs[] = RUN_COLS " WHERE (?1 = 0 OR r.rule_id = ?1) ORDER BY r.id DESC LIMIT ?2";
static const char sql_hit_ids[] = "SELECT ticket_id FROM hotline_hits WHERE run_id = ?1 ORDER BY ticket_id";
static const char sql_sample_insert[] =
    "INSERT INTO hotline_samples (run_id, drawn, created_by, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id";
static const char sql_item_insert[] =
    "INSERT INTO hotline_sample_items (sample_id, ticket_id, seq) VALUES (?1, ?2, ?3)";
static const char sql_sample_get[] =
    "SELECT id, run_id, drawn, checked, relevant, created_at FROM hotline_samples WHERE id = ?1";
static const char sql_sample_items[] =
    HOTLINE_COLS ", i.verdict FROM hotline_sample_items i JOIN hotline_tickets t ON t.id = i.ticket_id"
                 " WHERE i.sample_id = ?1 ORDER BY i.seq";
static const char sql_mark[] =
    "UPDATE hotline_sample_items SET verdict = ?1, checked_by = ?2, checked_at = ?3 WHERE sample_id = ?4"
    " AND ticket_id = ?5";
static const char sql_recount[] =
    "UPDATE hotline_samples SET checked = (SELECT count(*) FROM hotline_sample_items WHERE sample_id = ?1"
    " AND verdict >= 0), relevant = (SELECT count(*) FROM hotline_sample_items WHERE sample_id = ?1"
    " AND verdict = 1) WHERE id = ?1";

/* An id list that grows. */
struct ids {
    int64_t *v;
    size_t n, cap;
};

static void
ids_push(struct ids *s, int64_t id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = id;
}

/* The current version of a rule set, compiled. */
struct run_rule {
    int64_t version_id;
    struct hotline_synonyms syn;
    struct hotline_rule *rule;
    struct buf cats_text;
    struct buf norm[HOTLINE_MAX_CATEGORIES];
    size_t ncats;
};

static int
run_rule_load(struct db *db, int64_t id, struct run_rule *r, struct buf *why)
{
    struct db_stmt *st = NULL;
    const char *lines[HOTLINE_MAX_CATEGORIES + 1];
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_current, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    r->version_id = db_col_i64(st, 0);
    buf_adds(&r->cats_text, db_col_text(st, 3, NULL));
    if ((rc = hotline_synonyms_parse(str_of(db_col_text(st, 5, NULL)), &r->syn, why)) ||
        (rc = hotline_rule_compile(str_of(db_col_text(st, 4, NULL)), &r->syn, &r->rule, why)))
        goto out;
    r->ncats = r->cats_text.len ? hotline__split_lines(r->cats_text.data, lines, HOTLINE_MAX_CATEGORIES) : 0;
    if (r->ncats > HOTLINE_MAX_CATEGORIES)
        r->ncats = HOTLINE_MAX_CATEGORIES; /* validated on save */
    for (size_t i = 0; i < r->ncats; i++)
        hotline_category_norm(str_of(lines[i]), &r->norm[i]);
out:
    db_done(st);
    return rc;
}

static void
run_rule_release(struct run_rule *r)
{
    hotline_rule_free(r->rule);
    hotline_synonyms_release(&r->syn);
    buf_release(&r->cats_text);
    for (size_t i = 0; i < HOTLINE_MAX_CATEGORIES; i++)
        buf_release(&r->norm[i]);
}

/* run_scan matches the tickets of [from, to) and collects the hits. */
static int
run_scan(struct db *db, const struct run_rule *r, int64_t from, int64_t to, struct hotline_run *out,
         struct ids *hits)
{
    struct db_stmt *st = NULL;
    struct buf scratch = BUF_INIT;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_period, &st)) || (rc = db_bind_i64(st, 1, from)) || (rc = db_bind_i64(st, 2, to)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        const char *cat = db_col_text(st, 1, NULL);
        bool in = r->ncats == 0;
        out->tickets++;
        for (size_t i = 0; i < r->ncats && !in; i++)
            in = hotline_category_under(cat, r->norm[i].len ? r->norm[i].data : "");
        if (!in)
            continue;
        out->in_category++;
        if (!hotline_rule_match(r->rule, str_of(db_col_text(st, 2, NULL)), str_of(db_col_text(st, 3, NULL)),
                                &scratch))
            continue;
        out->matched++;
        ids_push(hits, db_col_i64(st, 0));
    }
out:
    db_done(st);
    buf_release(&scratch);
    return rc;
}

static int
run_store(struct app *app, struct db *db, const struct actor *a, int64_t id, const struct run_rule *r,
          struct hotline_run *run, const struct ids *hits)
{
    struct db_stmt *st = NULL;
    char detail[200];
    bool row = false;
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if (!(rc = db_prepare(db, sql_run_insert, &st)) && !(rc = db_bind_i64(st, 1, id)) &&
        !(rc = db_bind_i64(st, 2, r->version_id)) && !(rc = db_bind_i64(st, 3, run->from_at)) &&
        !(rc = db_bind_i64(st, 4, run->to_at)) && !(rc = db_bind_i64(st, 5, run->tickets)) &&
        !(rc = db_bind_i64(st, 6, run->in_category)) && !(rc = db_bind_i64(st, 7, run->matched)) &&
        !(rc = db_bind_str(st, 8, a->name)) && !(rc = db_bind_i64(st, 9, time_now_ms())) &&
        !(rc = db_step(st, &row)))
        run->id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    for (size_t i = 0; !rc && i < hits->n; i++) {
        st = NULL;
        if (!(rc = db_prepare(db, sql_hit_insert, &st)) && !(rc = db_bind_i64(st, 1, run->id)) &&
            !(rc = db_bind_i64(st, 2, hits->v[i])))
            rc = db_step(st, &row);
        db_done(st);
    }
    snprintf(detail, sizeof detail, "rule=%lld version_id=%lld tickets=%lld in_category=%lld matched=%lld",
             (long long)id, (long long)r->version_id, (long long)run->tickets, (long long)run->in_category,
             (long long)run->matched);
    if (!rc)
        rc = audit_append(db, &app->keys, a, "hotline.run", "hotline_rules", "ok", detail);
    if (!rc)
        rc = db_commit(db);
    else
        db_rollback(db);
    return rc;
}

int
hotline_run_start(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t from, int64_t to,
                  struct arena *arena, struct hotline_run *out, struct buf *why)
{
    struct run_rule r;
    struct ids hits = { NULL, 0, 0 };
    int rc;
    memset(&r, 0, sizeof r);
    r.syn = (struct hotline_synonyms)HOTLINE_SYNONYMS_INIT;
    r.cats_text = (struct buf)BUF_INIT;
    for (size_t i = 0; i < HOTLINE_MAX_CATEGORIES; i++)
        r.norm[i] = (struct buf)BUF_INIT;
    memset(out, 0, sizeof *out);
    if ((rc = hotline__district(a)))
        return rc;
    if (from >= to) {
        buf_printf(why, "'from' must be before 'to'");
        return ERR_INVALID;
    }
    out->from_at = from;
    out->to_at = to;
    if (!(rc = run_rule_load(db, id, &r, why)) && !(rc = run_scan(db, &r, from, to, out, &hits)) &&
        !(rc = run_store(app, db, a, id, &r, out, &hits)))
        rc = hotline_run_get(app, db, a, out->id, arena, out);
    run_rule_release(&r);
    xfree(hits.v);
    return rc;
}

static void
run_row(struct db_stmt *st, struct arena *arena, struct hotline_run *r)
{
    r->id = db_col_i64(st, 0);
    r->rule_id = db_col_i64(st, 1);
    r->version_id = db_col_i64(st, 2);
    r->version = db_col_i64(st, 3);
    r->from_at = db_col_i64(st, 4);
    r->to_at = db_col_i64(st, 5);
    r->tickets = db_col_i64(st, 6);
    r->in_category = db_col_i64(st, 7);
    r->matched = db_col_i64(st, 8);
    r->created_at = db_col_i64(st, 9);
    r->created_by = db_col_arena(st, 10, arena);
    r->name = db_col_arena(st, 11, arena);
}

int
hotline_run_get(struct app *app, struct db *db, const struct actor *a, int64_t run_id, struct arena *arena,
                struct hotline_run *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = hotline__district(a)))
        return rc;
    if (!(rc = db_prepare(db, sql_run_get, &st)) && !(rc = db_bind_i64(st, 1, run_id)) && !(rc = db_step(st, &row))) {
        if (row)
            run_row(st, arena, out);
        else
            rc = ERR_NOT_FOUND;
    }
    db_done(st);
    return rc;
}

int
hotline_runs_list(struct app *app, struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                  struct hotline_run **items, size_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *n = 0;
    *items = arena_alloc(arena, HOTLINE_LIST_MAX * sizeof **items);
    if ((rc = hotline__district(a)))
        return rc;
    if (!(rc = db_prepare(db, sql_runs, &st)) && !(rc = db_bind_i64(st, 1, id)) &&
        !(rc = db_bind_i64(st, 2, HOTLINE_LIST_MAX)))
        while (!(rc = db_step(st, &row)) && row)
            run_row(st, arena, &(*items)[(*n)++]);
    db_done(st);
    return rc;
}

/* Samples ---------------------------------------------------------------------------------- */

/* sample_draw moves a uniformly random choice of k of v[0..n) to v[0..k). */
static int
sample_draw(int64_t *v, size_t n, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t r;
        int rc = crypto_random(&r, sizeof r);
        if (rc)
            return rc;
        size_t j = i + (size_t)(r % (uint64_t)(n - i)); /* bias below 2^-40 for n < 2^24 */
        int64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    return 0;
}

static int
sample_store(struct app *app, struct db *db, const struct actor *a, int64_t run_id, const struct ids *hits,
             size_t k, int64_t *sample_id)
{
    struct db_stmt *st = NULL;
    char detail[120];
    bool row = false;
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if (!(rc = db_prepare(db, sql_sample_insert, &st)) && !(rc = db_bind_i64(st, 1, run_id)) &&
        !(rc = db_bind_i64(st, 2, (int64_t)k)) && !(rc = db_bind_str(st, 3, a->name)) &&
        !(rc = db_bind_i64(st, 4, time_now_ms())) && !(rc = db_step(st, &row)))
        *sample_id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    for (size_t i = 0; !rc && i < k; i++) {
        st = NULL;
        if (!(rc = db_prepare(db, sql_item_insert, &st)) && !(rc = db_bind_i64(st, 1, *sample_id)) &&
            !(rc = db_bind_i64(st, 2, hits->v[i])) && !(rc = db_bind_i64(st, 3, (int64_t)i)))
            rc = db_step(st, &row);
        db_done(st);
    }
    snprintf(detail, sizeof detail, "run=%lld sample=%lld drawn=%zu", (long long)run_id, (long long)*sample_id, k);
    if (!rc)
        rc = audit_append(db, &app->keys, a, "hotline.sample", "hotline_runs", "ok", detail);
    if (!rc)
        rc = db_commit(db);
    else
        db_rollback(db);
    return rc;
}

int
hotline_sample_take(struct app *app, struct db *db, const struct actor *a, int64_t run_id, int64_t n,
                    struct arena *arena, struct hotline_sample *out, struct buf *why)
{
    struct hotline_run run;
    struct db_stmt *st = NULL;
    struct ids hits = { NULL, 0, 0 };
    int64_t sample_id = 0;
    bool row = false;
    int rc;
    if (n < 1 || n > HOTLINE_SAMPLE_MAX) {
        buf_printf(why, "'n' must be 1 to %d", HOTLINE_SAMPLE_MAX);
        return ERR_INVALID;
    }
    if ((rc = hotline_run_get(app, db, a, run_id, arena, &run)))
        return rc;
    if (!(rc = db_prepare(db, sql_hit_ids, &st)) && !(rc = db_bind_i64(st, 1, run_id)))
        while (!(rc = db_step(st, &row)) && row)
            ids_push(&hits, db_col_i64(st, 0));
    db_done(st);
    size_t k = (size_t)n < hits.n ? (size_t)n : hits.n;
    if (!rc && !k) {
        buf_printf(why, "the run has no hits to sample");
        rc = ERR_INVALID;
    }
    if (!rc && !(rc = sample_draw(hits.v, hits.n, k)) &&
        !(rc = sample_store(app, db, a, run_id, &hits, k, &sample_id)))
        rc = hotline_sample_get(app, db, a, sample_id, arena, out);
    xfree(hits.v);
    return rc;
}

int
hotline_sample_get(struct app *app, struct db *db, const struct actor *a, int64_t sample_id, struct arena *arena,
                   struct hotline_sample *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = hotline__district(a)))
        return rc;
    if ((rc = db_prepare(db, sql_sample_get, &st)) || (rc = db_bind_i64(st, 1, sample_id)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    out->id = db_col_i64(st, 0);
    out->run_id = db_col_i64(st, 1);
    out->drawn = db_col_i64(st, 2);
    out->checked = db_col_i64(st, 3);
    out->relevant = db_col_i64(st, 4);
    out->created_at = db_col_i64(st, 5);
    out->precision = out->checked ? (double)out->relevant / (double)out->checked : -1;
    db_done(st);
    st = NULL;
    out->items = arena_alloc(arena, ((size_t)out->drawn + 1) * sizeof *out->items);
    if ((rc = db_prepare(db, sql_sample_items, &st)) || (rc = db_bind_i64(st, 1, sample_id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && out->n < (size_t)out->drawn) {
        struct hotline_stored *t = &out->items[out->n++];
        hotline__row(app, st, arena, t);
        t->verdict = (int)db_col_i64(st, 11);
    }
out:
    db_done(st);
    return rc;
}

int
hotline_sample_mark(struct app *app, struct db *db, const struct actor *a, int64_t sample_id, int64_t ticket_id,
                    bool relevant, struct arena *arena, struct hotline_sample *out)
{
    struct db_stmt *st = NULL;
    char detail[120];
    bool row = false;
    int rc;
    if ((rc = hotline__district(a)) || (rc = db_begin(db)))
        return rc;
    if (!(rc = db_prepare(db, sql_mark, &st)) && !(rc = db_bind_i64(st, 1, relevant ? 1 : 0)) &&
        !(rc = db_bind_str(st, 2, a->name)) && !(rc = db_bind_i64(st, 3, time_now_ms())) &&
        !(rc = db_bind_i64(st, 4, sample_id)) && !(rc = db_bind_i64(st, 5, ticket_id)) && !(rc = db_step(st, &row)) &&
        db_changes(st) == 0)
        rc = ERR_NOT_FOUND;
    db_done(st);
    st = NULL;
    if (!rc && !(rc = db_prepare(db, sql_recount, &st)) && !(rc = db_bind_i64(st, 1, sample_id)))
        rc = db_step(st, &row);
    db_done(st);
    snprintf(detail, sizeof detail, "sample=%lld ticket=%lld verdict=%s", (long long)sample_id, (long long)ticket_id,
             relevant ? "relevant" : "not_relevant");
    if (!rc)
        rc = audit_append(db, &app->keys, a, "hotline.mark", "hotline_samples", "ok", detail);
    if (!rc)
        rc = db_commit(db);
    else
        db_rollback(db);
    return rc ? rc : hotline_sample_get(app, db, a, sample_id, arena, out);
}
