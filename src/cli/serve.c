/* cli/serve.c - `jiayuan serve`: start the HTTP server and keep the UI manifest checked
 * (S2) until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "crypto/manifest.h"
#include "domain/batch/batch_worker.h"
#include "domain/notify/webhook_worker.h"
#include "http/server.h"
#include "http/static.h"
#include "push/hub.h"

#define SERVE_MANIFEST_PERIOD_S 300

static volatile sig_atomic_t serve_stop;

static void
serve_on_signal(int sig)
{
    (void)sig;
    serve_stop = 1;
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

int
cli_serve(int argc, char **argv)
{
    static const char *const allowed[] = { "listen", "threads", "var", "db", "keys", "tls-offloaded",
                                           CLI_VIDEO_OPTS, NULL };
    static const char *const flags[] = { "tls-offloaded", "media-udp", NULL };
    struct video_config vcfg;
    struct cli_args a;
    struct app app;
    struct http_server *srv = NULL;
    int64_t threads = 0;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, flags, &a)) || (rc = cli_video_config(&a, &vcfg)))
        return rc;
    if (cli_opt(&a, "threads") && cstr_to_i64(cli_opt(&a, "threads"), &threads, 1, 256)) {
        fprintf(stderr, "jiayuan: --threads must be 1..256\n");
        return 2;
    }
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 2 ? cores * 2 : 4;
    }
    if (serve_check_manifest()) {
        fprintf(stderr, "jiayuan: the embedded UI fails its integrity check; refusing to start\n");
        return 1;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, (size_t)threads + 3 + BATCH_WORKERS)) /* + hub, webhooks, video, batches */
        return 1;
    struct http_config cfg = {
        .listen = cli_opt(&a, "listen") ? cli_opt(&a, "listen") : "127.0.0.1:8080",
        .threads = (unsigned)threads,
        .routes = api_routes,
        .gate = api_gate,
        .tls_offloaded = cli_flag(&a, "tls-offloaded"),
    };
    /* event streams (issue 12): heartbeat = credential re-check interval, streams per account */
    int64_t hb = 0, per = 0;
    const char *env_hb = getenv("JIAYUAN_EVENTS_HEARTBEAT_MS"), *env_per = getenv("JIAYUAN_EVENTS_PER_ACCOUNT");
    if ((env_hb && cstr_to_i64(env_hb, &hb, 50, 3600000)) || (env_per && cstr_to_i64(env_per, &per, 1, 1000))) {
        fprintf(stderr, "jiayuan: JIAYUAN_EVENTS_HEARTBEAT_MS must be 50..3600000, JIAYUAN_EVENTS_PER_ACCOUNT 1..1000\n");
        cli_app_close(&app);
        return 1;
    }
    hub_configure(hb, (int)per);
    if ((rc = hub_start(app.pool))) {
        fprintf(stderr, "jiayuan: cannot start the event hub (%s)\n", err_name(rc));
        cli_app_close(&app);
        return 1;
    }
    if ((rc = webhook_worker_start(&app, NULL))) {
        hub_stop();
        fprintf(stderr, "jiayuan: cannot start the webhook worker (%s)\n", err_name(rc));
        cli_app_close(&app);
        return 1;
    }
    if ((rc = batch_worker_start(&app, BATCH_WORKERS))) {
        webhook_worker_stop();
        hub_stop();
        fprintf(stderr, "jiayuan: cannot start the batch workers (%s)\n", err_name(rc));
        cli_app_close(&app);
        return 1;
    }
    if ((rc = video_start(&app, &vcfg))) {
        batch_worker_stop();
        webhook_worker_stop();
        hub_stop();
        fprintf(stderr, "jiayuan: cannot start live video (%s)\n", err_name(rc));
        cli_app_close(&app);
        return 1;
    }
    if ((rc = http_start(&app, &cfg, &srv))) {
        video_stop();
        batch_worker_stop();
        webhook_worker_stop();
        hub_stop();
        fprintf(stderr, "jiayuan: cannot listen on '%s'%s\n", cfg.listen,
                rc == ERR_INVALID ? " (use host:port)" : " (in use, or not allowed)");
        cli_app_close(&app);
        return 1;
    }
    signal(SIGINT, serve_on_signal);
    signal(SIGTERM, serve_on_signal);
    signal(SIGPIPE, SIG_IGN);
    log_info("server.start", "listen", cfg.listen, "ui", static_has_ui() ? "embedded" : "none", NULL);
    printf("jiayuan serving on http://%s/\n", cfg.listen);
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
    cli_app_close(&app);
    return 0;
}
