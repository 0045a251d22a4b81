/* domain/video/embed_sites.c - per-token frame-ancestors lists for the embeddable player
 * (see embed_sites.h; issue 9, R3.6). */
#include "domain/video/embed_sites.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"

static const char sql_token[] = "SELECT id FROM api_tokens WHERE id = ?1 AND revoked_at = 0";
static const char sql_get[] = "SELECT frame_ancestors FROM video_embed_sites WHERE token_id = ?1";
static const char sql_del[] = "DELETE FROM video_embed_sites WHERE token_id = ?1";
static const char sql_put[] =
    "INSERT INTO video_embed_sites (token_id, frame_ancestors, updated_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (token_id) DO UPDATE SET frame_ancestors = excluded.frame_ancestors,"
    " updated_at = excluded.updated_at";

static bool
embed_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* embed_source_ok checks one source s[0..n). */
static bool
embed_source_ok(const char *s, size_t n)
{
    size_t i, host;
    if (n == 6 && memcmp(s, "'self'", 6) == 0)
        return true;
    if (n > 8 && memcmp(s, "https://", 8) == 0)
        i = 8;
    else if (n > 7 && memcmp(s, "http://", 7) == 0)
        i = 7;
    else
        return false;
    if (n - i > 2 && s[i] == '*' && s[i + 1] == '.')
        i += 2;
    host = i;
    while (i < n && embed_host_char(s[i]))
        i++;
    if (i == host || s[host] == '.' || s[i - 1] == '.' || s[host] == '-')
        return false;
    if (i < n && s[i] == ':') {
        size_t p = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == p || i - p > 5)
            return false;
    }
    return i == n;
}

int
embed_sites_parse(const char *text, struct buf *out, struct buf *why)
{
    size_t count = 0, len = text ? strlen(text) : 0;
    const char *p = text, *end = text + len;
    if (len > EMBED_SITES_TEXT_MAX) {
        if (why)
            buf_printf(why, "the list may have at most %d bytes", EMBED_SITES_TEXT_MAX);
        return ERR_INVALID;
    }
    while (p && p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *s = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        if (p == s)
            break;
        if (!embed_source_ok(s, (size_t)(p - s)) || ++count > EMBED_SITES_MAX) {
            if (why) {
                if (count > EMBED_SITES_MAX)
                    buf_printf(why, "at most %d sites", EMBED_SITES_MAX);
                else
                    buf_printf(why, "'%.*s' is not an http(s)://host[:port] site or 'self'", (int)(p - s), s);
            }
            return ERR_INVALID;
        }
        if (count > 1)
            buf_addch(out, ' ');
        buf_add(out, s, (size_t)(p - s));
    }
    return 0;
}

int
embed_sites_set(struct app *app, struct db *db, const struct actor *a, int64_t token_id, const char *text)
{
    struct buf list = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    char target[40];
    int rc;

    if ((rc = embed_sites_parse(text, &list, NULL)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = db_prepare(db, sql_token, &st)) || (rc = db_bind_i64(st, 1, token_id)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (list.len) {
        if ((rc = db_prepare(db, sql_put, &st)) || (rc = db_bind_i64(st, 1, token_id)) ||
            (rc = db_bind_text(st, 2, list.data, list.len)) || (rc = db_bind_i64(st, 3, time_now_ms())) ||
            (rc = db_step(st, &row)))
            goto out;
    } else if ((rc = db_prepare(db, sql_del, &st)) || (rc = db_bind_i64(st, 1, token_id)) ||
               (rc = db_step(st, &row))) {
        goto out;
    }
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "token:%lld", (long long)token_id);
    if ((rc = audit_append(db, &app->keys, a, "video.embed_sites", target, "ok", list.len ? list.data : "none")) ||
        (rc = db_commit(db)))
        goto out;
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    buf_release(&list);
    return rc;
}

int
embed_sites_get(struct db *db, int64_t token_id, struct buf *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql_get, &st);
    if (!rc && !(rc = db_bind_i64(st, 1, token_id)) && !(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const char *s = db_col_text(st, 0, &n);
        buf_add(out, s, n);
    }
    db_done(st);
    return rc;
}
