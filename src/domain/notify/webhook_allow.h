/* domain/notify/webhook_allow.h - the webhook destination allow-list (issue 12, 三权分立:
 * webhooks go only to destinations the security administrator allows; S6, S7).
 *
 * The list lives in the settings table (key "webhook.allow") as comma-separated entries,
 * each a lower-case host name ("gis.example.cn"), a wildcard of one or more labels
 * ("*.example.cn": any name ending in ".example.cn", not the bare name) or an IP literal
 * ("203.0.113.7", "[2001:db8::7]"). Empty list: no webhook may be created or delivered. It is
 * changed by the secadmin (PUT /api/v1/settings/webhook-allow, settings.write) or at the
 * console (jiayuan webhook-allow); every change is audited with the old and the new list.
 * A loopback entry ("127.0.0.1", "[::1]", "localhost") is what lets webhooks reach the same
 * host (tests, a receiver beside the server), over plain http as well; nothing else may use
 * http. Private, link-local and other internal addresses stay refused even when listed: the
 * transport checks every resolved address (push/webhook.h).
 */
#ifndef JY_DOMAIN_WEBHOOK_ALLOW_H
#define JY_DOMAIN_WEBHOOK_ALLOW_H
#include <stdbool.h>

#include "core/buf.h"
#include "domain/platform/app.h"

#define WEBHOOK_ALLOW_MAX 64       /* entries */
#define WEBHOOK_ALLOW_ENTRY_MAX 253 /* bytes of one entry */

/* webhook_allow_get appends the stored list ("" when none) to out. */
int webhook_allow_get(struct db *db, struct buf *out);
/* webhook_allow_check validates list (normalised: no spaces, no duplicates expected).
 * ERR_INVALID with *why (static, client-facing) when an entry is malformed or there are too
 * many. */
int webhook_allow_check(const char *list, const char **why);
/* webhook_allow_set stores list (after webhook_allow_check) and audits
 * "settings.webhook_allow.update" with the old and new lists, in one transaction. */
int webhook_allow_set(struct app *app, struct db *db, const struct actor *a, const char *list, const char **why);
/* webhook_allow_match: does host (as in a URL, IPv6 in brackets; compared
 * case-insensitively) match an entry of list? */
bool webhook_allow_match(const char *list, const char *host);
/* webhook_allow_loopback: does list hold a loopback entry (see above)? */
bool webhook_allow_loopback(const char *list);
/* webhook_allow_url: may a subscription name url under list? 0, or ERR_FORBIDDEN with *why
 * (static, client-facing) when its host is not on the list or it is plain http to a host
 * other than a listed loopback one; ERR_INVALID (*why) for a bad URL. */
int webhook_allow_url(const char *list, const char *url, const char **why);

#endif
