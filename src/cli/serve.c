/* cli/serve.c - `jiayuan serve`: start the HTTP server and keep the UI manifest checked
 * (S2) until SIGINT/SIGTERM. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "crypto/manifest.h"
#include "domain/account/login_rate.h"
#include "domain/batch/batch_worker.h"
#include "domain/platform/audit.h"
#include "domain/platform/audit_ship.h"
#include "domain/notify/webhook_worker.h"
#include "domain/platform/keystore.h"
#include "domain/platform/policy.h"
#include "domain/retention/purge_job.h"
#include "http/server.h"
#include "http/static.h"
#include "push/hub.h"
#include "push/listen.h"

#define SERVE_MANIFEST_PERIOD_S 300
#define SERVE_THREADS_GROUP 32    /* default --threads with group commit (issue 13) */
#define SERVE_THREADS_GROUP_PG 16 /* … on PostgreSQL: one backend per thread */

static volatile sig_atomic_t serve_stop;
/* key rotation (issue 12): SIGHUP, or every SERVE_KEYS_PERIOD_S, picks up new data keys */
#define SERVE_KEYS_PERIOD_S 10
static volatile sig_atomic_t serve_hup;
/* the PEM text of --tls-cert / --tls-key: static, so every early return leaves it reachable */
static struct buf serve_cert = BUF_INIT, serve_key = BUF_INIT;

static void
serve_on_signal(int sig)
{
    (void)sig;
    serve_stop = 1;
}

static void
serve_on_hup(int sig)
{
    (void)sig;
    serve_hup = 1;
}

/* serve_refresh_keys adds data keys another process (`jiayuan keys rotate-data`) made and
 * moves the active key, reading the key file only when there is a new key to unwrap. */
static void
serve_refresh_keys(struct app *app, const char *kek_path)
{
    struct db *db = db_pool_get(app->pool);
    bool changed = false;
    int rc = keystore_refresh(db, kek_path, &app->keys, &changed);
    db_pool_put(app->pool, db);
    if (rc) {
        log_error("keys.refresh", "error", err_name(rc), NULL);
    } else if (changed) {
        const struct datakey *k = keyring_active(&app->keys);
        char id[16];
        snprintf(id, sizeof id, "%u", k ? (unsigned)k->id : 0u);
        log_info("keys.refreshed", "active_key", id, NULL);
    }
}

/* serve_read_pem reads a PEM file (at most 1 MiB) into out; 0 or -1 after saying why. */
static int
serve_read_pem(const char *opt, const char *path, struct buf *out)
{
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "jiayuan: --%s: cannot open '%s'\n", opt, path);
        return -1;
    }
    buf_init(out, (size_t)1 << 20);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, n);
    fclose(f);
    if (buf_error(out) || !strstr(out->data, "-----BEGIN ")) {
        fprintf(stderr, "jiayuan: --%s: '%s' is not a PEM file\n", opt, path);
        return -1;
    }
    return 0;
}

/* serve_check_manifest verifies the embedded UI (S2; issue 12 tamper test). On a mismatch
 * the UI is withdrawn (http/static.h: 503 pages, counted in /metrics), logged and audited
 * once; the API keeps serving. */
static int
serve_check_manifest(struct app *app)
{
    static bool reported;
    const char *bad = NULL;
    if (!static_check(&bad))
        return 0;
    log_error("ui.tampered", "file", bad, "action", "the web UI is withdrawn", NULL);
    if (!reported) {
        struct actor who;
        struct db *db = db_pool_get(app->pool);
        actor_system(&who, "serve");
        reported = db && !audit_record(db, &app->keys, &who, "ui.tampered", bad, "failed", "UI withdrawn");
        if (db)
            db_pool_put(app->pool, db);
    }
    return ERR_CRYPTO;
}

/* serve_ship_tags ships the audit chain tags committed since the last call (issue 12:
 * --audit-tag-file / --audit-syslog); a failure is logged and tried again next second. */
static void
serve_ship_tags(struct app *app, struct audit_ship *ship)
{
    int64_t n = 0;
    struct db *db;
    if (!ship || !(db = db_pool_get(app->pool)))
        return;
    if (audit_ship_poll(ship, db, &n))
        log_error("audit.ship_failed", "hint", "the audit tag file or syslog cannot be written", NULL);
    db_pool_put(app->pool, db);
}

/* serve_open_ship checks the UI (withdrawn when tampered: the API still serves) and opens
 * the tag shipper when asked; 0, or 1 after saying why. */
static int
serve_open_ship(struct app *app, const struct cli_args *a, struct audit_ship **ship)
{
    int facility = 0, rc;
    struct db *db;
    *ship = NULL;
    if (serve_check_manifest(app))
        fprintf(stderr, "jiayuan: the embedded UI fails its integrity check; it is withdrawn (the API serves)\n");
    if (!cli_opt(a, "audit-tag-file") && !cli_opt(a, "audit-syslog"))
        return 0;
    if (cli_opt(a, "audit-syslog") && audit_ship_facility(cli_opt(a, "audit-syslog"), &facility)) {
        fprintf(stderr, "jiayuan: --audit-syslog must be user, daemon, auth, authpriv or local0..local7\n");
        return 1;
    }
    if (!(db = db_pool_get(app->pool)))
        return 1;
    rc = audit_ship_open(db, cli_opt(a, "audit-tag-file"), cli_opt(a, "audit-syslog"), ship);
    db_pool_put(app->pool, db);
    if (rc) {
        fprintf(stderr, "jiayuan: --audit-tag-file: cannot append to '%s' (%s)\n",
                cli_opt(a, "audit-tag-file") ? cli_opt(a, "audit-tag-file") : "", err_name(rc));
        return 1;
    }
    serve_ship_tags(app, *ship);
    return 0;
}

/* serve_configure_streams reads the event stream settings (issue 12): heartbeat =
 * credential re-check interval, streams per account; 0, or -1 after saying what is wrong. */
static int
serve_configure_streams(void)
{
    int64_t hb = 0, per = 0;
    const char *env_hb = getenv("JIAYUAN_EVENTS_HEARTBEAT_MS"), *env_per = getenv("JIAYUAN_EVENTS_PER_ACCOUNT");
    if ((env_hb && cstr_to_i64(env_hb, &hb, 50, 3600000)) || (env_per && cstr_to_i64(env_per, &per, 1, 1000))) {
        fprintf(stderr, "jiayuan: JIAYUAN_EVENTS_HEARTBEAT_MS must be 50..3600000, JIAYUAN_EVENTS_PER_ACCOUNT 1..1000\n");
        return -1;
    }
    hub_configure(hb, (int)per);
    return 0;
}

/* serve_security_options reads the connection cap, the login limit and the transport
 * options (issue 12); 0, or 2 after saying what is wrong. */
static int
serve_security_options(struct cli_args *a, int64_t *conn_per_ip)
{
    int64_t login_limit = LOGIN_RATE_DEFAULT_LIMIT;
    if (cli_opt(a, "conn-per-ip") && cstr_to_i64(cli_opt(a, "conn-per-ip"), conn_per_ip, 0, 100000)) {
        fprintf(stderr, "jiayuan: --conn-per-ip must be 0..100000 (0: no cap)\n");
        return 2;
    }
    if (cli_opt(a, "login-limit") && cstr_to_i64(cli_opt(a, "login-limit"), &login_limit, 1, 1000000)) {
        fprintf(stderr, "jiayuan: --login-limit must be 1..1000000\n");
        return 2;
    }
    login_rate_configure((int)login_limit);
    if (!cli_opt(a, "tls-cert") != !cli_opt(a, "tls-key")) {
        fprintf(stderr, "jiayuan: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (cli_opt(a, "trusted-proxy") && !cli_flag(a, "tls-offloaded")) {
        fprintf(stderr, "jiayuan: --trusted-proxy needs --tls-offloaded\n");
        return 2;
    }
    if (cli_opt(a, "tls-cert") && cli_flag(a, "tls-offloaded")) {
        fprintf(stderr, "jiayuan: use either --tls-cert/--tls-key or --tls-offloaded\n");
        return 2;
    }
    if (cli_opt(a, "tls-cert") && (serve_read_pem("tls-cert", cli_opt(a, "tls-cert"), &serve_cert) ||
                                    serve_read_pem("tls-key", cli_opt(a, "tls-key"), &serve_key)))
        return 2;
    if (cli_flag(a, "tls-offloaded") && !cli_opt(a, "conn-per-ip"))
        *conn_per_ip = 0; /* every connection comes from the proxy: it limits per client */
    return 0;
}

/* --- several nodes (issue 13) -------------------------------------------------------------
 * PostgreSQL: any number of serve nodes share one database (push/listen.h, the webhook
 * locks, the batch leases). SQLite: one node per database file. A second serve on the same
 * file would run a second hub, webhook worker and batch recovery that assume they are
 * alone, so it is refused: the first holds flock(LOCK_EX) on the file (independent of
 * SQLite's own fcntl locks on Linux; released when the process dies). CLI commands
 * (import, batch, demo) still work beside it, as before. */
static int serve_lock_fd = -1;

static int
serve_single_node(const struct cli_args *a)
{
    const char *url = cli_opt(a, "db"), *var = cli_opt(a, "var");
    char path[1200];
    if (url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0))
        return 0;
    if (!url || !*url)
        snprintf(path, sizeof path, "%s/jiayuan.db", var ? var : "./var");
    else if (strncmp(url, "sqlite:", 7) == 0)
        snprintf(path, sizeof path, "%s", url[7] == '/' && url[8] == '/' ? url + 9 : url + 7);
    else
        snprintf(path, sizeof path, "%s", url);
    if (strcmp(path, ":memory:") == 0)
        return 0;
    serve_lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (serve_lock_fd < 0)
        return 0; /* db_open reports what is wrong with the path */
    if (flock(serve_lock_fd, LOCK_EX | LOCK_NB)) {
        fprintf(stderr, "jiayuan: another 'jiayuan serve' already runs on this SQLite database; "
                        "several nodes need PostgreSQL (docs/ops/deployment.md)\n");
        close(serve_lock_fd);
        serve_lock_fd = -1;
        return 1;
    }
    return 0;
}

/* serve_reload_policy runs on the listener thread after a node committed a settings change. */
static void
serve_reload_policy(void *arg)
{
    struct app *app = arg;
    struct policy p;
    struct db *db = db_pool_get(app->pool);
    int rc = policy_load(db, &p);
    db_pool_put(app->pool, db);
    if (rc) {
        log_warn("settings.reload_failed", "error", err_name(rc), NULL);
        return;
    }
    app->policy = p;
    log_info("settings.reloaded", NULL);
}

/* What serve runs besides its options, started in this order by serve_start and stopped by
 * serve_stop in the order below (only what was started). */
enum serve_part { PART_LISTEN, PART_HUB, PART_WEBHOOKS, PART_BATCHES, PART_VIDEO, PART_HTTP, PART_PURGE };
struct serve_run {
    struct app app;
    bool app_open;
    struct audit_ship *ship; /* --audit-tag-file / --audit-syslog, or NULL */
    struct http_server *srv;
    unsigned started; /* 1 << enum serve_part */
};

static bool
serve_has(const struct serve_run *r, enum serve_part p)
{
    return r->started & (1u << p);
}

/* serve_stop: the background jobs first, then the event hub (it ends the event streams, so
 * the HTTP server's stop does not wait on them), then the HTTP server (it releases the media
 * viewers) before live video; the last audit tags are shipped before the application closes. */
static void
serve_stop_parts(struct serve_run *r)
{
    if (serve_has(r, PART_PURGE))
        purge_job_stop();
    if (serve_has(r, PART_BATCHES))
        batch_worker_stop();
    if (serve_has(r, PART_WEBHOOKS))
        webhook_worker_stop();
    if (serve_has(r, PART_HUB))
        hub_stop();
    if (serve_has(r, PART_HTTP))
        http_stop(r->srv);
    if (serve_has(r, PART_VIDEO))
        video_stop();
    if (serve_has(r, PART_LISTEN))
        push_listen_stop();
    if (!r->app_open)
        return;
    serve_ship_tags(&r->app, r->ship); /* what the last requests appended */
    audit_ship_close(r->ship);
    cli_app_close(&r->app);
}

#define SERVE_START(r, part, call, what)                                                           \
    do {                                                                                          \
        int rc_ = (call);                                                                         \
        if (rc_) {                                                                                \
            fprintf(stderr, "jiayuan: cannot %s (%s)\n", what, err_name(rc_));                    \
            return 1;                                                                             \
        }                                                                                         \
        (r)->started |= 1u << (part);                                                             \
    } while (0)

/* serve_start opens the application and starts every part; 0, or 1 after saying what failed
 * (the caller stops what was started). */
static int
serve_start(struct serve_run *r, const struct cli_args *a, size_t threads, const struct http_config *cfg,
            const struct video_config *vcfg)
{
    char node[96], host[64] = "";
    unsigned open = CLI_OPEN_KEYS | (cli_flag(a, "no-group-commit") ? 0 : CLI_OPEN_WRITER) |
                    (cli_flag(a, "no-group-fold") ? CLI_OPEN_NO_FOLD : 0);

    if (serve_single_node(a))
        return 1;
    /* the pool: the HTTP threads + hub, webhooks (2), video, batch lease, purge + batch workers */
    if (cli_app_open(&r->app, a, open, threads + 6 + BATCH_WORKERS))
        return 1;
    r->app_open = true;
    if (serve_open_ship(&r->app, a, &r->ship) || serve_configure_streams())
        return 1;
    SERVE_START(r, PART_LISTEN, push_listen_start(cli_opt(a, "db"), r->app.var_dir, serve_reload_policy, &r->app),
                "listen for other nodes' commits");
    SERVE_START(r, PART_HUB, hub_start(r->app.pool), "start the event hub");
    SERVE_START(r, PART_WEBHOOKS, webhook_worker_start(&r->app, NULL), "start the webhook worker");
    (void)gethostname(host, sizeof host - 1);
    snprintf(node, sizeof node, "%s/%s", host[0] ? host : "localhost", cfg->listen);
    batch_job_set_node(node); /* stable across restarts: a restarted node takes its batches back */
    SERVE_START(r, PART_BATCHES, batch_worker_start(&r->app, BATCH_WORKERS), "start the batch workers");
    SERVE_START(r, PART_VIDEO, video_start(&r->app, vcfg), "start live video");
    /* handlers before the port opens: a SIGTERM right after the first answer must stop the
     * server cleanly, not kill it (exit 143) */
    signal(SIGINT, serve_on_signal);
    signal(SIGTERM, serve_on_signal);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, serve_on_hup);
    if (http_start(&r->app, cfg, &r->srv)) {
        fprintf(stderr, "jiayuan: cannot listen on '%s' (in use, not allowed, or the TLS certificate/key refused)\n",
                cfg->listen);
        return 1;
    }
    r->started |= 1u << PART_HTTP;
    /* hourly retention purge (issue 12); else `jiayuan purge` */
    int rc = purge_job_start(&r->app, 0);
    if (rc)
        log_warn("retention.job_not_started", "error", err_name(rc), NULL);
    else
        r->started |= 1u << PART_PURGE;
    return 0;
}

/* serve_threads: --threads, else 2 × cores (at least 4); issue 13: with group commit a group
 * holds at most as many requests as threads wait on the writer, and a waiting thread costs no
 * CPU: many more threads. Each holds a pool connection - on PostgreSQL a backend, so fewer
 * there. 0, or 2 after a message. */
static int
serve_threads(const struct cli_args *a, int64_t *threads)
{
    if (cli_opt(a, "threads")) {
        if (!cstr_to_i64(cli_opt(a, "threads"), threads, 1, 256))
            return 0;
        fprintf(stderr, "jiayuan: --threads must be 1..256\n");
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *url = cli_opt(a, "db");
    int64_t group = url && strncmp(url, "postgres", 8) == 0 ? SERVE_THREADS_GROUP_PG : SERVE_THREADS_GROUP;
    *threads = cores > 2 ? cores * 2 : 4;
    if (!cli_flag(a, "no-group-commit") && *threads < group)
        *threads = group;
    return 0;
}

int
cli_serve(int argc, char **argv)
{
    static const char *const allowed[] = { "listen", "threads", "var", "db", "keys", "tls-offloaded",
                                           "conn-per-ip", "login-limit", "tls-cert", "tls-key",
                                           "trusted-proxy", "no-group-commit", "no-group-fold", "audit-tag-file",
                                           "audit-syslog", CLI_VIDEO_OPTS, NULL };
    static const char *const flags[] = { "tls-offloaded", "media-udp", "no-group-commit", "no-group-fold", NULL };
    struct video_config vcfg;
    struct cli_args a;
    struct serve_run r = { 0 };
    int64_t threads = 0, conn_per_ip = HTTP_CONN_PER_IP_DEFAULT;
    char kek_path[1024];
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, flags, &a)) || (rc = cli_video_config(&a, &vcfg)) ||
        (rc = serve_threads(&a, &threads)) || (rc = serve_security_options(&a, &conn_per_ip)))
        return rc;
    struct http_config cfg = {
        .listen = cli_opt(&a, "listen") ? cli_opt(&a, "listen") : "127.0.0.1:8080",
        .threads = (unsigned)threads,
        .routes = api_routes,
        .gate = api_gate,
        .tls_offloaded = cli_flag(&a, "tls-offloaded"),
        .conn_per_ip = (unsigned)conn_per_ip,
        .tls_cert_pem = serve_cert.len ? serve_cert.data : NULL,
        .tls_key_pem = serve_key.len ? serve_key.data : NULL,
        .trusted_proxies = cli_opt(&a, "trusted-proxy"),
    };
    if ((rc = http_listen_check(&cfg))) {
        fprintf(stderr, "jiayuan: cannot listen on '%s'%s\n", cfg.listen,
                rc == ERR_INVALID ? " (use host:port)"
                                  : " (not a loopback address: give --tls-cert/--tls-key, or --tls-offloaded "
                                    "behind a TLS proxy)");
        return 1;
    }
    if (serve_start(&r, &a, (size_t)threads, &cfg, &vcfg)) {
        serve_stop_parts(&r);
        return 1;
    }
    log_info("server.start", "listen", cfg.listen, "ui", static_has_ui() ? "embedded" : "none", NULL);
    printf("jiayuan serving on %s://%s/\n", cfg.tls_cert_pem ? "https" : "http", cfg.listen);
    fflush(stdout);
    cli_kek_path(&a, kek_path, sizeof kek_path);
    for (int s = 0; !serve_stop; s++) {
        sleep(1);
        if (s % SERVE_MANIFEST_PERIOD_S == SERVE_MANIFEST_PERIOD_S - 1)
            serve_check_manifest(&r.app);
        serve_ship_tags(&r.app, r.ship);
        if (serve_hup || s % SERVE_KEYS_PERIOD_S == SERVE_KEYS_PERIOD_S - 1) {
            serve_hup = 0;
            serve_refresh_keys(&r.app, kek_path);
        }
    }
    log_info("server.stop", "listen", cfg.listen, NULL);
    serve_stop_parts(&r);
    buf_release(&serve_cert);
    buf_release_secret(&serve_key);
    return 0;
}
