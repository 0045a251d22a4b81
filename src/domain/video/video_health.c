/* domain/video/video_health.c - camera health from RTSP probes and running sessions
 * (issue 9; R3.9, O3). A scheduler thread runs video_health_pass every probe_interval_s
 * (jittered by up to a tenth either way, so nodes and restarts do not line up) and records
 * the states that running sessions report (video_health__note), so session threads never
 * wait for the database. Not the probe itself (media/probe.h) nor the ledger
 * (domain/cameras). Runs as the system actor "video", like other background jobs.
 * NEEDSWORK: each probe unseals the stream URL through camera_stream, which audits every
 * call ("cameras.stream" by "video"): 2 000 cameras every 5 min is ~576 000 audit rows a
 * day. An audited, cached URL set per pass would cut that. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "db/db_value.h"
#include "domain/cameras/camera.h"
#include "domain/video/video.h"
#include "domain/video/video_int.h"
#include "media/probe.h"

#define HEALTH_NOTES 256
#define HEALTH_PAGE 200 /* cameras unsealed and probed per round */

struct health_note {
    int64_t camera_id;
    char status[8];
    char codec[16];
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stop;
    struct app *app;
    struct video_config cfg;
    struct health_note notes[HEALTH_NOTES];
    size_t nnotes;
} health = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static atomic_uint_fast64_t health_online, health_offline, health_changes, health_passes, health_dropped;

static const char sql_codec_set[] = "UPDATE cameras SET codec = ?2 WHERE id = ?1 AND codec <> ?2";

void
video_health__note(int64_t camera_id, const char *status, const char *codec)
{
    pthread_mutex_lock(&health.mu);
    if (health.nnotes < HEALTH_NOTES) {
        struct health_note *n = &health.notes[health.nnotes++];
        n->camera_id = camera_id;
        snprintf(n->status, sizeof n->status, "%s", status);
        snprintf(n->codec, sizeof n->codec, "%s", codec ? codec : "");
        pthread_cond_signal(&health.cv);
    } else {
        atomic_fetch_add(&health_dropped, 1);
    }
    pthread_mutex_unlock(&health.mu);
}

int
video_health_record(struct app *app, struct db *db, int64_t camera_id, const char *status, const char *codec)
{
    struct arena arena = ARENA_INIT;
    struct camera c;
    struct db_stmt *st = NULL;
    struct actor sys;
    bool row = false;
    int rc;

    actor_system(&sys, "video");
    if ((rc = camera_get(db, &sys, camera_id, &arena, &c)))
        goto out;
    if (codec && codec[0]) {
        if ((rc = db_prepare(db, sql_codec_set, &st)) || (rc = db_bind_i64(st, 1, camera_id)) ||
            (rc = db_bind_str(st, 2, codec)) || (rc = db_step(st, &row)))
            goto out;
    }
    if (!c.deleted_at && strcmp(c.status ? c.status : "", status) != 0) {
        if ((rc = camera_set_status(app, db, &sys, camera_id, status, time_now_ms())))
            goto out;
        atomic_fetch_add(&health_changes, 1);
        log_info("video.status", "camera", arena_printf(&arena, "%lld", (long long)camera_id), "status", status,
                 NULL);
    }
out:
    db_done(st);
    arena_release(&arena);
    return rc;
}

/* One camera of a round: its URL (secret, wiped) and what the probe found. */
struct health_job {
    int64_t id;
    struct buf url;
    struct media_probe res;
};

struct health_round {
    struct health_job *jobs;
    size_t n;
    atomic_size_t next;
    unsigned timeout_ms;
    bool udp;
};

static void *
health_worker(void *arg)
{
    struct health_round *r = arg;
    size_t i;
    while ((i = atomic_fetch_add(&r->next, 1)) < r->n) {
        struct health_job *j = &r->jobs[i];
        if (media_probe(j->url.data, r->timeout_ms, r->udp, &j->res))
            snprintf(j->res.reason, sizeof j->res.reason, "invalid"); /* not rtsp://: offline */
    }
    return NULL;
}

/* health_probe_round probes jobs[0..n) with at most k threads (the caller is one). */
static void
health_probe_round(struct health_job *jobs, size_t n, unsigned k, const struct video_config *cfg)
{
    struct health_round r = { jobs, n, 0, cfg->media.rw_timeout_ms ? cfg->media.rw_timeout_ms : 5000,
                              cfg->media.udp };
    pthread_t th[64];
    size_t started = 0;
    if (k > 64)
        k = 64;
    for (; started + 1 < k && started + 1 < n; started++)
        if (pthread_create(&th[started], NULL, health_worker, &r))
            break;
    health_worker(&r);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* health_collect fills jobs with up to HEALTH_PAGE cameras after *after that have a stream
 * URL and no running session (only camera_id when not 0). */
static int
health_collect(struct app *app, struct db *db, int64_t camera_id, int64_t *after, struct health_job *jobs,
               size_t *n, struct video_probe_pass *out, bool *more)
{
    struct arena arena = ARENA_INIT;
    struct media_hub *hub = video_hub();
    struct camera *items = NULL, one;
    struct camera_query q = { .after = *after, .limit = HEALTH_PAGE };
    struct actor sys;
    size_t k = 0;
    int64_t total = 0;
    int rc;

    actor_system(&sys, "video");
    *n = 0;
    *more = false;
    if (camera_id) {
        if ((rc = camera_get(db, &sys, camera_id, &arena, &one)))
            goto out;
        if (one.deleted_at || !one.has_stream) {
            rc = ERR_NOT_FOUND;
            goto out;
        }
        items = &one;
        k = 1;
    } else if ((rc = camera_list(db, &sys, &q, &arena, &items, &k, &total))) {
        goto out;
    }
    *more = !camera_id && k == HEALTH_PAGE;
    for (size_t i = 0; i < k; i++) {
        char key[VIDEO_KEY_LEN];
        struct media_info mi;
        *after = items[i].id;
        if (!items[i].has_stream)
            continue;
        video_key(items[i].id, key);
        if (hub && media_hub_info(hub, key, &mi) == 0 && mi.state != MEDIA_STOPPED) {
            out->skipped++; /* its session reports its state */
            continue;
        }
        struct health_job *j = &jobs[(*n)++];
        j->id = items[i].id;
        j->url = (struct buf)BUF_INIT;
        memset(&j->res, 0, sizeof j->res);
        if ((rc = camera_stream(app, db, &sys, j->id, &j->url))) {
            buf_release_secret(&j->url);
            (*n)--;
            if (rc != ERR_NOT_FOUND)
                goto out;
        }
    }
    rc = 0;
out:
    arena_release(&arena);
    return rc;
}

int
video_health_pass(struct app *app, const struct video_config *cfg, int64_t camera_id, struct video_probe_pass *out)
{
    struct video_config defaults = { 0 };
    struct health_job *jobs = xcalloc(HEALTH_PAGE, sizeof *jobs);
    int64_t after = 0;
    bool more = true;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (!cfg)
        cfg = &defaults;
    while (more && !rc) {
        size_t n = 0;
        struct db *db = db_pool_get(app->pool);
        rc = health_collect(app, db, camera_id, &after, jobs, &n, out, &more);
        db_pool_put(app->pool, db);
        if (rc)
            n = 0;
        health_probe_round(jobs, n, cfg->probe_concurrency ? cfg->probe_concurrency : VIDEO_PROBE_CONCURRENCY, cfg);
        db = db_pool_get(app->pool);
        for (size_t i = 0; i < n; i++) {
            struct health_job *j = &jobs[i];
            buf_release_secret(&j->url);
            out->probed++;
            if (j->res.online) {
                out->online++;
                atomic_fetch_add(&health_online, 1);
            } else {
                out->offline++;
                atomic_fetch_add(&health_offline, 1);
            }
            uint_fast64_t before = atomic_load(&health_changes);
            int r2 = video_health_record(app, db, j->id, j->res.online ? "online" : "offline",
                                         j->res.online ? j->res.codec : NULL);
            if (r2 && r2 != ERR_NOT_FOUND && !rc)
                rc = r2;
            if (atomic_load(&health_changes) != before)
                out->changed++;
        }
        db_pool_put(app->pool, db);
    }
    atomic_fetch_add(&health_passes, 1);
    xfree(jobs);
    return rc;
}

static int64_t
health_next_delay_ms(unsigned interval_s)
{
    uint32_t r = 0;
    int64_t base = (int64_t)interval_s * 1000, spread = base / 5;
    crypto_random(&r, sizeof r);
    return base - spread / 2 + (spread ? (int64_t)(r % (uint32_t)(spread + 1)) : 0);
}

static void
health_apply_notes(void)
{
    struct health_note notes[HEALTH_NOTES];
    size_t n;
    pthread_mutex_lock(&health.mu);
    n = health.nnotes;
    memcpy(notes, health.notes, n * sizeof *notes);
    health.nnotes = 0;
    pthread_mutex_unlock(&health.mu);
    if (!n)
        return;
    struct db *db = db_pool_get(health.app->pool);
    for (size_t i = 0; i < n; i++)
        if (video_health_record(health.app, db, notes[i].camera_id, notes[i].status, notes[i].codec))
            log_warn("video.status_failed", "camera", "-", NULL);
    db_pool_put(health.app->pool, db);
}

static void *
health_main(void *arg)
{
    int64_t next = time_mono_us() / 1000 + health_next_delay_ms(health.cfg.probe_interval_s);
    (void)arg;
    pthread_mutex_lock(&health.mu);
    while (!health.stop) {
        int64_t now = time_mono_us() / 1000;
        if (health.nnotes) {
            pthread_mutex_unlock(&health.mu);
            health_apply_notes();
            pthread_mutex_lock(&health.mu);
            continue;
        }
        if (now >= next) {
            struct video_probe_pass p;
            pthread_mutex_unlock(&health.mu);
            if (video_health_pass(health.app, &health.cfg, 0, &p))
                log_warn("video.probe_pass_failed", NULL);
            pthread_mutex_lock(&health.mu);
            next = time_mono_us() / 1000 + health_next_delay_ms(health.cfg.probe_interval_s);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = next - now > 1000 ? 1000 : next - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&health.cv, &health.mu, &ts);
    }
    pthread_mutex_unlock(&health.mu);
    return NULL;
}

int
video_health_start(struct app *app, const struct video_config *cfg)
{
    pthread_mutex_lock(&health.mu);
    health.app = app;
    health.cfg = *cfg;
    health.stop = false;
    health.nnotes = 0;
    health.running = false;
    if (!cfg->probe_off) {
        if (pthread_create(&health.thread, NULL, health_main, NULL)) {
            pthread_mutex_unlock(&health.mu);
            return ERR_INTERNAL;
        }
        health.running = true;
    }
    pthread_mutex_unlock(&health.mu);
    return 0;
}

void
video_health_stop(void)
{
    bool running;
    pthread_mutex_lock(&health.mu);
    running = health.running;
    health.stop = true;
    health.running = false;
    pthread_cond_broadcast(&health.cv);
    pthread_mutex_unlock(&health.mu);
    if (running)
        pthread_join(health.thread, NULL);
}

void
video_health_metrics(struct buf *out)
{
    buf_adds(out, "# HELP jiayuan_camera_probes_total Camera health probes by result.\n"
                  "# TYPE jiayuan_camera_probes_total counter\n");
    buf_printf(out, "jiayuan_camera_probes_total{result=\"online\"} %llu\n",
               (unsigned long long)atomic_load(&health_online));
    buf_printf(out, "jiayuan_camera_probes_total{result=\"offline\"} %llu\n",
               (unsigned long long)atomic_load(&health_offline));
    buf_printf(out, "# TYPE jiayuan_camera_status_changes_total counter\njiayuan_camera_status_changes_total %llu\n",
               (unsigned long long)atomic_load(&health_changes));
    buf_printf(out, "# TYPE jiayuan_camera_probe_passes_total counter\njiayuan_camera_probe_passes_total %llu\n",
               (unsigned long long)atomic_load(&health_passes));
}
