/* domain/video/embed_sites.h - which sites may frame the embeddable player (issue 9; R3.6).
 *
 * Per API token, a list of CSP frame-ancestors sources (table video_embed_sites): the
 * vendor's big-screen page that puts /media/v1/embed/<tok> in an iframe must be on the list
 * of the token that created the link. Links made by users are framed by the UI itself
 * only ('self'); a token without a list gets 'none'.
 */
#ifndef JY_DOMAIN_VIDEO_EMBED_SITES_H
#define JY_DOMAIN_VIDEO_EMBED_SITES_H
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

#define EMBED_SITES_MAX 16       /* sources per token */
#define EMBED_SITES_TEXT_MAX 1024 /* bytes of the list */

/* embed_sites_parse checks text, sources separated by spaces, and appends the normalised
 * list (single spaces) to out. A source is 'self', or scheme://host[:port] with scheme
 * http or https, host letters, digits, '-' and '.', optionally starting with "*." (a
 * subdomain wildcard), and no path, query, quote, comma or semicolon: nothing can end the
 * directive. An empty text is an empty list. ERR_INVALID (the bad source is appended to
 * why, which may be NULL) otherwise. */
int embed_sites_parse(const char *text, struct buf *out, struct buf *why);
/* embed_sites_set stores the list (parsed by embed_sites_parse; "" removes it) of live
 * token token_id, audited as "video.embed_sites". ERR_NOT_FOUND when no such token. */
int embed_sites_set(struct app *app, struct db *db, const struct actor *a, int64_t token_id, const char *text);
/* embed_sites_get appends token_id's list ("" when none) to out. */
int embed_sites_get(struct db *db, int64_t token_id, struct buf *out);

#endif
