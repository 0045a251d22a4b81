/* domain/video/video_link.c - checking a play link at the start of every media request
 * (see video.h video_link_check; issue 9, R3.3, R3.6): the signature and expiry
 * (play_link.c), then whether its issuer may still play - an API token not revoked, a user
 * not disabled or locked - asked of the database at most once per VIDEO_ISSUER_CACHE_MS
 * per issuer (a small table of recent answers, the oldest replaced). */
#include <pthread.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "domain/video/video.h"

#define VIDEO_ISSUER_SLOTS 64

struct video_issuer {
    enum play_issuer kind;
    int64_t id;
    bool ok;
    int64_t checked_at; /* ms; 0 = empty slot */
};

static pthread_mutex_t video_link_mu = PTHREAD_MUTEX_INITIALIZER;
static struct video_issuer video_issuers[VIDEO_ISSUER_SLOTS];

static const char sql_token_live[] = "SELECT revoked_at FROM api_tokens WHERE id = ?1";
static const char sql_user_live[] = "SELECT disabled, locked_until FROM users WHERE id = ?1";

/* video_issuer_live asks the database whether the issuer of a link may still play. */
static int
video_issuer_live(struct db *db, enum play_issuer kind, int64_t id, bool *ok)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, kind == PLAY_ISSUER_TOKEN ? sql_token_live : sql_user_live, &st);
    if (!rc && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row)))
        *ok = row && (kind == PLAY_ISSUER_TOKEN ? db_col_i64(st, 0) == 0
                                                : db_col_i64(st, 0) == 0 && db_col_i64(st, 1) <= time_now_ms());
    db_done(st);
    return rc;
}

int
video_link_check(struct app *app, struct db *db, const char *tok, size_t n, struct play_link *out)
{
    int64_t now = time_now_ms();
    struct video_issuer *slot = NULL, *oldest = &video_issuers[0];
    bool ok = false, cached = false;
    int rc;

    if ((rc = play_link_verify(&app->keys, tok, n, now, 0, out)))
        return rc;
    pthread_mutex_lock(&video_link_mu);
    for (size_t i = 0; i < VIDEO_ISSUER_SLOTS; i++) {
        struct video_issuer *s = &video_issuers[i];
        if (s->checked_at && s->kind == out->issuer && s->id == out->issuer_id)
            slot = s;
        if (s->checked_at < oldest->checked_at)
            oldest = s;
    }
    if (slot && now - slot->checked_at < VIDEO_ISSUER_CACHE_MS) {
        ok = slot->ok;
        cached = true;
    }
    pthread_mutex_unlock(&video_link_mu);
    if (!cached) {
        if ((rc = video_issuer_live(db, out->issuer, out->issuer_id, &ok)))
            return rc;
        pthread_mutex_lock(&video_link_mu);
        slot = slot ? slot : oldest;
        *slot = (struct video_issuer){ out->issuer, out->issuer_id, ok, now };
        pthread_mutex_unlock(&video_link_mu);
    }
    return ok ? 0 : ERR_FORBIDDEN;
}

void
video_link_forget(void)
{
    pthread_mutex_lock(&video_link_mu);
    memset(video_issuers, 0, sizeof video_issuers);
    pthread_mutex_unlock(&video_link_mu);
}
