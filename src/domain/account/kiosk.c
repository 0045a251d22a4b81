/* domain/account/kiosk.c - kiosk sessions for wall displays: a read-only API token exchanged
 * for a self-contained, HMAC-tagged cookie (R2.7 大屏, S6). Not a user session: nothing is
 * stored, a kiosk is ended by revoking its token. The contract is in kiosk.h. */
#include "domain/account/kiosk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "db/db_value.h"
#include "domain/account/session.h"
#include "domain/platform/audit.h"

#define KIOSK_PREFIX "k1."
#define KIOSK_TAG_LEN 43   /* base64url of 32 bytes, no padding */
#define KIOSK_VALUE_MAX 96 /* "k1." + 19 + "." + 19 + "." + 43 */

static const char sql_token[] = "SELECT scopes, subdistrict FROM api_tokens WHERE id = ?1 AND revoked_at = 0";

/* The tag of (token id, issued) as base64url text appended to out. */
static int
kiosk_tag(const struct keyring *kr, int64_t token_id, int64_t issued, struct buf *out)
{
    char msg[64];
    uint8_t mac[SM3_LEN];
    int n = snprintf(msg, sizeof msg, "kiosk|%" PRId64 "|%" PRId64, token_id, issued);
    int rc;

    if (!kr->n)
        return ERR_CRYPTO;
    if ((rc = hmac_sm3(kr->keys[0].token, sizeof kr->keys[0].token, msg, (size_t)n, mac)))
        return rc;
    b64url_encode(out, mac, sizeof mac);
    wipe(mac, sizeof mac);
    return 0;
}

int
kiosk_open(struct app *app, struct db *db, const struct actor *a, struct buf *cookie_out, struct buf *why)
{
    char target[64];
    const char *refusal = NULL;
    int64_t now = time_now_ms();
    int rc;

    snprintf(target, sizeof target, "token:%" PRId64, a->id);
    if (a->kind != ACTOR_TOKEN)
        refusal = "a kiosk is opened with an API token, not a user session";
    else if (!(a->perms & PERM_SET(PERM_BIT_DASHBOARD_READ)))
        refusal = "the token needs the scope 'dashboard.read'";
    else if (a->perms & ~(perm_set)KIOSK_PERMS)
        refusal = "a kiosk token may carry only dashboard.read, stats.read, events.read and divisions.read";
    if (refusal) {
        buf_adds(why, refusal);
        (void)audit_record(db, &app->keys, a, "auth.kiosk", a->kind == ACTOR_TOKEN ? target : "self", "denied",
                           refusal);
        return ERR_FORBIDDEN;
    }
    buf_printf(cookie_out, KIOSK_PREFIX "%" PRId64 ".%" PRId64 ".", a->id, now);
    if ((rc = kiosk_tag(&app->keys, a->id, now, cookie_out)))
        return rc;
    return audit_record(db, &app->keys, a, "auth.kiosk", target, "ok", NULL);
}

bool
kiosk_parse(const char *value, size_t n, int64_t *id, int64_t *issued, struct str *tag)
{
    struct str rest, part[3];
    const char *dot;

    if (n < sizeof KIOSK_PREFIX || n > KIOSK_VALUE_MAX || memcmp(value, KIOSK_PREFIX, 3) != 0)
        return false;
    rest = (struct str){ value + 3, n - 3 };
    for (int i = 0; i < 2; i++) {
        if (!(dot = memchr(rest.p, '.', rest.n)))
            return false;
        part[i] = (struct str){ rest.p, (size_t)(dot - rest.p) };
        rest = (struct str){ dot + 1, rest.n - part[i].n - 1 };
    }
    part[2] = rest;
    if (str_to_i64(part[0], id, 1, INT64_MAX) || str_to_i64(part[1], issued, 0, INT64_MAX))
        return false;
    *tag = part[2];
    if (tag->n != KIOSK_TAG_LEN)
        return false;
    for (size_t i = 0; i < tag->n; i++) {
        char c = tag->p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

int
kiosk_lookup(struct app *app, struct db *db, const char *value, size_t n, struct actor *a)
{
    struct buf want = BUF_INIT;
    struct db_stmt *st = NULL;
    struct str tag;
    int64_t id = 0, issued = 0, now = time_now_ms();
    char scopes[512];
    const char *bad;
    size_t bad_len;
    perm_set perms = 0;
    bool row = false;
    int rc = ERR_UNAUTHENTICATED;

    if (!kiosk_parse(value, n, &id, &issued, &tag))
        goto out;
    if (issued > now + 60000 || now - issued > app->policy.session_absolute_ms)
        goto out;
    if ((rc = kiosk_tag(&app->keys, id, issued, &want)))
        goto out;
    rc = ERR_UNAUTHENTICATED;
    if (want.len != tag.n || !crypto_equal(want.data, tag.p, tag.n))
        goto out;
    if ((rc = db_prepare(db, sql_token, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    rc = ERR_UNAUTHENTICATED;
    if (!row)
        goto out;
    db_col_copy(st, 0, scopes, sizeof scopes);
    if (perm_parse_scopes(scopes, &perms, &bad, &bad_len))
        perms = 0;
    perms &= PERM_TOKEN_ALLOWED & (perm_set)KIOSK_PERMS;
    if (!(perms & PERM_SET(PERM_BIT_DASHBOARD_READ)))
        goto out;
    a->kind = ACTOR_TOKEN;
    a->id = id;
    a->role = ROLE_NONE;
    a->perms = perms;
    a->session_id = 0;
    a->must_change_password = a->totp_pending = false;
    snprintf(a->name, sizeof a->name, "kiosk:%" PRId64, id);
    db_col_copy(st, 1, a->subdistrict, sizeof a->subdistrict);
    rc = 0;
out:
    db_done(st);
    buf_release_secret(&want);
    return rc;
}
