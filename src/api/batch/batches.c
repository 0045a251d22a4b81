/* api/batch/batches.c - the /api/v1/batches resource: batch test-result queries over HTTP
 * (R4.3-R4.7). Upload a resident list (multipart field "file", .xlsx or .csv, at most
 * BATCH_FILE_CAP bytes), list and read batches with status, counts and progress, re-run
 * (迭代), export (.xlsx generated on demand into a sealed temporary file, api__xlsx_reply), delete.
 * Storage, scope and audit are domain/batch/batch_job.c's; the run is domain/batch/batch_worker.c's.
 *
 * Upload body: streamed by the server (route body cap API_BATCH_UPLOAD_CAP, checked
 * against Content-Length before a byte is read; http/form.h): the file part stays in memory
 * up to FORM_MEM_MAX, beyond that in a sealed temporary file (SM4-CTR, ephemeral key, never
 * plaintext on disk), and batch_job_create_from reads it in place (issue 12). Scope: every route answers 404 for a batch of
 * another subdistrict (batch_job.h).
 * Issue 12: uploads and re-runs past the caller's daily lookup quota answer 429
 * batch_quota_exceeded (batch_quota.h); the export (the only way the uploaded names and phones
 * leave) is the uploader's unless shared (403 batch_not_shared).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/batch/batch_job.h"
#include "domain/batch/batch_quota.h"
#include "domain/batch/batch_worker.h"
#include "http/form.h"
#include "http/multipart.h"
#include "http/stream.h"
#include "io/xlsxw.h"

/* The whole multipart body: the file plus room for the form's other fields and headers. */
#define API_BATCH_UPLOAD_CAP (BATCH_FILE_CAP + ((size_t)1 << 20))

/* --- JSON ------------------------------------------------------------------------------------- */

static json_t *
api_opt_time(int64_t ms)
{
    return ms ? json_integer(ms) : json_null();
}

static json_t *
api_opt_col(int c)
{
    return c >= 0 ? json_integer(c) : json_null();
}

static json_t *
batch_json_plain(const struct batch_job *j)
{
    json_t *by = json_object();
    for (int i = 0; i <= IDNO_NOT_AN_ID; i++)
        json_object_set_new(by, idno_status_code((enum idno_status)i), json_integer((json_int_t)j->counts.by_status[i]));
    /* damaged data is its own count (issue 12): never folded into not_found */
    json_object_set_new(by, BATCH_DAMAGED_CODE, json_integer((json_int_t)j->counts.damaged));
    double progress = strcmp(j->status, "done") == 0 ? 1.0 : (double)j->progress_ppm / BATCH_PROGRESS_ONE;
    json_t *out = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:f, s:s?,"
                     " s:i, s:i, s:s?, s:i, s:I, s:o, s:o, s:o, s:{s:i, s:o, s:o, s:o, s:s}}",
                     "id", (json_int_t)j->id, "status", j->status, "file_name", j->file_name, "format", j->format,
                     "file_bytes", (json_int_t)j->file_bytes, "owner", j->username, "subdistrict",
                     j->subdistrict[0] ? j->subdistrict : NULL, "rows", (json_int_t)j->counts.rows, "valid",
                     (json_int_t)j->counts.valid, "found", (json_int_t)j->counts.found, "not_found",
                     (json_int_t)j->counts.not_found, "invalid", (json_int_t)j->counts.invalid, "duplicate",
                     (json_int_t)j->counts.duplicate, "tested", (json_int_t)j->counts.tested, "by_status", by,
                     "progress", progress, "stage", j->stage[0] ? j->stage : NULL, "days", j->days_count,
                     "days_window", j->days_window, "error", j->error[0] ? j->error : NULL, "runs", j->runs,
                     "created_at", (json_int_t)j->created_at, "queued_at", api_opt_time(j->queued_at),
                     "started_at", api_opt_time(j->started_at), "finished_at", api_opt_time(j->finished_at),
                     "columns", "id", j->col_id, "name", api_opt_col(j->col_name), "phone",
                     api_opt_col(j->col_phone), "header_row",
                     j->header_row ? json_integer((json_int_t)j->header_row) : json_null(), "id_rule", j->id_rule);
    if (out)
        json_object_set_new(out, "damaged", json_integer((json_int_t)j->counts.damaged));
    return out;
}

/* batch_json gives a batch as req's actor sees it: the stored English error translated for
 * the request's Accept-Language (its reason code beside it; in Chinese an uncatalogued one
 * gives way to the generic message and is kept in error_detail), can_delete per
 * batch_job_may_delete. */
static json_t *
batch_json(struct req *req, const struct batch_job *j)
{
    json_t *o = batch_json_plain(j);
    char text[sizeof j->error * 2];
    if (j->error[0]) {
        enum i18n_lang lang = i18n_lang_parse(req_header(req, "Accept-Language"));
        const char *reason = i18n_translate(j->error, lang, text, sizeof text);
        if (reason) {
            json_object_set_new(o, "error", json_string(text));
            json_object_set_new(o, "error_reason", json_string(reason));
        } else if (lang == I18N_ZH) {
            json_object_set_new(o, "error", json_string(err_message_zh(ERR_INVALID)));
            json_object_set_new(o, "error_detail", json_string(j->error));
        }
    }
    json_object_set_new(o, "can_delete", json_boolean(batch_job_may_delete(&req->actor, j)));
    /* issue 12: owner-only cells, shared by the uploader's choice */
    json_object_set_new(o, "shared", json_boolean(j->shared));
    json_object_set_new(o, "is_owner", json_boolean(batch_job_is_owner(&req->actor, j)));
    json_object_set_new(o, "can_export", json_boolean(batch_job_may_export(&req->actor, j)));
    return o;
}

static int
batch_fail_why(struct req *req, int rc, const struct buf *why)
{
    if (why->len && err_status(rc) < 500)
        return req_fail(req, rc, "%s", why->data);
    return rc;
}

/* --- handlers ------------------------------------------------------------------------------- */

/* POST /api/v1/batches  multipart/form-data: file (.xlsx|.csv), days? (1..90)
 *   -> 201 batch (status "queued") */
static int
batches_create(struct req *req)
{
    struct multipart_field f, fd;
    struct table_reader src;
    struct buf why = BUF_INIT;
    struct batch_job job;
    int64_t days = 0;
    char loc[64];
    int rc;

    /* the file is read in place from the streamed form (memory or a sealed temporary
     * file, http/form.h), never copied whole */
    if ((rc = form_file(req, "file", &f, &src, &why))) {
        rc = batch_fail_why(req, rc, &why);
        goto out;
    }
    if (!f.found) {
        rc = req_fail(req, ERR_INVALID, "the form has no 'file' field");
        goto out;
    }
    if (f.size > BATCH_FILE_CAP) {
        rc = req_fail(req, ERR_TOO_LARGE, "'file' may have at most %zu MiB", BATCH_FILE_CAP >> 20);
        goto out;
    }
    if ((rc = form_field(req, "days", &fd, NULL)))
        goto out; /* cannot happen: the same body parsed above */
    if (fd.found && str_to_i64(str_trim(fd.data), &days, 1, BATCH_DAYS_MAX)) {
        rc = req_fail(req, ERR_INVALID, "'days' must be from 1 to %d", BATCH_DAYS_MAX);
        goto out;
    }
    buf_reset(&why);
    if ((rc = batch_job_create_from(req->app, req->db, &req->actor, f.filename, &src, (int)days, &job, &why))) {
        rc = batch_fail_why(req, rc, &why);
        goto out;
    }
    batch_worker_kick();
    snprintf(loc, sizeof loc, "/api/v1/batches/%lld", (long long)job.id);
    req_add_header(req, "Location", loc);
    rc = api_reply(req, 201, batch_json(req, &job));
out:
    buf_release(&why);
    return rc;
}

/* One page of batch jobs, newest first (api/export.h), and how many the caller sees. */
static int
batches_page(struct req *req, const void *query, struct api_list_page *pg)
{
    const struct batch_filter *f = query;
    struct batch_job *items = NULL;
    size_t n = 0;
    int rc;
    if ((!pg->skip_total && (rc = batch_job_count(req->db, &req->actor, f, &pg->total))) ||
        (rc = batch_job_list(req->db, &req->actor, f, pg->limit, pg->cursor, &items, &n, &pg->next)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, batch_json(req, &items[i]));
    xfree(items);
    return 0;
}

static const struct api_col batches_cols[] = {
    { "编号", "id", API_COL_TEXT },          { "状态", "status", API_COL_SHARED },
    { "文件名", "file_name", API_COL_TEXT }, { "格式", "format", API_COL_SHARED },
    { "提交人", "owner", API_COL_TEXT },     { "街道", "subdistrict", API_COL_TEXT },
    { "行数", "rows", API_COL_INT },         { "有效", "valid", API_COL_INT },
    { "查到", "found", API_COL_INT },        { "未查到", "not_found", API_COL_INT },
    { "无效", "invalid", API_COL_INT },      { "重复", "duplicate", API_COL_INT },
    { "已检测", "tested", API_COL_INT },     { "天数", "days", API_COL_INT },
    { "错误", "error", API_COL_TEXT },       { "创建时间", "created_at", API_COL_TIME },
    { "完成时间", "finished_at", API_COL_TIME },
};

static const struct api_list_def batches_def = {
    "batches", "批量查询任务", batches_page, 20, BATCH_LIST_MAX, batches_cols,
    sizeof batches_cols / sizeof batches_cols[0], 0,
};

/* GET /api/v1/batches?limit&next&subdistrict&uploader&status&from&to[&format=xlsx]
 * -> {"items":[batch…], "total", "next"} newest first | .xlsx of every batch the caller sees
 * that matches. subdistrict narrows a district-wide caller's list (a scoped caller keeps
 * its own, whatever it asks); uploader is a username; from/to bound created_at ([from, to)). */
static int
batches_list(struct req *req)
{
    static const char *const statuses[] = { "queued", "running", "done", "failed" };
    struct batch_filter f = { 0 };
    bool known = false;
    int rc;

    f.subdistrict = api_query_opt(req, "subdistrict");
    f.uploader = api_query_opt(req, "uploader");
    f.status = api_query_opt(req, "status");
    if ((rc = api_text(req, "subdistrict", f.subdistrict, 15)) || (rc = api_text(req, "uploader", f.uploader, 64)) ||
        (rc = api_query_time(req, "from", &f.from)) || (rc = api_query_time(req, "to", &f.to)))
        return rc;
    for (size_t i = 0; f.status && i < sizeof statuses / sizeof statuses[0]; i++)
        known = known || !strcmp(f.status, statuses[i]);
    if (f.status && !known)
        return req_fail(req, ERR_INVALID, "'status' must be queued, running, done or failed");
    return api_list_serve(req, &batches_def, &f);
}

static int
batches_id(struct req *req, int64_t *id)
{
    return req_param_i64(req, 0, id);
}

/* GET /api/v1/batches/{id} -> batch */
static int
batches_get(struct req *req)
{
    struct batch_job job;
    int64_t id;
    int rc;
    if ((rc = batches_id(req, &id)))
        return rc;
    if ((rc = batch_job_get(req->db, &req->actor, id, &job)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such batch") : rc;
    return api_reply(req, 200, batch_json(req, &job));
}

/* POST /api/v1/batches/{id}/rerun {"days"?: N} -> 202 batch (queued again) */
static int
batches_rerun(struct req *req)
{
    struct batch_job job;
    struct buf why = BUF_INIT;
    json_t *body = NULL;
    json_int_t days = 0;
    int64_t id;
    int rc;

    if ((rc = batches_id(req, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s?I}", "days", &days)))
        goto out;
    if (json_object_get(body, "days") && (days < 1 || days > BATCH_DAYS_MAX)) {
        rc = req_fail(req, ERR_INVALID, "'days' must be from 1 to %d", BATCH_DAYS_MAX);
        goto out;
    }
    rc = batch_job_rerun(req->app, req->db, &req->actor, id, (int)days, &job, &why);
    if (rc == ERR_RATE) {
        rc = batch_fail_why(req, rc, &why);
        goto out;
    }
    if (rc == ERR_NOT_FOUND) {
        rc = req_fail(req, rc, "no such batch");
        goto out;
    }
    if (rc == ERR_CONFLICT) {
        rc = req_fail(req, rc, "the batch is already queued or running");
        goto out;
    }
    if (rc)
        goto out;
    batch_worker_kick();
    rc = api_reply(req, 202, batch_json(req, &job));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* The download's name: the upload's name without its extension, then what was exported. */
static void
batches_export_name(const struct batch_job *j, enum batch_export_rows rows, char *ascii, size_t acap, char *utf8,
                    size_t ucap)
{
    static const char *const suffix[] = { "结果", "未找到", "无效" };
    const char *code = batch_job_export_rows_code(rows);
    char stem[BATCH_FILE_NAME_MAX + 1];
    str_copy(stem, sizeof stem, j->file_name);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = '\0';
    snprintf(ascii, acap, "batch-%lld-%s.xlsx", (long long)j->id, code);
    if (stem[0])
        snprintf(utf8, ucap, "%s-%s.xlsx", stem, suffix[rows]);
    else
        snprintf(utf8, ucap, "批量查询%lld-%s.xlsx", (long long)j->id, suffix[rows]);
}

/* GET /api/v1/batches/{id}/export?rows=all|not_found|invalid -> .xlsx attachment */
static int
batches_export(struct req *req)
{
    enum batch_export_rows rows;
    struct batch_job job;
    struct api_xlsx *x = NULL;
    char ascii[96], utf8[BATCH_FILE_NAME_MAX + 64];
    int64_t id;
    int rc;

    if ((rc = batches_id(req, &id)))
        return rc;
    if (batch_job_export_rows_parse(req_query(req, "rows"), &rows))
        return req_fail(req, ERR_INVALID, "'rows' must be all, not_found or invalid");
    if ((rc = batch_job_get(req->db, &req->actor, id, &job)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such batch") : rc;
    if ((rc = api__xlsx_new(req, &x)))
        return rc;
    rc = batch_job_export(req->app, req->db, &req->actor, id, rows, api__xlsx_dest(x), NULL);
    if (rc)
        api__xlsx_free(x);
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "no such batch");
    if (rc == ERR_FORBIDDEN)
        return req_fail(req, rc, "only the uploader may export this batch unless it is shared");
    if (rc == ERR_CONFLICT)
        return req_fail(req, rc, "the batch has no results yet (status '%s')", job.status);
    if (rc)
        return rc;
    batches_export_name(&job, rows, ascii, sizeof ascii, utf8, sizeof utf8);
    return api__xlsx_reply(req, x, 0, ascii, utf8);
}

/* batches_status_word gives the Chinese word of a row status code (core/idno.h). */
static const char *
batches_status_word(const char *code)
{
    for (int i = 0; i <= IDNO_NOT_AN_ID; i++)
        if (strcmp(idno_status_code((enum idno_status)i), code) == 0)
            return idno_status_word((enum idno_status)i);
    return code;
}

/* GET /api/v1/batches/{id}/rows?status=&limit=&next= -> {"items":[{"row","id_masked",
 * "status","status_text"}], "total", "next"} in row order; no names, no phones (S1) */
static int
batches_rows(struct req *req)
{
    struct batch_job_row_view rows[BATCH_ROWS_MAX];
    const char *status = req_query(req, "status"), *lim = req_query(req, "limit"), *nx = req_query(req, "next");
    int64_t id, limit = 20, from = 0, total = 0;
    uint64_t next = 0;
    size_t n = 0;
    bool ok = true;
    int rc;

    if ((rc = batches_id(req, &id)))
        return rc;
    if (lim && lim[0] && cstr_to_i64(lim, &limit, 1, BATCH_ROWS_MAX))
        return req_fail(req, ERR_INVALID, "'limit' must be from 1 to %d", BATCH_ROWS_MAX);
    if (nx && nx[0] && cstr_to_i64(nx, &from, 1, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'next' is not a valid cursor");
    if (status && status[0]) {
        ok = false;
        for (int i = 0; i <= IDNO_NOT_AN_ID && !ok; i++)
            ok = strcmp(idno_status_code((enum idno_status)i), status) == 0;
        if (!ok)
            return req_fail(req, ERR_INVALID, "'status' is not a row status code");
    }
    rc = batch_job_rows(req->app, req->db, &req->actor, id, status, (uint64_t)from, (size_t)limit, rows, &n, &total,
                        &next);
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "no such batch");
    if (rc == ERR_CONFLICT)
        return req_fail(req, rc, "the batch has no results yet");
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s}", "row", (json_int_t)rows[i].num, "id_masked",
                                               rows[i].masked_id, "status", rows[i].status, "status_text",
                                               batches_status_word(rows[i].status)));
    char nexttext[24];
    snprintf(nexttext, sizeof nexttext, "%llu", (unsigned long long)next);
    return api_reply(req, 200, json_pack("{s:o, s:I, s:s?}", "items", items, "total", (json_int_t)total, "next",
                                         next ? nexttext : NULL));
}

/* GET /api/v1/batches/template -> 导入模板.xlsx: the header row 身份证号 / 姓名 / 手机号
 * the upload reads (the ID column found by its header), no data */
static int
batches_template(struct req *req)
{
    static const struct str names[] = { { "身份证号", sizeof "身份证号" - 1 }, { "姓名", sizeof "姓名" - 1 },
                                         { "手机号", sizeof "手机号" - 1 } };
    struct xlsxw *w = NULL;
    struct api_xlsx *x = NULL;
    int rc;
    if ((rc = api__xlsx_new(req, &x)))
        return rc;
    if ((rc = xlsxw_open_dest(api__xlsx_dest(x), "名单", NULL, &w)))
        return api__xlsx_reply(req, x, rc, NULL, NULL);
    rc = xlsxw_set_width(w, 0, 22);
    if (!rc)
        rc = xlsxw_set_width(w, 2, 16);
    if (!rc)
        rc = xlsxw_header(w, names, sizeof names / sizeof names[0]);
    return api__xlsx_reply(req, x, xlsxw_finish(w, rc), "batch-template.xlsx", "导入模板.xlsx");
}

/* DELETE /api/v1/batches/{id} (no body, or {}) -> 204 */
static int
batches_delete(struct req *req)
{
    json_t *body = NULL;
    int64_t id;
    int rc;
    if ((rc = batches_id(req, &id)) || (rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{}")))
        goto out;
    rc = batch_job_delete(req->app, req->db, &req->actor, id);
    if (rc == ERR_NOT_FOUND)
        rc = req_fail(req, rc, "no such batch");
    else if (rc == ERR_FORBIDDEN)
        rc = req_fail(req, rc, "only the uploader or a district account may delete a batch");
out:
    json_decref(body);
    return rc;
}

/* POST /api/v1/batches/{id}/share {"share": true|false} -> batch (uploader only; issue 12) */
static int
batches_share(struct req *req)
{
    struct batch_job job;
    json_t *body = NULL;
    int share = 0, rc;
    int64_t id;
    if ((rc = batches_id(req, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:b}", "share", &share)))
        goto out;
    rc = batch_job_share(req->app, req->db, &req->actor, id, share != 0, &job);
    if (rc == ERR_NOT_FOUND)
        rc = req_fail(req, rc, "no such batch");
    else if (rc == ERR_FORBIDDEN)
        rc = req_fail(req, rc, "only the uploader may share a batch");
    else if (!rc)
        rc = api_reply(req, 200, batch_json(req, &job));
out:
    json_decref(body);
    return rc;
}

/* GET /api/v1/batches/quota -> {"limit","used","remaining","window_ms"}: the caller's batch
 * lookup quota over the last 24 hours (domain/batch/batch_quota.h) */
static int
batches_quota(struct req *req)
{
    int64_t used = 0, limit = 0;
    int rc = batch_quota_usage(req->db, &req->actor, time_now_ms(), &used, &limit);
    if (rc)
        return rc;
    return api_reply(req, 200, json_pack("{s:I, s:I, s:I, s:I}", "limit", (json_int_t)limit, "used", (json_int_t)used,
                                         "remaining", (json_int_t)(used < limit ? limit - used : 0), "window_ms",
                                         (json_int_t)BATCH_QUOTA_WINDOW_MS));
}

const struct route api_batches_routes[] = {
    { "POST", "/api/v1/batches", batches_create, PERM_PEOPLE_READ, ROUTE_MULTIPART, API_BATCH_UPLOAD_CAP },
    { "GET", "/api/v1/batches", batches_list, PERM_PEOPLE_READ, 0, 0 },
    { "GET", "/api/v1/batches/template", batches_template, PERM_PEOPLE_READ, 0, 0 },
    { "GET", "/api/v1/batches/quota", batches_quota, PERM_PEOPLE_READ, 0, 0 },
    { "POST", "/api/v1/batches/{id}/share", batches_share, PERM_PEOPLE_READ, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/batches/{id}", batches_get, PERM_PEOPLE_READ, 0, 0 },
    { "POST", "/api/v1/batches/{id}/rerun", batches_rerun, PERM_PEOPLE_READ, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/batches/{id}/export", batches_export, PERM_PEOPLE_READ, 0, 0 },
    { "GET", "/api/v1/batches/{id}/rows", batches_rows, PERM_PEOPLE_READ, 0, 0 },
    { "DELETE", "/api/v1/batches/{id}", batches_delete, PERM_PEOPLE_READ, ROUTE_JSON, 1024 },
    ROUTE_END
};
