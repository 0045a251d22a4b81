/* domain/exchange/hotline_tickets.c - stored 12345 hotline tickets (R2.12; S1): the import with
 * its row report (caller, phone, address sealed; the phone blind-indexed) and the masked
 * ticket list. See hotline_store.h. */
#include "domain/exchange/hotline_store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/exchange/emergency.h"
#include "domain/exchange/hotline_rule.h"
#include "domain/exchange/hotline_sheet.h"
#include "domain/exchange/hotline_store_impl.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"

static const char sql_insert[] =
    "INSERT INTO hotline_tickets (number, received_at, category, category_norm, title, content, status, address,"
    " caller, phone_bidx, phone, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
    " ?12, ?13) ON CONFLICT (number) DO NOTHING RETURNING id";

#define HOTLINE_FILTER                                                                                   \
    " WHERE (?1 = 0 OR t.received_at >= ?1) AND (?2 = 0 OR t.received_at < ?2)"                           \
    " AND (?3 = '' OR t.category_norm = ?3 OR substr(t.category_norm, 1, length(?3) + 1) = ?3 || '/')"    \
    " AND (?4 = 0 OR t.id IN (SELECT ticket_id FROM hotline_hits WHERE run_id = ?4))"
static const char sql_list[] = HOTLINE_COLS " FROM hotline_tickets t" HOTLINE_FILTER " AND t.id > ?5 ORDER BY t.id LIMIT ?6";
static const char sql_count[] = "SELECT count(*) FROM hotline_tickets t" HOTLINE_FILTER;
static const char sql_run_exists[] = "SELECT 1 FROM hotline_runs WHERE id = ?1";

int
hotline__district(const struct actor *a)
{
    return a->subdistrict[0] ? ERR_FORBIDDEN : 0;
}

/* hotline_open_masked opens sealed column col under ad and returns its masked form. */
static const char *
hotline_open_masked(const struct app *app, struct db_stmt *st, int col, const char *ad, bool phone,
                    struct arena *arena)
{
    size_t n = 0, len = 0;
    const void *blob = db_col_blob(st, col, &n);
    char plain[256], masked[80];
    if (!blob || n < FIELD_OVERHEAD || n - FIELD_OVERHEAD + 1 > sizeof plain)
        return "";
    if (field_open(&app->keys, ad, blob, n, (uint8_t *)plain, sizeof plain, &len))
        return "";
    if (phone)
        hotline_mask_phone(plain, masked, sizeof masked);
    else
        person_mask_name(plain, masked, sizeof masked);
    wipe(plain, sizeof plain);
    return arena_strdup(arena, masked);
}

void
hotline__row(const struct app *app, struct db_stmt *st, struct arena *arena, struct hotline_stored *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_col_i64(st, 0);
    t->number = db_col_arena(st, 1, arena);
    t->received_at = db_col_i64(st, 2);
    t->created_at = db_col_i64(st, 3);
    t->category = db_col_arena(st, 4, arena);
    t->title = db_col_arena(st, 5, arena);
    t->content = db_col_arena(st, 6, arena);
    t->status = db_col_arena(st, 7, arena);
    t->caller = hotline_open_masked(app, st, 8, "hotline_tickets.caller", false, arena);
    t->phone = hotline_open_masked(app, st, 9, "hotline_tickets.phone", true, arena);
    t->address = db_col_i64(st, 10) ? "***" : "";
    t->verdict = -1;
}

/* Import ---------------------------------------------------------------------------------- */

struct import_ctx {
    struct app *app;
    struct db *db;
    const struct actor *a;
    struct hotline_import_result *res;
    int64_t now;
};

static void
import_reject(struct hotline_import_result *res, const struct hotline_ticket *tk, const char *reason)
{
    res->rejected++;
    if (res->nrejects >= HOTLINE_REJECTS_MAX)
        return;
    struct hotline_reject *r = &res->rejects[res->nrejects++];
    r->row = tk->num;
    str_copy(r->number, sizeof r->number, tk->number);
    str_copy(r->reason, sizeof r->reason, reason);
}

/* import_seal seals text (""→ NULL) into a fresh buffer *blob (caller frees). */
static int
import_seal(struct app *app, const char *ad, const char *text, uint8_t **blob, size_t *len)
{
    size_t n = strlen(text);
    *blob = NULL;
    *len = 0;
    if (!n)
        return 0;
    *blob = xmalloc(FIELD_SEALED_LEN(n));
    return field_seal(&app->keys, ad, text, n, *blob, FIELD_SEALED_LEN(n), len);
}

static int
import_store(struct import_ctx *c, const struct hotline_ticket *tk, int64_t received, const char *phone)
{
    uint8_t *b_addr = NULL, *b_caller = NULL, *b_phone = NULL;
    size_t n_addr = 0, n_caller = 0, n_phone = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = import_seal(c->app, "hotline_tickets.address", tk->address, &b_addr, &n_addr)) ||
        (rc = import_seal(c->app, "hotline_tickets.caller", tk->caller, &b_caller, &n_caller)) ||
        (rc = import_seal(c->app, "hotline_tickets.phone", phone, &b_phone, &n_phone)))
        goto out;
    if ((rc = db_prepare(c->db, sql_insert, &st)) || (rc = db_bind_str(st, 1, tk->number)) ||
        (rc = db_bind_i64(st, 2, received)) || (rc = db_bind_str(st, 3, tk->category)) ||
        (rc = db_bind_str(st, 4, tk->category_norm)) || (rc = db_bind_str(st, 5, tk->title)) ||
        (rc = db_bind_str(st, 6, tk->content)) || (rc = db_bind_str(st, 7, tk->status)) ||
        (rc = b_addr ? db_bind_blob(st, 8, b_addr, n_addr) : db_bind_null(st, 8)) ||
        (rc = b_caller ? db_bind_blob(st, 9, b_caller, n_caller) : db_bind_null(st, 9)) ||
        (rc = b_phone ? db_bind_i64(st, 10, blind_index(&c->app->keys, "hotline_phone", phone, strlen(phone)))
                      : db_bind_null(st, 10)) ||
        (rc = b_phone ? db_bind_blob(st, 11, b_phone, n_phone) : db_bind_null(st, 11)) ||
        (rc = db_bind_str(st, 12, c->a->name)) || (rc = db_bind_i64(st, 13, c->now)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (row)
        c->res->accepted++;
    else
        c->res->duplicate++;
out:
    db_done(st);
    xfree(b_addr);
    xfree(b_caller);
    xfree(b_phone);
    return rc;
}

/* import_row checks one ticket and stores it, or rejects it. */
static int
import_row(struct import_ctx *c, const struct hotline_ticket *tk)
{
    char phone[24];
    size_t nd = 0;
    int64_t received = 0;
    int rc;
    if (strlen(tk->number) > HOTLINE_NUMBER_MAX || !str_is_utf8(tk->number, strlen(tk->number))) {
        import_reject(c->res, tk, "ticket number longer than 64 bytes");
        return 0;
    }
    if (!tk->received[0]) {
        import_reject(c->res, tk, "no received time");
        return 0;
    }
    if (emergency_parse_time(tk->received, &received)) {
        import_reject(c->res, tk, "received time is not a date and time");
        return 0;
    }
    const char *fields[] = { tk->title, tk->content, tk->address, tk->category, tk->caller, tk->status };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (strlen(fields[i]) > HOTLINE_FIELD_MAX || !str_is_utf8(fields[i], strlen(fields[i]))) {
            import_reject(c->res, tk, "a text field is longer than 8192 bytes");
            return 0;
        }
    for (const char *p = tk->phone; *p; p++)
        if (*p >= '0' && *p <= '9') {
            if (nd == sizeof phone - 1) {
                import_reject(c->res, tk, "phone has more than 23 digits");
                return 0;
            }
            phone[nd++] = *p;
        }
    phone[nd] = '\0';
    rc = import_store(c, tk, received, phone);
    wipe(phone, sizeof phone);
    return rc;
}

int
hotline_import(struct app *app, struct db *db, const struct actor *a, struct table *t,
               struct hotline_import_result *res, struct buf *why)
{
    struct import_ctx c = { app, db, a, res, time_now_ms() };
    struct hotline_sheet s;
    struct hotline_ticket tk;
    struct table_row row;
    enum hotline_feed what;
    char detail[160];
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = hotline__district(a)))
        return rc;
    res->rejects = xcalloc(HOTLINE_REJECTS_MAX, sizeof *res->rejects);
    hotline_sheet_init(&s);
    if ((rc = db_begin(db)))
        goto out;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if ((rc = hotline_sheet_feed(&s, &row, &what, &tk, why)))
            break;
        if (what == HOTLINE_FEED_NO_NUMBER) {
            res->rows++;
            import_reject(res, &tk, "no ticket number");
        } else if (what == HOTLINE_FEED_TICKET) {
            res->rows++;
            if ((rc = import_row(&c, &tk)))
                break;
        }
    }
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE) {
        if (why && !why->len)
            buf_adds(why, table_message(t));
    } else if (!rc && !s.header_row) {
        if (why)
            buf_printf(why, "no ticket header (工单编号 with 标题 or 诉求内容) found");
        rc = ERR_INVALID;
    }
    if (!rc) {
        res->header_row = s.header_row;
        snprintf(detail, sizeof detail, "rows=%llu accepted=%llu duplicate=%llu rejected=%llu",
                 (unsigned long long)res->rows, (unsigned long long)res->accepted,
                 (unsigned long long)res->duplicate, (unsigned long long)res->rejected);
        rc = audit_append(db, &app->keys, a, "hotline.import", "hotline_tickets", "ok", detail);
    }
    if (!rc)
        rc = db_commit(db);
    else
        db_rollback(db);
out:
    hotline_sheet_release(&s);
    return rc;
}

int
hotline_import_mem(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                   struct hotline_import_result *res, struct buf *why)
{
    struct table *t = NULL;
    int rc;
    memset(res, 0, sizeof *res);
    if ((rc = table_open_mem(p, n, &t, why)))
        return rc;
    rc = hotline_import(app, db, a, t, res, why);
    table_close(t);
    return rc;
}

void
hotline_import_result_release(struct hotline_import_result *res)
{
    xfree(res->rejects);
    res->rejects = NULL;
    res->nrejects = 0;
}

/* List ------------------------------------------------------------------------------------ */

static int
list_bind(struct db_stmt *st, const struct hotline_ticket_query *q, const char *cat)
{
    int rc;
    if ((rc = db_bind_i64(st, 1, q->from)) || (rc = db_bind_i64(st, 2, q->to)) || (rc = db_bind_str(st, 3, cat)) ||
        (rc = db_bind_i64(st, 4, q->run_id)))
        return rc;
    return 0;
}

int
hotline_ticket_list(struct app *app, struct db *db, const struct actor *a, const struct hotline_ticket_query *q,
                    struct arena *arena, struct hotline_stored **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    struct buf cat = BUF_INIT;
    bool row = false;
    int rc;

    *items = NULL;
    *n = 0;
    if ((rc = hotline__district(a)))
        return rc;
    hotline_category_norm(str_of(q->category ? q->category : ""), &cat);
    if (q->run_id > 0) {
        if ((rc = db_prepare(db, sql_run_exists, &st)) || (rc = db_bind_i64(st, 1, q->run_id)) ||
            (rc = db_step(st, &row)))
            goto out;
        db_done(st);
        st = NULL;
        if (!row) {
            rc = ERR_NOT_FOUND;
            goto out;
        }
    }
    if (total) {
        if ((rc = db_prepare(db, sql_count, &st)) || (rc = list_bind(st, q, cat.data)) || (rc = db_step(st, &row)))
            goto out;
        *total = row ? db_col_i64(st, 0) : 0;
        db_done(st);
        st = NULL;
    }
    *items = arena_alloc(arena, (q->limit + 1) * sizeof **items);
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = list_bind(st, q, cat.data)) ||
        (rc = db_bind_i64(st, 5, q->after)) || (rc = db_bind_i64(st, 6, (int64_t)q->limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row)
        hotline__row(app, st, arena, &(*items)[(*n)++]);
out:
    db_done(st);
    buf_release(&cat);
    return rc;
}
