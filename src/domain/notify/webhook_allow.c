/* domain/notify/webhook_allow.c - the webhook destination allow-list the secadmin keeps (issue 12:
 * 三权分立 and webhook SSRF; S6, S7). Storage, checks and audit of the list only: the
 * subscriptions (webhook_sub.c) and the worker (webhook_worker.c) consult it; the address
 * checks after DNS resolution are push/webhook.c's. See webhook_allow.h.
 */
#include "domain/notify/webhook_allow.h"

#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/str.h"
#include "domain/platform/audit.h"
#include "push/webhook.h"

#define WEBHOOK_ALLOW_KEY "webhook.allow"

static const char sql_get[] = "SELECT value FROM settings WHERE key = 'webhook.allow'";
static const char sql_put[] =
    "INSERT INTO settings (key, value) VALUES ('webhook.allow', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1";

int
webhook_allow_get(struct db *db, struct buf *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_get, &st)) && !(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const char *v = db_col_text(st, 0, &n);
        buf_add(out, v ? v : "", v ? n : 0);
    }
    db_done(st);
    return rc;
}

/* wh_allow_entry_ok: a host name or wildcard of [a-z0-9-] labels, an IPv4 literal (digits
 * and dots) or an IPv6 literal in brackets. */
static bool
wh_allow_entry_ok(const char *e, size_t n)
{
    if (n == 0 || n > WEBHOOK_ALLOW_ENTRY_MAX)
        return false;
    if (e[0] == '[') {
        if (n < 4 || e[n - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < n; i++)
            if (!strchr("0123456789abcdef:.", e[i]))
                return false;
        return true;
    }
    size_t i = 0;
    if (n > 2 && e[0] == '*' && e[1] == '.')
        i = 2;
    for (size_t label = 0; i < n; i++) {
        char c = e[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return e[n - 1] != '.';
}

int
webhook_allow_check(const char *list, const char **why)
{
    const char *p = list;
    size_t count = 0;
    if (!p)
        return ERR_INVALID;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (!wh_allow_entry_ok(p, n)) {
            *why = "an allow-list entry must be a lower-case host name, '*.' and a domain, or an IP address";
            return ERR_INVALID;
        }
        if (++count > WEBHOOK_ALLOW_MAX) {
            *why = "the allow-list may hold at most 64 entries";
            return ERR_INVALID;
        }
        p += n;
        if (*p == ',' && !*++p) {
            *why = "an allow-list entry must be a lower-case host name, '*.' and a domain, or an IP address";
            return ERR_INVALID;
        }
    }
    return 0;
}

int
webhook_allow_set(struct app *app, struct db *db, const struct actor *a, const char *list, const char **why)
{
    struct buf old = BUF_INIT, detail = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    int rc;

    if ((rc = webhook_allow_check(list, why)) || (rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = webhook_allow_get(db, &old)))
        goto out;
    if ((rc = db_prepare(db, sql_put, &st)) || (rc = db_bind_text(st, 1, list, strlen(list))) ||
        (rc = db_step(st, &row)))
        goto out;
    buf_printf(&detail, "old=%s new=%s", old.len ? old.data : "-", *list ? list : "-");
    if ((rc = audit_append(db, &app->keys, a, "settings.webhook_allow.update", WEBHOOK_ALLOW_KEY, "ok",
                           detail.data)) ||
        (rc = db_commit(db)))
        goto out;
    in_tx = false;
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    buf_release(&old);
    buf_release(&detail);
    return rc;
}

bool
webhook_allow_match(const char *list, const char *host)
{
    size_t hn = strlen(host);
    const char *p = list;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (n > 2 && p[0] == '*' && p[1] == '.') {
            size_t sn = n - 1; /* ".example.cn" */
            if (hn > sn && strncasecmp(host + hn - sn, p + 1, sn) == 0)
                return true;
        } else if (n == hn && strncasecmp(host, p, n) == 0) {
            return true;
        }
        p += n + (p[n] == ',');
    }
    return false;
}

static bool
wh_allow_is_loopback_host(const char *h, size_t n)
{
    return (n == 9 && strncasecmp(h, "localhost", n) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0) ||
           (n >= 9 && memcmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") >= n);
}

bool
webhook_allow_loopback(const char *list)
{
    const char *p = list;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (wh_allow_is_loopback_host(p, n))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

int
webhook_allow_url(const char *list, const char *url, const char **why)
{
    char host[256];
    if (webhook_url_check(url, host, sizeof host, why))
        return ERR_INVALID;
    if (!webhook_allow_match(list, host)) {
        *why = "the webhook's host is not on the allow-list the security administrator keeps";
        return ERR_FORBIDDEN;
    }
    if (strncasecmp(url, "https://", 8) != 0 && !wh_allow_is_loopback_host(host, strlen(host))) {
        *why = "'url' must start with https:// (plain http only to a listed loopback host)";
        return ERR_FORBIDDEN;
    }
    return 0;
}
