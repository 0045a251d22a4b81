/* api/account/tokens.c - the /api/v1/tokens resource: API tokens for upstream systems (R2.x, S6). */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/account/token.h"

/* Every token, one page (api/export.h); never secrets. */
static int
tokens_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct token_info *items = NULL;
    size_t n = 0;
    int rc;
    (void)query;
    if ((rc = token_list(req->db, pg->arena, &items, &n)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            pg->items, json_pack("{s:I, s:s, s:s, s:s?, s:I, s:I, s:I}", "id", (json_int_t)items[i].id, "name",
                                 items[i].name, "scopes", items[i].scopes, "subdistrict",
                                 items[i].subdistrict[0] ? items[i].subdistrict : NULL, "created_at",
                                 (json_int_t)items[i].created_at, "revoked_at", (json_int_t)items[i].revoked_at,
                                 "last_used_at", (json_int_t)items[i].last_used_at));
    pg->total = (int64_t)n;
    return 0;
}

static const struct api_col tokens_cols[] = {
    { "编号", "id", API_COL_TEXT },           { "名称", "name", API_COL_TEXT },
    { "权限范围", "scopes", API_COL_TEXT },   { "街道", "subdistrict", API_COL_TEXT },
    { "创建时间", "created_at", API_COL_TIME }, { "吊销时间", "revoked_at", API_COL_TIME },
    { "最近使用", "last_used_at", API_COL_TIME },
};

/* No paging: every token is one page (?limit is checked but not used). */
static const struct api_list_def tokens_def = {
    "tokens", "接口令牌", tokens_page, 100, 1000, tokens_cols, sizeof tokens_cols / sizeof tokens_cols[0], 0,
};

/* GET /api/v1/tokens[?format=xlsx] -> {"items","total","next":null} (never secrets) | .xlsx */
static int tokens_list(struct req *req) { return api_list_serve(req, &tokens_def, NULL); }

/* POST /api/v1/tokens {"name","scopes":"a.read,b.write","subdistrict"?} -> 201 {"id","token"} */
static int
tokens_create(struct req *req)
{
    json_t *body = NULL;
    const char *name = NULL, *scopes = NULL, *subdistrict = NULL, *bad = NULL;
    size_t bad_len = 0;
    perm_set set = 0;
    struct buf secret = BUF_INIT, why = BUF_INIT;
    int64_t id = 0;
    int rc;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s:s, s?s}", "name", &name, "scopes", &scopes,
                         "subdistrict", &subdistrict)) ||
        (rc = api_text(req, "name", name, 100)) || (rc = api_text(req, "scopes", scopes, 1000)) ||
        (rc = api_text(req, "subdistrict", subdistrict, 12)))
        goto out;
    if (perm_parse_scopes(scopes, &set, &bad, &bad_len)) {
        (void)bad;
        (void)bad_len;
        rc = req_fail(req, ERR_INVALID, "'scopes' holds an unknown scope (see GET /api/v1/auth/me for names)");
        goto out;
    }
    if ((rc = token_check_grant(&req->actor, set, subdistrict, &why))) {
        req_fail(req, rc, "%s", why.data);
        goto out;
    }
    if ((rc = token_create(req->app, req->db, &req->actor, name, set, subdistrict, &secret, &id))) {
        if (rc == ERR_INVALID)
            req_fail(req, rc, "'name' or 'subdistrict' is not valid");
        goto out;
    }
    rc = api_reply(req, 201, json_pack("{s:I, s:s}", "id", (json_int_t)id, "token", secret.data));
out:
    buf_release_secret(&secret);
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* DELETE /api/v1/tokens/{id} -> 204 */
static int
tokens_revoke(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    return token_revoke(req->app, req->db, &req->actor, id);
}

const struct route api_tokens_routes[] = {
    { "GET", "/api/v1/tokens", tokens_list, PERM_TOKENS_READ, 0, 0 },
    { "POST", "/api/v1/tokens", tokens_create, PERM_TOKENS_WRITE, ROUTE_JSON, 4096 },
    { "DELETE", "/api/v1/tokens/{id}", tokens_revoke, PERM_TOKENS_WRITE, ROUTE_JSON, 1024 },
    ROUTE_END
};
