/* api/account/users.c - the /api/v1/users resource: accounts managed by sysadmin (R1.7, S6). */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/platform/division.h"
#include "domain/account/user.h"

#define USERS_BODY_CAP 4096

/* api_user_profile_json adds the profile (personal fields masked) and the sign-in facts. */
static void
api_user_profile_json(struct req *req, const struct user *u, json_t *o)
{
    char masked[USER_SEALED_MAX];
    user_masked_real_name(&req->app->keys, u, masked, sizeof masked);
    json_object_set_new(o, "real_name", masked[0] ? json_string(masked) : json_null());
    user_masked_phone(&req->app->keys, u, masked, sizeof masked);
    json_object_set_new(o, "phone", masked[0] ? json_string(masked) : json_null());
    json_object_set_new(o, "organisation", u->organisation[0] ? json_string(u->organisation) : json_null());
    json_object_set_new(o, "last_login_at", u->last_login_at ? json_integer(u->last_login_at) : json_null());
    json_object_set_new(o, "failed_attempts", json_integer(u->failed_count));
    json_object_set_new(o, "locked_until", u->locked_until > time_now_ms() ? json_integer(u->locked_until) : json_null());
    wipe(masked, sizeof masked);
}

json_t *
api_user_json(struct req *req, const struct user *u)
{
    json_t *perms = json_array();
    perm_set set = role_perms(u->role);
    struct division d;
    int64_t now = time_now_ms();
    json_t *o;

    for (int i = 0; i < PERM__COUNT; i++)
        if (set & PERM_SET(i))
            json_array_append_new(perms, json_string(perm_name((enum perm_bit)i)));
    o = json_pack("{s:I, s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:I}", "id", (json_int_t)u->id,
                  "username", u->username, "role", role_name(u->role), "permissions", perms,
                  "must_change_password", u->must_change || user_password_expired(req->app, u, now),
                  "totp_enabled", u->totp_enabled,
                  "totp_required", role_requires_totp(u->role) || req->app->policy.totp_for_all,
                  "locked", user_is_locked(u, now), "disabled", u->disabled, "created_at",
                  (json_int_t)u->created_at);
    if (u->subdistrict[0] && !division_get(req->db, u->subdistrict, &req->arena, &d)) {
        json_object_set_new(o, "subdistrict", json_string(u->subdistrict));
        json_object_set_new(o, "subdistrict_name", json_string(d.name));
    } else {
        json_object_set_new(o, "subdistrict", json_null());
        json_object_set_new(o, "subdistrict_name", json_null());
    }
    api_user_profile_json(req, u, o);
    json_object_set_new(o, "password_expires_at",
                        req->app->policy.password_max_age_ms
                            ? json_integer(u->password_changed_at + req->app->policy.password_max_age_ms)
                            : json_null());
    return o;
}

/* One page of accounts (api/export.h). */
static int
users_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct user *items = NULL;
    size_t n = 0;
    int rc;
    if ((rc = user_find(req->db, &req->app->keys, query, pg->cursor, pg->limit, &items, &n, &pg->total)))
        goto out;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, api_user_json(req, &items[i]));
    pg->next = n == pg->limit ? items[n - 1].id : 0;
out:
    xfree(items);
    return rc;
}

static const struct api_col users_cols[] = {
    { "编号", "id", API_COL_TEXT },
    { "用户名", "username", API_COL_TEXT },
    { "角色", "role", API_COL_SHARED },
    { "街道编码", "subdistrict", API_COL_TEXT },
    { "街道", "subdistrict_name", API_COL_SHARED },
    { "姓名", "real_name", API_COL_MASKED },
    { "联系电话", "phone", API_COL_MASKED },
    { "所属单位", "organisation", API_COL_TEXT },
    { "最近登录", "last_login_at", API_COL_TIME },
    { "连续失败次数", "failed_attempts", API_COL_INT },
    { "锁定至", "locked_until", API_COL_TIME },
    { "须改密码", "must_change_password", API_COL_BOOL },
    { "已启用双因素", "totp_enabled", API_COL_BOOL },
    { "已锁定", "locked", API_COL_BOOL },
    { "已停用", "disabled", API_COL_BOOL },
    { "创建时间", "created_at", API_COL_TIME },
    { "密码到期", "password_expires_at", API_COL_TIME },
};

static const struct api_list_def users_def = {
    "users", "用户", users_page, 50, 500, users_cols, sizeof users_cols / sizeof users_cols[0], 0,
};

static const char *const user_states[] = { [USER_STATE_NORMAL] = "normal", [USER_STATE_LOCKED] = "locked",
                                            [USER_STATE_DISABLED] = "disabled" };

/* GET /api/v1/users?limit&next&role&state&q[&format=xlsx] -> {"items","total","next"} | .xlsx
 * role: a role name; state: normal | locked | disabled; q: a part of the user name or a whole
 * real name (matched by its blind index). */
static int
users_list(struct req *req)
{
    struct user_filter f = { .role = ROLE_NONE, .now = time_now_ms() };
    const char *role = req_query(req, "role"), *state = req_query(req, "state");
    int rc;
    if (role && *role && (f.role = role_parse(role)) == ROLE_NONE)
        return req_fail(req, ERR_INVALID, "'role' is not a known role");
    if (state && *state) {
        for (int i = USER_STATE_NORMAL; i <= USER_STATE_DISABLED; i++)
            if (!strcmp(state, user_states[i]))
                f.state = (enum user_state)i;
        if (f.state == USER_STATE_ANY)
            return req_fail(req, ERR_INVALID, "'state' must be normal, locked or disabled");
    }
    f.q = req_query(req, "q");
    if ((rc = api_text(req, "q", f.q, 128)))
        return rc;
    return api_list_serve(req, &users_def, &f);
}

/* GET /api/v1/users/{id} -> U */
static int
users_get(struct req *req)
{
    struct user u;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = user_get(req->db, id, &u)))
        return rc;
    return api_reply(req, 200, api_user_json(req, &u));
}

/* POST /api/v1/users {"username","role","subdistrict"?,"password"?,"real_name"?,"phone"?,
 *   "organisation"?} -> 201 {"user","temporary_password"?} (real name and phone sealed); the
 *   account must change its password at the first sign-in either way (三权分立, issue 12). */
static int
users_create(struct req *req)
{
    json_t *body = NULL, *out;
    const char *username = NULL, *role = NULL, *subdistrict = NULL, *password = NULL;
    struct user_profile prof = { 0 };
    struct buf temp = BUF_INIT, why = BUF_INIT;
    struct user u;
    int rc;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s:s, s?s, s?s, s?s, s?s, s?s}", "username", &username, "role", &role,
                         "subdistrict", &subdistrict, "password", &password, "real_name", &prof.real_name,
                         "phone", &prof.phone, "organisation", &prof.organisation)) ||
        (rc = api_text(req, "subdistrict", subdistrict, 12)) || (rc = api_text(req, "password", password, 256)))
        goto out;
    if ((rc = user_create_with(req->app, req->db, &req->actor, username, role_parse(role), subdistrict, &prof,
                               password, false, &temp, &why, &u))) {
        if (rc == ERR_CONFLICT)
            req_fail(req, rc, "the user name is taken");
        else if (why.len)
            req_fail(req, rc, "%s", why.data);
        goto out;
    }
    out = json_pack("{s:o}", "user", api_user_json(req, &u));
    if (temp.len)
        json_object_set_new(out, "temporary_password", json_string(temp.data));
    rc = api_reply(req, 201, out);
out:
    buf_release_secret(&temp);
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* PATCH /api/v1/users/{id} {"role"?,"subdistrict"?,"locked"?,"disabled"?} -> U */
static int
users_update(struct req *req)
{
    json_t *body = NULL, *sub = NULL;
    const char *role = NULL;
    int locked = -1, disabled = -1;
    struct user_change c = { 0 };
    struct buf why = BUF_INIT;
    struct user u;
    int64_t id;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s?s, s?o, s?b, s?b}", "role", &role, "subdistrict", &sub,
                         "locked", &locked, "disabled", &disabled)))
        goto out;
    if (role) {
        c.has_role = true;
        c.role = role_parse(role);
    }
    if (sub) {
        if (!json_is_null(sub) && !json_is_string(sub)) {
            rc = req_fail(req, ERR_INVALID, "'subdistrict' must be a string or null");
            goto out;
        }
        c.has_subdistrict = true;
        str_copy(c.subdistrict, sizeof c.subdistrict, json_is_string(sub) ? json_string_value(sub) : "");
    }
    if (json_object_get(body, "locked")) {
        c.has_locked = true;
        c.locked = locked;
    }
    if (json_object_get(body, "disabled")) {
        c.has_disabled = true;
        c.disabled = disabled;
    }
    if ((rc = user_update(req->app, req->db, &req->actor, id, &c, &why, &u))) {
        if (why.len)
            req_fail(req, rc, "%s", why.data);
        goto out;
    }
    rc = api_reply(req, 200, api_user_json(req, &u));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* POST /api/v1/users/{id}/reset-password {} -> {"temporary_password"} */
static int
users_reset_password(struct req *req)
{
    struct buf temp = BUF_INIT;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if (req->actor.kind == ACTOR_USER && req->actor.id == id)
        return req_fail(req, ERR_INVALID, "use the change-password page for your own account");
    if (!(rc = user_reset_password(req->app, req->db, &req->actor, id, &temp)))
        rc = api_reply(req, 200, json_pack("{s:s}", "temporary_password", temp.data));
    else if (rc == ERR_FORBIDDEN)
        req_fail(req, rc, "administrator accounts are managed at the server console ('jiayuan user')");
    buf_release_secret(&temp);
    return rc;
}

const struct route api_users_routes[] = {
    { "GET", "/api/v1/users", users_list, PERM_USERS_READ, 0, 0 },
    { "POST", "/api/v1/users", users_create, PERM_USERS_WRITE, ROUTE_JSON, USERS_BODY_CAP },
    { "GET", "/api/v1/users/{id}", users_get, PERM_USERS_READ, 0, 0 },
    { "PATCH", "/api/v1/users/{id}", users_update, PERM_USERS_WRITE, ROUTE_JSON, USERS_BODY_CAP },
    { "POST", "/api/v1/users/{id}/reset-password", users_reset_password, PERM_USERS_WRITE, ROUTE_JSON, USERS_BODY_CAP },
    ROUTE_END
};
