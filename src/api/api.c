/* api/api.c - shared handler helpers (style: handlers hold resource logic only): bodies,
 * replies, paging and list replies, query arguments. */
#include "api/api.h"

#include <stdarg.h>
#include <string.h>

#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/stats/stats.h"
#include "http/form.h"
#include "http/multipart.h"

int
api_body(struct req *req, json_t **out)
{
    char err[160];
    int rc = jsonio_parse(req->body.data, req->body.len, out, err, sizeof err);
    if (rc)
        return req_fail(req, rc, "%s", err);
    return 0;
}

int
api_unpack(struct req *req, json_t *root, const char *fmt, ...)
{
    char err[220];
    va_list ap;
    va_start(ap, fmt);
    int rc = jsonio_vunpack(root, err, sizeof err, fmt, ap);
    va_end(ap);
    if (rc)
        return req_fail(req, rc, "%s", err);
    return 0;
}

int
api_reply(struct req *req, int status, json_t *value)
{
    return api_reply_as(req, status, "application/json; charset=utf-8", value);
}

int
api_reply_as(struct req *req, int status, const char *content_type, json_t *value)
{
    size_t len = 0;
    char *s;
    if (!value)
        return ERR_INTERNAL;
    s = jsonio_dump(value, &len);
    json_decref(value);
    req_reply(req, status, content_type, s, len);
    return 0;
}

int
api_page(struct req *req, size_t def, size_t max, size_t *limit, int64_t *after)
{
    const char *l = req_query(req, "limit"), *n = req_query(req, "next");
    int64_t v = 0;
    *limit = def;
    *after = 0;
    if (l) {
        if (cstr_to_i64(l, &v, 1, (int64_t)max))
            return req_fail(req, ERR_INVALID, "'limit' must be a whole number from 1 to %zu", max);
        *limit = (size_t)v;
    }
    if (n && *n) {
        uint8_t raw[24];
        size_t rn = 0;
        if (b64url_decode(n, strlen(n), raw, sizeof raw - 1, &rn) ||
            str_to_i64((struct str){ (const char *)raw, rn }, &v, 1, INT64_MAX))
            return req_fail(req, ERR_INVALID, "'next' is not a valid cursor");
        *after = v;
    }
    return 0;
}

json_t *
api_next_cursor(int64_t after_id)
{
    struct buf b = BUF_INIT;
    char id[24];
    json_t *v;
    if (!after_id)
        return json_null();
    snprintf(id, sizeof id, "%lld", (long long)after_id);
    b64url_encode(&b, id, strlen(id));
    v = json_string(b.data);
    buf_release(&b);
    return v;
}

json_t *
api_list_json(json_t *items, int64_t total, int64_t next_after)
{
    return json_pack("{s:o, s:I, s:o}", "items", items, "total", (json_int_t)total, "next",
                     api_next_cursor(next_after));
}

const char *
api_query_opt(struct req *req, const char *name)
{
    const char *v = req_query(req, name);
    return v && *v ? v : NULL;
}

int
api_query_time(struct req *req, const char *name, int64_t *ms)
{
    const char *v = api_query_opt(req, name);
    if (!v || !cstr_to_i64(v, ms, 1, INT64_MAX) || !time_parse_rfc3339(v, ms))
        return 0;
    return req_fail(req, ERR_INVALID, "'%s' must be milliseconds since the epoch or an RFC 3339 time", name);
}

int
api_filter_time(struct req *req, const char *name, int64_t *ms, bool *given)
{
    const char *v = api_query_opt(req, name);
    *ms = 0;
    if (given)
        *given = v != NULL;
    if (v && stats_parse_time(v, ms))
        return req_fail(req, ERR_INVALID, "'%s' must be milliseconds since the epoch or an RFC 3339 time", name);
    return 0;
}

int
api_text(struct req *req, const char *field, const char *value, size_t max)
{
    size_t n;
    if (!value)
        return 0;
    n = strlen(value);
    if (n > max)
        return req_fail(req, ERR_INVALID, "'%s' may have at most %zu bytes", field, max);
    if (!str_is_utf8(value, n) || str_has_ctl(value, n))
        return req_fail(req, ERR_INVALID, "'%s' contains characters that are not allowed", field);
    return 0;
}

int
api__form_file(struct req *req, size_t cap, struct multipart_field *f, struct table_reader *src)
{
    struct buf why = BUF_INIT;
    int rc;
    if ((rc = form_file(req, "file", f, src, &why)) == 0 && !f->found)
        rc = req_fail(req, ERR_INVALID, "the form has no 'file' field");
    else if (rc)
        rc = req_fail(req, rc, "%s", why.data);
    else if (f->size > cap)
        rc = req_fail(req, ERR_TOO_LARGE, "'file' may have at most %zu MiB", cap >> 20);
    buf_release(&why);
    return rc;
}
