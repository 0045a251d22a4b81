/* api/notify/webhooks.c - the /api/v1/webhooks resource: webhook subscriptions for the GIS map and
 * other vendors' dashboards, their delivery log and dead-letter requeue (issue 3 "Push",
 * managed by sysadmin: webhooks.read / webhooks.write). Delivery is domain/notify/webhook_worker.c's;
 * the rules (URL checks, sealed secret, audit) are domain/notify/webhook_sub.c's. A secret is
 * returned once, when the server generated it, and never listed.
 */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "domain/notify/webhook_allow.h"
#include "domain/notify/webhook_sub.h"

static json_t *
webhooks_json(const struct webhook_sub *w)
{
    return json_pack("{s:I, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)w->id, "url", w->url,
                     "topics", w->topics, "active", w->active, "cursor", (json_int_t)w->cursor, "created_at",
                     (json_int_t)w->created_at, "updated_at", (json_int_t)w->updated_at, "delivered",
                     (json_int_t)w->delivered, "pending", (json_int_t)w->pending, "dead", (json_int_t)w->dead);
}

/* webhooks_fail gives domain errors their client-facing message. */
static int
webhooks_fail(struct req *req, int rc, const char *why)
{
    switch (rc) {
    case ERR_INVALID:
        return req_fail(req, rc, "%s", why ? why : "the webhook is not valid");
    case ERR_FORBIDDEN:
        return req_fail(req, rc, "%s", why ? why : "webhooks are managed by district-wide accounts");
    case ERR_NOT_FOUND:
        return req_fail(req, rc, "no such webhook");
    default:
        return rc;
    }
}

/* GET /api/v1/webhooks[?limit&next] -> {"items":[webhook…],"total","next"} (never secrets) */
static int
webhooks_list(struct req *req)
{
    struct webhook_sub *items = NULL;
    size_t limit, n = 0;
    int64_t after, total = 0;
    json_t *arr;
    int rc;

    if ((rc = api_page(req, 100, WEBHOOK_SUB_LIST_MAX, &limit, &after)))
        return rc;
    if ((rc = webhook_sub_list(req->db, &req->actor, after, limit, &req->arena, &items, &n, &total)))
        return webhooks_fail(req, rc, NULL);
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, webhooks_json(&items[i]));
    return api_reply(req, 200, json_pack("{s:o, s:I, s:o}", "items", arr, "total", (json_int_t)total, "next",
                                         api_next_cursor(n == limit && n ? items[n - 1].id : 0)));
}

/* POST /api/v1/webhooks {"url","topics"?,"secret"?} -> 201 {webhook…, "secret"? (generated)} */
static int
webhooks_create(struct req *req)
{
    json_t *body = NULL, *out;
    const char *url = NULL, *topics = NULL, *secret = NULL, *why = NULL;
    struct buf generated = BUF_INIT;
    struct webhook_sub w;
    int64_t id = 0;
    int rc;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s?s, s?s}", "url", &url, "topics", &topics, "secret", &secret)))
        goto out;
    if ((rc = webhook_sub_create(req->app, req->db, &req->actor, url, topics, secret, &generated, &id, &why))) {
        rc = webhooks_fail(req, rc, why);
        goto out;
    }
    if ((rc = webhook_sub_get(req->db, &req->actor, id, &req->arena, &w)))
        goto out;
    out = webhooks_json(&w);
    if (generated.len)
        json_object_set_new(out, "secret", json_string(generated.data));
    rc = api_reply(req, 201, out);
out:
    buf_release_secret(&generated);
    json_decref(body);
    return rc;
}

/* GET /api/v1/webhooks/{id} -> {webhook…} */
static int
webhooks_get(struct req *req)
{
    struct webhook_sub w;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = webhook_sub_get(req->db, &req->actor, id, &req->arena, &w)))
        return webhooks_fail(req, rc, NULL);
    return api_reply(req, 200, webhooks_json(&w));
}

/* PATCH /api/v1/webhooks/{id} {"active"?: bool, "topics"?, "url"?} -> 200 {webhook…} */
static int
webhooks_update(struct req *req)
{
    json_t *body = NULL;
    struct webhook_patch p = WEBHOOK_PATCH_INIT;
    struct webhook_sub w;
    const char *why = NULL;
    int64_t id;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s?b, s?s, s?s}", "active", &p.active, "topics", &p.topics, "url", &p.url)))
        goto out;
    if (p.active < 0 && !p.topics && !p.url) {
        rc = req_fail(req, ERR_INVALID, "nothing to change: give 'active', 'topics' or 'url'");
        goto out;
    }
    if ((rc = webhook_sub_update(req->app, req->db, &req->actor, id, &p, &why))) {
        rc = webhooks_fail(req, rc, why);
        goto out;
    }
    if ((rc = webhook_sub_get(req->db, &req->actor, id, &req->arena, &w)))
        goto out;
    rc = api_reply(req, 200, webhooks_json(&w));
out:
    json_decref(body);
    return rc;
}

/* DELETE /api/v1/webhooks/{id} -> 204 (the delivery log goes too; the audit log keeps it) */
static int
webhooks_delete(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = webhook_sub_delete(req->app, req->db, &req->actor, id)))
        return webhooks_fail(req, rc, NULL);
    return 0;
}

/* GET /api/v1/webhooks/{id}/deliveries[?status=pending|delivered|dead&limit&next]
 * -> {"items":[{"event_id","topic","status","attempts","outcome","next_at","updated_at"}…],
 *     "total","next"} newest event first */
static int
webhooks_deliveries(struct req *req)
{
    struct webhook_delivery *items = NULL;
    const char *status = req_query(req, "status");
    size_t limit, n = 0;
    int64_t id, before, total = 0;
    json_t *arr;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_page(req, 100, WEBHOOK_DELIVERY_LIST_MAX, &limit, &before)))
        return rc;
    if (status && *status && strcmp(status, "pending") && strcmp(status, "delivered") && strcmp(status, "dead"))
        return req_fail(req, ERR_INVALID, "'status' must be pending, delivered or dead");
    if ((rc = webhook_sub_deliveries(req->db, &req->actor, id, status, before, limit, &req->arena, &items, &n,
                                     &total)))
        return webhooks_fail(req, rc, NULL);
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct webhook_delivery *d = &items[i];
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:s, s:o, s:I}", "event_id",
                                             (json_int_t)d->event_id, "topic", d->topic, "status", d->status,
                                             "attempts", (json_int_t)d->attempts, "outcome", d->outcome, "next_at",
                                             d->next_at ? json_integer(d->next_at) : json_null(), "updated_at",
                                             (json_int_t)d->updated_at));
    }
    return api_reply(req, 200, json_pack("{s:o, s:I, s:o}", "items", arr, "total", (json_int_t)total, "next",
                                         api_next_cursor(n == limit && n ? items[n - 1].event_id : 0)));
}

/* POST /api/v1/webhooks/{id}/deliveries/{event_id}/retry -> 202 {"event_id","status":"pending"} */
static int
webhooks_retry(struct req *req)
{
    int64_t id, event_id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = req_param_i64(req, 1, &event_id)))
        return rc;
    rc = webhook_sub_retry(req->app, req->db, &req->actor, id, event_id);
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "no such webhook or delivery");
    if (rc == ERR_CONFLICT)
        return req_fail(req, rc, "only a dead delivery can be retried");
    if (rc)
        return webhooks_fail(req, rc, NULL);
    return api_reply(req, 202, json_pack("{s:I, s:s}", "event_id", (json_int_t)event_id, "status", "pending"));
}

/* GET /api/v1/settings/webhook-allow -> {"hosts":[s…]} (secadmin and sysadmin read it) */
static int
webhooks_allow_get(struct req *req)
{
    struct buf list = BUF_INIT;
    json_t *hosts = json_array();
    int rc = webhook_allow_get(req->db, &list);
    for (const char *p = list.data; !rc && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(hosts, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    buf_release(&list);
    if (rc) {
        json_decref(hosts);
        return rc;
    }
    return api_reply(req, 200, json_pack("{s:o}", "hosts", hosts));
}

/* PUT /api/v1/settings/webhook-allow {"hosts":[s…]} -> {"hosts"} (secadmin: settings.write; the
 * old and the new list are audited). Subscriptions whose host leaves the list stop being
 * delivered (their attempts are "refused"). */
static int
webhooks_allow_put(struct req *req)
{
    json_t *body = NULL, *hosts = NULL, *v;
    struct buf list = BUF_INIT;
    const char *why = NULL;
    size_t i;
    int rc;

    if ((rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{s:o}", "hosts", &hosts)))
        goto out;
    if (!json_is_array(hosts) || json_array_size(hosts) > WEBHOOK_ALLOW_MAX) {
        rc = req_fail(req, ERR_INVALID, "'hosts' must be an array of at most 64 host names");
        goto out;
    }
    json_array_foreach(hosts, i, v) {
        if (!json_is_string(v) || strchr(json_string_value(v), ',')) {
            rc = req_fail(req, ERR_INVALID, "an allow-list entry must be a lower-case host name, '*.' and a domain, or an IP address");
            goto out;
        }
        if (i)
            buf_addch(&list, ',');
        buf_adds(&list, json_string_value(v));
    }
    if ((rc = webhook_allow_set(req->app, req->db, &req->actor, list.data, &why))) {
        if (why)
            req_fail(req, rc, "%s", why);
        goto out;
    }
    rc = webhooks_allow_get(req);
out:
    buf_release(&list);
    json_decref(body);
    return rc;
}

const struct route api_webhooks_routes[] = {
    { "GET", "/api/v1/settings/webhook-allow", webhooks_allow_get, PERM_SETTINGS_READ, 0, 0 },
    { "PUT", "/api/v1/settings/webhook-allow", webhooks_allow_put, PERM_SETTINGS_WRITE, ROUTE_JSON, 32 * 1024 },
    { "GET", "/api/v1/webhooks", webhooks_list, PERM_WEBHOOKS_READ, 0, 0 },
    { "POST", "/api/v1/webhooks", webhooks_create, PERM_WEBHOOKS_WRITE, ROUTE_JSON, 8 * 1024 },
    { "GET", "/api/v1/webhooks/{id}", webhooks_get, PERM_WEBHOOKS_READ, 0, 0 },
    { "PATCH", "/api/v1/webhooks/{id}", webhooks_update, PERM_WEBHOOKS_WRITE, ROUTE_JSON, 8 * 1024 },
    { "DELETE", "/api/v1/webhooks/{id}", webhooks_delete, PERM_WEBHOOKS_WRITE, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/webhooks/{id}/deliveries", webhooks_deliveries, PERM_WEBHOOKS_READ, 0, 0 },
    { "POST", "/api/v1/webhooks/{id}/deliveries/{event_id}/retry", webhooks_retry, PERM_WEBHOOKS_WRITE, ROUTE_JSON,
      1024 },
    ROUTE_END
};
