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
#include "domain/notify/webhook_worker.h"
#include "domain/platform/policy.h"
#include "http/server.h"
#include "http/static.h"
#include "push/hub.h"
#include "push/listen.h"

#define SERVE_MANIFEST_PERIOD_S 300

static volatile sig_atomic_t serve_stop;
/* the PEM text of --tls-cert / --tls-key: static, so every early return leaves it reachable */
static struct buf serve_cert = BUF_INIT, serve_key = BUF_INIT;

static void
serve_on_signal(int sig)
{
    (void)sig;
    serve_stop = 1;
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

static int
serve_check_manifest(void)
{
    const char *bad = NULL;
    if (manifest_verify(embedded_ui, &bad)) {
        log_error("ui.tampered", "file", bad, NULL);
        static_set_enabled(false);
        return ERR_CRYPTO;
    }
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

int
cli_serve(int argc, char **argv)
{
    static const char *const allowed[] = { "listen", "threads", "var", "db", "keys", "tls-offloaded",
                                           "conn-per-ip", "login-limit", "tls-cert", "tls-key",
                                           "trusted-proxy", "no-group-commit", CLI_VIDEO_OPTS, NULL };
    static const char *const flags[] = { "tls-offloaded", "media-udp", "no-group-commit", NULL };
    struct video_config vcfg;
    struct cli_args a;
    struct app app;
    struct http_server *srv = NULL;
    int64_t threads = 0, conn_per_ip = HTTP_CONN_PER_IP_DEFAULT;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, flags, &a)) || (rc = cli_video_config(&a, &vcfg)))
        return rc;
    if (cli_opt(&a, "threads") && cstr_to_i64(cli_opt(&a, "threads"), &threads, 1, 256)) {
        fprintf(stderr, "jiayuan: --threads must be 1..256\n");
        return 2;
    }
    if ((rc = serve_security_options(&a, &conn_per_ip)))
        return rc;
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 2 ? cores * 2 : 4;
    }
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
    if (serve_check_manifest()) {
        fprintf(stderr, "jiayuan: the embedded UI fails its integrity check; refusing to start\n");
        return 1;
    }
    if (serve_single_node(&a))
        return 1;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS | (cli_flag(&a, "no-group-commit") ? 0 : CLI_OPEN_WRITER),
                     (size_t)threads + 5 + BATCH_WORKERS)) /* + hub, webhooks (2), video, batch lease, batches */
        return 1;
    if ((rc = push_listen_start(cli_opt(&a, "db"), app.var_dir, serve_reload_policy, &app))) {
        fprintf(stderr, "jiayuan: cannot listen for other nodes' commits (%s)\n", err_name(rc));
        cli_app_close(&app);
        return 1;
    }
    /* event streams (issue 12): heartbeat = credential re-check interval, streams per account */
    int64_t hb = 0, per = 0;
    const char *env_hb = getenv("JIAYUAN_EVENTS_HEARTBEAT_MS"), *env_per = getenv("JIAYUAN_EVENTS_PER_ACCOUNT");
    if ((env_hb && cstr_to_i64(env_hb, &hb, 50, 3600000)) || (env_per && cstr_to_i64(env_per, &per, 1, 1000))) {
        fprintf(stderr, "jiayuan: JIAYUAN_EVENTS_HEARTBEAT_MS must be 50..3600000, JIAYUAN_EVENTS_PER_ACCOUNT 1..1000\n");
        push_listen_stop();
        cli_app_close(&app);
        return 1;
    }
    hub_configure(hb, (int)per);
    if ((rc = hub_start(app.pool))) {
        fprintf(stderr, "jiayuan: cannot start the event hub (%s)\n", err_name(rc));
        push_listen_stop();
        cli_app_close(&app);
        return 1;
    }
    if ((rc = webhook_worker_start(&app, NULL))) {
        hub_stop();
        fprintf(stderr, "jiayuan: cannot start the webhook worker (%s)\n", err_name(rc));
        push_listen_stop();
        cli_app_close(&app);
        return 1;
    }
    char node[96], host[64] = "";
    (void)gethostname(host, sizeof host - 1);
    snprintf(node, sizeof node, "%s/%s", host[0] ? host : "localhost", cfg.listen);
    batch_job_set_node(node); /* stable across restarts: a restarted node takes its batches back */
    if ((rc = batch_worker_start(&app, BATCH_WORKERS))) {
        webhook_worker_stop();
        hub_stop();
        fprintf(stderr, "jiayuan: cannot start the batch workers (%s)\n", err_name(rc));
        push_listen_stop();
        cli_app_close(&app);
        return 1;
    }
    if ((rc = video_start(&app, &vcfg))) {
        batch_worker_stop();
        webhook_worker_stop();
        hub_stop();
        fprintf(stderr, "jiayuan: cannot start live video (%s)\n", err_name(rc));
        push_listen_stop();
        cli_app_close(&app);
        return 1;
    }
    /* handlers before the port opens: a SIGTERM right after the first answer must stop the
     * server cleanly, not kill it (exit 143) */
    signal(SIGINT, serve_on_signal);
    signal(SIGTERM, serve_on_signal);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = http_start(&app, &cfg, &srv))) {
        video_stop();
        batch_worker_stop();
        webhook_worker_stop();
        hub_stop();
        fprintf(stderr, "jiayuan: cannot listen on '%s'%s\n", cfg.listen,
                " (in use, not allowed, or the TLS certificate/key refused)");
        push_listen_stop();
        cli_app_close(&app);
        return 1;
    }
    log_info("server.start", "listen", cfg.listen, "ui", static_has_ui() ? "embedded" : "none", NULL);
    printf("jiayuan serving on %s://%s/\n", cfg.tls_cert_pem ? "https" : "http", cfg.listen);
    fflush(stdout);
    for (int s = 0; !serve_stop; s++) {
        sleep(1);
        if (s % SERVE_MANIFEST_PERIOD_S == SERVE_MANIFEST_PERIOD_S - 1)
            serve_check_manifest();
    }
    log_info("server.stop", "listen", cfg.listen, NULL);
    batch_worker_stop();
    webhook_worker_stop();
    hub_stop();
    http_stop(srv); /* releases the media streams (viewers) before the hub goes */
    video_stop();
    push_listen_stop();
    cli_app_close(&app);
    buf_release(&serve_cert);
    buf_release_secret(&serve_key);
    return 0;
}
