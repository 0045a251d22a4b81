/* api/cameras/reconcile.c - camera reconciliation and the one-step binding over HTTP
 * (R3.8, R3.9):
 *   POST /api/v1/cameras/reconcile            multipart: file (the network's device export,
 *                                             .xlsx|.csv), within? (metres, default 300),
 *                                             crs? -> 201 {"id","within_m","counts",…}
 *   GET  /api/v1/reconciliations/{id}         ?class=&limit=&next= -> {run…, "items","total","next"}
 *   GET  /api/v1/reconciliations/{id}/export.xlsx  ?class= -> .xlsx (国标编码, 核对结果 …)
 *   POST /api/v1/reconciliations/{id}/bind    -> {"bound","binding_batch"}
 *   POST /api/v1/binding-batches/{id}/undo    -> {"removed"}
 * The logic is domain/cameras/reconcile.h and binding.h; the survey side is what the toilet
 * imports loaded, in the caller's scope.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/cameras/binding.h"
#include "domain/cameras/reconcile.h"
#include "http/form.h"
#include "http/multipart.h"

#define NETWORK_FILE_CAP ((size_t)64 << 20)
#define NETWORK_UPLOAD_CAP (NETWORK_FILE_CAP + ((size_t)1 << 20))

static json_t *
run_json(const struct reconcile_info *r)
{
    json_t *counts = json_object();
    for (int c = 0; c < RECONCILE__COUNT; c++)
        json_object_set_new(counts, reconcile_class_code((enum reconcile_class)c), json_integer(r->by_class[c]));
    return json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "id", (json_int_t)r->id,
                     "created_by", r->created_by, "created_at", (json_int_t)r->created_at,
                     "within_m", (json_int_t)r->within_m, "devices", (json_int_t)r->devices,
                     "rejected", (json_int_t)r->rejected, "counts", counts, "binding_batch",
                     r->binding_batch ? json_integer(r->binding_batch) : json_null());
}

static json_t *
item_json(const struct reconcile_row *r)
{
    json_t *ids = json_array();
    for (const char *p = r->place_ids; *p;) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        int64_t v;
        if (str_to_i64((struct str){ p, len }, &v, 1, INT64_MAX) == 0)
            json_array_append_new(ids, json_integer(v));
        p += len + (sp ? 1 : 0);
    }
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "gb_id", r->gb_id, "class", r->cls,
                          "place_ids", ids, "toilets", r->toilets, "name", r->net_name,
                          "status", r->net_status, "reason", r->reason);
    json_object_set_new(o, "distance_m", r->distance_m >= 0 ? json_real(r->distance_m) : json_null());
    json_object_set_new(o, "lon", r->has_pos ? json_real((double)r->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", r->has_pos ? json_real((double)r->lat_e6 / 1e6) : json_null());
    return o;
}

static int
class_arg(struct req *req, const char **cls)
{
    enum reconcile_class c;
    *cls = req_query(req, "class");
    if (*cls && reconcile_class_parse(*cls, &c))
        return req_fail(req, ERR_INVALID, "'class' must be matched, conflict, only_survey or only_online");
    return 0;
}

/* form_text copies multipart field name (trimmed) into out; "" when absent. */
static int
form_text(struct req *req, const char *name, char *out, size_t cap)
{
    struct multipart_field f;
    int rc = form_field(req, name, &f, NULL);
    out[0] = '\0';
    if (rc || !f.found)
        return rc;
    struct str v = str_trim(f.data);
    if (v.n >= cap)
        return req_fail(req, ERR_INVALID, "'%s' is too long", name);
    memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return 0;
}

/* POST /api/v1/cameras/reconcile  multipart: file, within?, crs? -> 201 run */
static int
cameras_reconcile(struct req *req)
{
    struct multipart_field f;
    struct table_reader src;
    struct buf why = BUF_INIT;
    struct table *t = NULL;
    struct reconcile_result res;
    struct reconcile_info info;
    struct arena arena = ARENA_INIT;
    enum geo_crs crs = GEO_WGS84;
    char within_s[24], crs_s[16], loc[64];
    int64_t within = (int64_t)RECONCILE_WITHIN_DEFAULT;
    int rc;

    if ((rc = api__form_file(req, NETWORK_FILE_CAP, &f, &src)))
        goto out;
    if ((rc = form_text(req, "within", within_s, sizeof within_s)) ||
        (rc = form_text(req, "crs", crs_s, sizeof crs_s)))
        goto out;
    if (within_s[0] && cstr_to_i64(within_s, &within, 1, (int64_t)RECONCILE_WITHIN_MAX)) {
        rc = req_fail(req, ERR_INVALID, "'within' must be from 1 to %.0f metres", RECONCILE_WITHIN_MAX);
        goto out;
    }
    if (crs_s[0] && geo_crs_parse(crs_s, &crs)) {
        rc = req_fail(req, ERR_INVALID, "'crs' must be wgs84, gcj02 or bd09");
        goto out;
    }
    buf_reset(&why);
    if ((rc = table_open_reader(&src, &t, &why)) ||
        (rc = reconcile_run(req->app, req->db, &req->actor, t, crs, (double)within, NULL, NULL, &res, &why))) {
        if (rc == ERR_INVALID || rc == ERR_TOO_LARGE)
            rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    if ((rc = reconcile_get(req->db, &req->actor, res.id, &arena, &info)))
        goto out;
    snprintf(loc, sizeof loc, "/api/v1/reconciliations/%lld", (long long)res.id);
    req_add_header(req, "Location", loc);
    rc = api_reply(req, 201, run_json(&info));
out:
    table_close(t);
    buf_release(&why);
    arena_release(&arena);
    return rc;
}

/* GET /api/v1/reconciliations/{id}?class=&limit=&next= */
static int
reconciliations_get(struct req *req)
{
    struct arena arena = ARENA_INIT;
    struct reconcile_info info;
    struct reconcile_row *rows = NULL;
    const char *cls;
    size_t limit, n = 0;
    int64_t id, after, total = 0;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = class_arg(req, &cls)) ||
        (rc = api_page(req, 100, RECONCILE_LIST_MAX, &limit, &after)))
        return rc;
    if ((rc = reconcile_get(req->db, &req->actor, id, &arena, &info)) ||
        (rc = reconcile_rows(req->db, &req->actor, id, cls, after, limit, &arena, &rows, &n, &total))) {
        arena_release(&arena);
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such reconciliation") : rc;
    }
    json_t *o = run_json(&info), *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, item_json(&rows[i]));
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "total", json_integer(total));
    json_object_set_new(o, "next", api_next_cursor(n == limit ? rows[n - 1].seq : 0));
    arena_release(&arena);
    return api_reply(req, 200, o);
}

/* GET /api/v1/reconciliations/{id}/export.xlsx?class= */
static int
reconciliations_export(struct req *req)
{
    const char *cls;
    struct api_xlsx *x = NULL;
    char name[64];
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = class_arg(req, &cls)) ||
        (rc = api__xlsx_new(req, &x)))
        return rc;
    rc = reconcile_export(req->db, &req->actor, id, cls, api__xlsx_dest(x));
    if (rc)
        api__xlsx_free(x);
    if (rc)
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such reconciliation") : rc;
    snprintf(name, sizeof name, "reconciliation-%lld.xlsx", (long long)id);
    return api__xlsx_reply(req, x, 0, name, NULL);
}

/* POST /api/v1/reconciliations/{id}/bind (no body, or {}) -> {"bound","binding_batch"} */
static int
reconciliations_bind(struct req *req)
{
    json_t *body = NULL;
    size_t bound = 0;
    int64_t id, batch = 0;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{}")))
        goto out;
    rc = reconcile_bind(req->app, req->db, &req->actor, id, &bound, &batch);
    if (rc == ERR_NOT_FOUND)
        rc = req_fail(req, rc, "no such reconciliation");
    else if (rc == ERR_CONFLICT)
        rc = req_fail(req, rc, "the reconciliation is already bound (undo its binding batch first)");
    else if (!rc)
        rc = api_reply(req, 200, json_pack("{s:I, s:I}", "bound", (json_int_t)bound, "binding_batch",
                                           (json_int_t)batch));
out:
    json_decref(body);
    return rc;
}

/* POST /api/v1/binding-batches/{id}/undo (no body, or {}) -> {"removed"} */
static int
binding_batches_undo(struct req *req)
{
    json_t *body = NULL;
    size_t removed = 0;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{}")))
        goto out;
    rc = binding_batch_undo(req->app, req->db, &req->actor, id, &removed);
    if (rc == ERR_NOT_FOUND)
        rc = req_fail(req, rc, "no such binding batch");
    else if (rc == ERR_CONFLICT)
        rc = req_fail(req, rc, "the binding batch was already undone");
    else if (!rc)
        rc = api_reply(req, 200, json_pack("{s:I}", "removed", (json_int_t)removed));
out:
    json_decref(body);
    return rc;
}

const struct route api_reconcile_routes[] = {
    { "POST", "/api/v1/cameras/reconcile", cameras_reconcile, PERM_CAMERAS_WRITE, ROUTE_MULTIPART,
      NETWORK_UPLOAD_CAP },
    { "GET", "/api/v1/reconciliations/{id}", reconciliations_get, PERM_CAMERAS_READ, 0, 0 },
    { "GET", "/api/v1/reconciliations/{id}/export.xlsx", reconciliations_export, PERM_CAMERAS_READ, 0, 0 },
    { "POST", "/api/v1/reconciliations/{id}/bind", reconciliations_bind, PERM_CAMERAS_WRITE, ROUTE_JSON, 1024 },
    { "POST", "/api/v1/binding-batches/{id}/undo", binding_batches_undo, PERM_CAMERAS_WRITE, ROUTE_JSON, 1024 },
    ROUTE_END
};
