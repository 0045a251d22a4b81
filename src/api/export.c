/* api/export.c - a list route in JSON pages or as one .xlsx (issue 10 "Exports"; R4.3). The
 * contract is api/export.h: this file runs the page functions, turns their JSON items into
 * cells by the column spec, writes the title row, audits the export and streams the file.
 * It knows no resource: every list's query, scope and masking stay in its page function.
 */
#include "api/export.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/platform/audit.h"
#include "json/jsonio.h"

#define EXPORT_REASON_MAX 200

int
api_format(struct req *req, bool *xlsx)
{
    const char *f = api_query_opt(req, "format");
    *xlsx = false;
    if (!f || !strcmp(f, "json"))
        return 0;
    if (strcmp(f, "xlsx"))
        return req_fail(req, ERR_INVALID, "'format' must be json or xlsx");
    *xlsx = true;
    return 0;
}

int
api_list_serve(struct req *req, const struct api_list_def *def, const void *query)
{
    struct api_list_page pg = { 0 };
    bool xlsx;
    int rc;

    if ((rc = api_format(req, &xlsx)))
        return rc;
    if (xlsx)
        return api_export(req, def, def->cols, def->ncols, query, NULL);
    if ((rc = api_page(req, def->def, def->max, &pg.limit, &pg.cursor)))
        return rc;
    pg.arena = &req->arena;
    if ((rc = def->page(req, query, &pg))) {
        json_decref(pg.items);
        return rc;
    }
    return api_reply(req, 200, api_list_json(pg.items ? pg.items : json_array(), pg.total, pg.next));
}

/* export_reveal reads ?reveal=1 and ?reason: pii.reveal and a reason are required. */
static int
export_reveal(struct req *req, const struct api_list_def *def, bool *reveal)
{
    const char *r = api_query_opt(req, "reveal"), *reason = api_query_opt(req, "reason");
    size_t run = 0;
    int rc;

    *reveal = false;
    if (!r || !strcmp(r, "0"))
        return 0;
    if (strcmp(r, "1"))
        return req_fail(req, ERR_INVALID, "'reveal' must be 0 or 1");
    if (!(def->flags & API_LIST_REVEALS))
        return req_fail(req, ERR_INVALID, "this list has no masked columns to reveal");
    if (!actor_can(&req->actor, PERM_BIT_PII_REVEAL))
        return req_fail(req, ERR_FORBIDDEN, "permission 'pii.reveal' is required to reveal");
    if (!reason)
        return req_fail(req, ERR_INVALID, "'reason' is required to reveal");
    if ((rc = api_text(req, "reason", reason, EXPORT_REASON_MAX)))
        return rc;
    for (const char *p = reason; *p; p++) /* the reason is audited: never an ID number */
        if ((run = (*p >= '0' && *p <= '9') ? run + 1 : 0) >= 15)
            return req_fail(req, ERR_INVALID, "'reason' must not hold an ID number");
    *reveal = true;
    return 0;
}

/* export_field finds "a" or "a.b" in item (NULL when absent). */
static json_t *
export_field(json_t *item, const char *field)
{
    const char *dot = strchr(field, '.');
    if (!dot)
        return json_object_get(item, field);
    json_t *outer = json_object_getn(item, field, (size_t)(dot - field));
    return json_is_object(outer) ? json_object_get(outer, dot + 1) : NULL;
}

/* export_cell makes the cell of v by kind; texts it makes go to scratch (slot i, 64 bytes),
 * or are borrowed from v. dumped collects JSON texts to free after the row. */
static struct xlsxw_cell
export_cell(json_t *v, enum api_col_kind kind, char scratch[64], char **dumped)
{
    if (!v || json_is_null(v))
        return XLSXW_EMPTY_CELL;
    switch (kind) {
    case API_COL_INT:
    case API_COL_REAL:
        if (json_is_number(v))
            return XLSXW_NUMBER_CELL(json_number_value(v));
        break;
    case API_COL_BP:
        if (json_is_number(v))
            return XLSXW_NUMBER_CELL(json_number_value(v) / 100.0);
        break;
    case API_COL_TIME:
        if (json_is_integer(v)) {
            if (json_integer_value(v) == 0)
                return XLSXW_EMPTY_CELL;
            time_format_local(json_integer_value(v), scratch, 64);
            return XLSXW_TEXT_CELL(str_of(scratch));
        }
        break;
    case API_COL_BOOL:
        if (json_is_boolean(v))
            return XLSXW_SHARED_CELL(str_of(json_is_true(v) ? "是" : "否"));
        break;
    case API_COL_JSON:
        if (json_is_array(v) || json_is_object(v)) {
            size_t len = 0;
            *dumped = jsonio_dump(v, &len);
            return XLSXW_TEXT_CELL(str_of(*dumped ? *dumped : ""));
        }
        break;
    default:
        break;
    }
    if (json_is_string(v)) {
        struct str s = { json_string_value(v), json_string_length(v) };
        return kind == API_COL_SHARED || kind == API_COL_BOOL ? XLSXW_SHARED_CELL(s) : XLSXW_TEXT_CELL(s);
    }
    if (json_is_integer(v))
        snprintf(scratch, 64, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(scratch, 64, "%.15g", json_real_value(v));
    else if (json_is_boolean(v))
        return XLSXW_SHARED_CELL(str_of(json_is_true(v) ? "是" : "否"));
    else
        return XLSXW_EMPTY_CELL;
    return XLSXW_TEXT_CELL(str_of(scratch));
}

/* export_rows writes the items of one page; *count grows by the rows written. */
static int
export_rows(struct xlsxw *w, json_t *items, const struct api_col *cols, size_t ncols, uint64_t *count)
{
    struct xlsxw_cell cells[64];
    char scratch[64][64];
    char *dumped[64];
    size_t i;
    json_t *item;
    int rc = 0;

    json_array_foreach (items, i, item) {
        memset(dumped, 0, ncols * sizeof *dumped);
        for (size_t c = 0; c < ncols; c++)
            cells[c] = export_cell(export_field(item, cols[c].field), cols[c].kind, scratch[c], &dumped[c]);
        rc = xlsxw_row(w, cells, ncols);
        for (size_t c = 0; c < ncols; c++)
            xfree(dumped[c]);
        if (rc)
            return rc;
        (*count)++;
    }
    return 0;
}

/* export_title writes the title row: what, when, for whom, masking, filters. */
static int
export_title(struct req *req, struct xlsxw *w, const char *title, bool masked, bool reveal, const char *filters)
{
    struct buf b = BUF_INIT;
    char now[32];
    int rc;

    time_format_local(time_now_ms(), now, sizeof now);
    buf_printf(&b, "%s | 导出时间 %s | 导出人 %s (%s%s)", title, now, req->actor.name,
               req->actor.subdistrict[0] ? "街道 " : "全区", req->actor.subdistrict);
    if (masked)
        buf_adds(&b, reveal ? " | 含个人信息(已授权显示)" : " | 个人信息已脱敏");
    if (filters && *filters)
        buf_printf(&b, " | 筛选 %s", filters);
    struct xlsxw_cell cell = XLSXW_TEXT_CELL(((struct str){ b.data, b.len }));
    rc = buf_error(&b) ? ERR_INTERNAL : xlsxw_row(w, &cell, 1);
    buf_release(&b);
    return rc;
}

/* export_open starts the workbook at dest: the title row, the header row, the widths. */
static int
export_open(struct req *req, const struct api_list_def *def, const struct api_col *cols, size_t ncols,
            const char *filters, bool reveal, const struct xlsxw_dest *dest, struct xlsxw **w)
{
    struct str heads[64];
    struct xlsxw_opts opts = { 0 };
    bool masked = false;
    int rc;

    for (size_t c = 0; c < ncols; c++) {
        heads[c] = str_of(cols[c].head);
        masked |= cols[c].kind == API_COL_MASKED;
    }
    if ((rc = xlsxw_open_dest(dest, def->title, &opts, w)) ||
        (rc = export_title(req, *w, def->title, masked, reveal, filters)) || (rc = xlsxw_header(*w, heads, ncols)))
        return rc;
    for (size_t c = 0; !rc && c < ncols; c++)
        rc = xlsxw_set_width(*w, c, cols[c].kind == API_COL_TIME ? 20 : 16);
    return rc;
}

/* export_write runs every page into the workbook at dest. *rows: data rows written. */
static int
export_write(struct req *req, const struct api_list_def *def, const struct api_col *cols, size_t ncols,
             const void *query, const char *filters, bool reveal, const struct xlsxw_dest *dest, uint64_t *rows)
{
    struct xlsxw *w = NULL;
    int64_t cursor = 0;
    int rc = 0;

    do {
        struct arena arena = ARENA_INIT;
        struct api_list_page pg = {
            .limit = def->max, .cursor = cursor, .arena = &arena, .reveal = reveal, .skip_total = w != NULL,
        };
        rc = def->page(req, query, &pg);
        if (!rc && !w && pg.total > (int64_t)API_EXPORT_MAX_ROWS)
            rc = req_fail(req, ERR_TOO_LARGE, "%lld rows are more than one sheet holds (%llu): narrow the filters",
                          (long long)pg.total, (unsigned long long)API_EXPORT_MAX_ROWS);
        if (!rc && !w)
            rc = export_open(req, def, cols, ncols, filters, reveal, dest, &w);
        if (!rc && pg.items)
            rc = export_rows(w, pg.items, cols, ncols, rows);
        cursor = rc ? 0 : pg.next;
        json_decref(pg.items);
        arena_release(&arena);
    } while (!rc && cursor);
    return xlsxw_finish(w, rc);
}

int
api_export(struct req *req, const struct api_list_def *def, const struct api_col *cols, size_t ncols,
           const void *query, const char *filters)
{
    struct api_xlsx *x = NULL;
    char action[64], ascii[80], utf8[160];
    struct buf detail = BUF_INIT;
    uint64_t rows = 0;
    bool reveal;
    int rc;

    if (ncols == 0 || ncols > 64)
        return ERR_INTERNAL;
    if ((rc = export_reveal(req, def, &reveal)) || (rc = api__xlsx_new(req, &x)))
        return rc;
    if ((rc = export_write(req, def, cols, ncols, query, filters, reveal, api__xlsx_dest(x), &rows)))
        return api__xlsx_reply(req, x, rc, NULL, NULL);
    snprintf(action, sizeof action, "export.%s", def->name);
    buf_printf(&detail, "format=xlsx rows=%llu", (unsigned long long)rows);
    if (reveal)
        buf_printf(&detail, " reveal reason=%s", api_query_opt(req, "reason"));
    rc = audit_record(req->db, &req->app->keys, &req->actor, action, def->name, "ok", detail.data);
    buf_release(&detail);
    if (rc)
        return api__xlsx_reply(req, x, rc, NULL, NULL);
    snprintf(ascii, sizeof ascii, "%s.xlsx", def->name);
    snprintf(utf8, sizeof utf8, "%s.xlsx", def->title);
    return api__xlsx_reply(req, x, 0, ascii, utf8);
}
