/* api/platform/settings.c - /api/v1/settings/policy: the security policy, read and changed by
 * secadmin (S6 三权分立). */
#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/account/user.h"
#include "domain/platform/audit.h"
#include "domain/platform/audit_action.h"
#include "domain/platform/policy.h"

#define SUMMARY_RECENT 10
#define SUMMARY_LOCKED 20
#define SHANGHAI_MS (8LL * 3600000)
#define DAY_MS 86400000LL

static json_t *
settings_policy_json(const struct policy *p)
{
    return json_pack("{s:i, s:i, s:I, s:i, s:I, s:I, s:I, s:b, s:I, s:I}", "password_min_length",
                     p->password_min_length, "password_min_classes", p->password_min_classes,
                     "password_max_age_ms", (json_int_t)p->password_max_age_ms, "lockout_attempts",
                     p->lockout_attempts, "lockout_ms", (json_int_t)p->lockout_ms, "session_idle_ms",
                     (json_int_t)p->session_idle_ms, "session_absolute_ms",
                     (json_int_t)p->session_absolute_ms, "totp_for_all", p->totp_for_all,
                     "pbkdf2_iterations", (json_int_t)p->pbkdf2_iterations, "batch_rows_per_day",
                     (json_int_t)p->batch_rows_per_day);
}

/* GET /api/v1/settings/policy -> P */
static int
settings_get(struct req *req)
{
    struct policy p;
    int rc = policy_load(req->db, &p);
    return rc ? rc : api_reply(req, 200, settings_policy_json(&p));
}

/* PUT /api/v1/settings/policy P -> P (every field required but batch_rows_per_day, issue 12:
 * absent = unchanged) */
static int
settings_put(struct req *req)
{
    json_t *body = NULL;
    struct policy p;
    json_int_t min_len, classes, max_age, attempts, lockout_ms, idle, absolute, iter, quota;
    int totp_all = 0;
    struct buf why = BUF_INIT;
    int rc;
    if ((rc = policy_load(req->db, &p)))
        return rc;
    quota = p.batch_rows_per_day;
    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s?I}", "password_min_length",
                         &min_len, "password_min_classes", &classes, "password_max_age_ms", &max_age,
                         "lockout_attempts", &attempts, "lockout_ms", &lockout_ms, "session_idle_ms", &idle,
                         "session_absolute_ms", &absolute, "totp_for_all", &totp_all, "pbkdf2_iterations", &iter,
                         "batch_rows_per_day", &quota)))
        goto out;
    /* range-check before narrowing: 4294967306 must not become 10 */
    if (min_len < 0 || min_len > 1000 || classes < 0 || classes > 100 || attempts < 0 || attempts > 100000 ||
        iter < 0 || iter > 100000000) {
        rc = req_fail(req, ERR_INVALID, "a policy value is out of range");
        goto out;
    }
    p.password_min_length = (int)min_len;
    p.password_min_classes = (int)classes;
    p.lockout_attempts = (int)attempts;
    p.password_max_age_ms = max_age;
    p.lockout_ms = lockout_ms;
    p.session_idle_ms = idle;
    p.session_absolute_ms = absolute;
    p.totp_for_all = totp_all;
    p.pbkdf2_iterations = (uint32_t)iter;
    p.batch_rows_per_day = quota;
    if ((rc = policy_save(req->db, &req->app->keys, &req->actor, &p, &why))) {
        if (rc == ERR_INVALID)
            req_fail(req, rc, "%s", why.data);
        goto out;
    }
    req->app->policy = p; /* other nodes: their listener reloads it (push/listen.h, issue 13) */
    rc = api_reply(req, 200, settings_policy_json(&p));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* GET /api/v1/settings/security-summary -> {"locked_accounts":{"total","items":[{"id","username",
 * "role","locked_until","failed_attempts"}]},"failed_logins_today","lockouts_today","since",
 * "policy":P,"recent":[{"id","ts","actor","role","ip","action","action_name","result","target"}]}
 * The security administrator's home page (issue 14): no business figures. "Today" starts at
 * midnight Beijing time. */
static int
settings_summary(struct req *req)
{
    struct user_filter f = { .role = ROLE_NONE, .state = USER_STATE_LOCKED, .now = time_now_ms() };
    struct user *users = NULL;
    struct audit_entry *items = NULL;
    struct policy p;
    size_t n = 0;
    int64_t total = 0, failed = 0, lockouts = 0;
    int64_t since = (f.now + SHANGHAI_MS) / DAY_MS * DAY_MS - SHANGHAI_MS;
    json_t *locked, *recent;
    int rc;

    if ((rc = policy_load(req->db, &p)) ||
        (rc = user_find(req->db, &req->app->keys, &f, 0, SUMMARY_LOCKED, &users, &n, &total)))
        return rc;
    locked = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(locked, json_pack("{s:I, s:s, s:s, s:I, s:i}", "id", (json_int_t)users[i].id, "username",
                                                users[i].username, "role", role_name(users[i].role), "locked_until",
                                                (json_int_t)users[i].locked_until, "failed_attempts",
                                                users[i].failed_count));
    xfree(users);
    if ((rc = audit_security_recent(req->db, since, SUMMARY_RECENT, &req->arena, &items, &n, &failed, &lockouts))) {
        json_decref(locked);
        return rc;
    }
    recent = json_array();
    for (size_t i = 0; i < n; i++) {
        char name[160];
        bool named = audit_action_name(items[i].action, false, name, sizeof name);
        json_array_append_new(recent, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:s}", "id",
                                                (json_int_t)items[i].id, "ts", (json_int_t)items[i].ts, "actor",
                                                items[i].actor, "role", items[i].role, "ip", items[i].ip, "action",
                                                items[i].action, "action_name", named ? name : NULL, "result",
                                                items[i].result, "target", items[i].target));
    }
    return api_reply(req, 200,
                     json_pack("{s:{s:I, s:o}, s:I, s:I, s:I, s:o, s:o}", "locked_accounts", "total",
                               (json_int_t)total, "items", locked, "failed_logins_today", (json_int_t)failed,
                               "lockouts_today", (json_int_t)lockouts, "since", (json_int_t)since, "policy",
                               settings_policy_json(&p), "recent", recent));
}

const struct route api_settings_routes[] = {
    { "GET", "/api/v1/settings/security-summary", settings_summary, PERM_SETTINGS_READ, 0, 0 },
    { "GET", "/api/v1/settings/policy", settings_get, PERM_SETTINGS_READ, 0, 0 },
    { "PUT", "/api/v1/settings/policy", settings_put, PERM_SETTINGS_WRITE, ROUTE_JSON, 4096 },
    ROUTE_END
};
