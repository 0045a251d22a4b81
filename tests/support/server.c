/* tests/support/server.c - see server.h. Test support only: the real binary as a child
 * process, a small libcurl client with a hand-kept cookie jar, an independent TOTP for
 * enrolling administrators, and the plaintext scan behind the "no personal data in the
 * database, logs or responses" requirement (S4, S6).
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/str.h"
#include "core/vec.h"
#include "db/db.h"
#include "json/jsonio.h"

extern char **environ;

#define SERVER_START_TIMEOUT_MS 30000
#define SERVER_STOP_TIMEOUT_MS 10000

static bool server_curl_ready;

static size_t client_on_header(char *p, size_t size, size_t n, void *ud);
static size_t client_on_body(char *p, size_t size, size_t n, void *ud);

static void
server_curl_init(void)
{
    if (!server_curl_ready) {
        jsonio_init();
        curl_global_init(CURL_GLOBAL_DEFAULT);
        server_curl_ready = true;
    }
}

static void
server_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static int64_t
server_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
server_path(const char *a, const char *b)
{
    struct buf p = BUF_INIT;
    buf_printf(&p, "%s/%s", a, b);
    return buf_detach(&p, NULL);
}

/* server_read_file appends the whole file to out; false when it cannot be read. */
static bool
server_read_file(const char *path, struct buf *out)
{
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, n);
    fclose(f);
    return true;
}

static bool
server_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t n = strlen(text), off = 0;
    if (fd < 0)
        return false;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w <= 0) {
            close(fd);
            return false;
        }
        off += (size_t)w;
    }
    close(fd);
    return true;
}

static void
server_print_log_tail(struct server *srv, size_t lines)
{
    struct buf b = BUF_INIT;
    size_t seen = 0;
    const char *p;
    server_log(srv, &b);
    p = b.data + b.len;
    while (p > b.data && seen <= lines)
        if (*--p == '\n')
            seen++;
    fprintf(stderr, "server: last lines of %s:\n%s\n", srv->log_path, p);
    buf_release(&b);
}

/* server_spawn starts argv[0] with stdin from in_path (or /dev/null), stdout to out_path
 * and stderr appended to the log. */
static int
server_spawn(struct server *srv, char *const *argv, const char *in_path, const char *out_path,
             pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    int rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in_path ? in_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, srv->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "server: cannot run %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    return 0;
}

static int
server_exit_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

static bool
server_is_pg(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

int
server_cli(struct server *srv, const char *stdin_text, struct buf *out, ...)
{
    const char *bin = getenv("JIAYUAN_BIN");
    char *argv[32];
    size_t n = 0;
    char *in_path = NULL, *out_path = server_path(srv->dir, "cli.out");
    const char *a;
    va_list ap;
    pid_t pid;
    int status = 0, rc = -1;

    argv[n++] = (char *)bin;
    va_start(ap, out);
    while ((a = va_arg(ap, const char *)) && n < sizeof argv / sizeof *argv - 6)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n++] = (char *)"--var";
    argv[n++] = srv->var;
    if (srv->db_url) {
        argv[n++] = (char *)"--db";
        argv[n++] = srv->db_url;
    }
    argv[n] = NULL;
    if (stdin_text) {
        in_path = server_path(srv->dir, "cli.in");
        if (!server_write_file(in_path, stdin_text))
            goto out;
    }
    if (server_spawn(srv, argv, in_path, out_path, &pid))
        goto out;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    rc = server_exit_status(status);
    if (out)
        server_read_file(out_path, out);
out:
    if (in_path)
        unlink(in_path);
    unlink(out_path);
    xfree(in_path);
    xfree(out_path);
    return rc;
}

int
server_init(struct server *srv, const char *driver_url)
{
    const char *bin = getenv("JIAYUAN_BIN");
    char tmpl[] = "/tmp/jiayuan-e2e-XXXXXX";

    memset(srv, 0, sizeof *srv);
    server_curl_init();
    if (!bin || !*bin || access(bin, X_OK)) {
        fprintf(stderr, "server: JIAYUAN_BIN must name the built jiayuan binary\n");
        return -1;
    }
    srv->driver_url = driver_url;
    srv->driver = server_is_pg(driver_url) ? "postgres" : "sqlite";
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "server: cannot create a temporary folder: %s\n", strerror(errno));
        return -1;
    }
    srv->dir = xstrdup(tmpl);
    srv->var = server_path(srv->dir, "var");
    srv->log_path = server_path(srv->dir, "server.log");
    if (server_is_pg(driver_url)) {
        if (dbtest_open_empty(driver_url, &srv->pg)) {
            fprintf(stderr, "server: cannot create a PostgreSQL schema\n");
            return -1;
        }
        srv->db_url = xstrdup(dbtest_url(srv->pg));
    } else {
        srv->db_path = server_path(srv->var, "jiayuan.db");
    }
    if (server_cli(srv, NULL, NULL, "keys", "init", NULL) != 0) {
        fprintf(stderr, "server: 'jiayuan keys init' failed\n");
        server_print_log_tail(srv, 10);
        return -1;
    }
    return 0;
}

static int
server_free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static size_t
server_discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static long
server_probe(const struct server *srv)
{
    CURL *h = curl_easy_init();
    char url[128];
    long code = 0;
    snprintf(url, sizeof url, "%s/healthz", srv->base);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (srv->tls_ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, srv->tls_ca);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, server_discard);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return code;
}

int
server_start(struct server *srv)
{
    const char *bin = getenv("JIAYUAN_BIN");
    char listen[64];
    char *out_path = server_path(srv->dir, "serve.out");
    int rc = -1;

    for (int attempt = 0; attempt < 3 && rc; attempt++) {
        char *argv[12 + sizeof srv->serve_args / sizeof *srv->serve_args];
        size_t n = 0;
        int64_t t0 = server_now_ms();
        bool exited = false;

        srv->port = server_free_port();
        if (srv->port <= 0)
            continue;
        snprintf(listen, sizeof listen, "127.0.0.1:%d", srv->port);
        snprintf(srv->base, sizeof srv->base, "%s://127.0.0.1:%d", srv->tls_ca ? "https" : "http", srv->port);
        argv[n++] = (char *)bin;
        argv[n++] = (char *)"serve";
        argv[n++] = (char *)"--listen";
        argv[n++] = listen;
        argv[n++] = (char *)"--var";
        argv[n++] = srv->var;
        if (srv->db_url) {
            argv[n++] = (char *)"--db";
            argv[n++] = srv->db_url;
        }
        bool own_limit = false;
        for (size_t i = 0; i + 1 < sizeof srv->serve_args / sizeof *srv->serve_args && srv->serve_args[i]; i++) {
            own_limit |= strcmp(srv->serve_args[i], "--login-limit") == 0;
            argv[n++] = (char *)srv->serve_args[i];
        }
        if (!own_limit) { /* every client is 127.0.0.1: suites that fail logins on purpose
                           * must not trip the per-address limit (e2e_gate tests it) */
            argv[n++] = (char *)"--login-limit";
            argv[n++] = (char *)"1000000";
        }
        argv[n] = NULL;
        if (server_spawn(srv, argv, NULL, out_path, &srv->pid))
            break;
        while (server_now_ms() - t0 < SERVER_START_TIMEOUT_MS) {
            int status;
            if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
                fprintf(stderr, "server: serve exited with status %d while starting\n",
                        server_exit_status(status));
                server_print_log_tail(srv, 10);
                srv->pid = 0;
                exited = true;
                break;
            }
            if (server_probe(srv) == 200) {
                rc = 0;
                break;
            }
            server_sleep_ms(20);
        }
        if (rc && !exited) {
            fprintf(stderr, "server: /healthz did not answer within %d ms\n", SERVER_START_TIMEOUT_MS);
            server_stop(srv);
            break;
        }
    }
    xfree(out_path);
    return rc;
}

int
server_stop(struct server *srv)
{
    int status = 0;
    int64_t t0 = server_now_ms();
    if (!srv || srv->pid <= 0)
        return 0;
    kill(srv->pid, SIGTERM);
    for (;;) {
        pid_t w = waitpid(srv->pid, &status, WNOHANG);
        if (w == srv->pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = 0;
            break;
        }
        if (server_now_ms() - t0 > SERVER_STOP_TIMEOUT_MS) {
            fprintf(stderr, "server: serve ignored SIGTERM for %d ms; killing it\n",
                    SERVER_STOP_TIMEOUT_MS);
            kill(srv->pid, SIGKILL);
            while (waitpid(srv->pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        server_sleep_ms(10);
    }
    srv->pid = 0;
    return server_exit_status(status);
}

int
server_restart(struct server *srv)
{
    int status = server_stop(srv);
    if (status != 0) {
        fprintf(stderr, "server: serve exited with status %d on restart (expected 0)\n", status);
        server_print_log_tail(srv, 20);
        return -1;
    }
    return server_start(srv);
}

static int
server_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path))
        fprintf(stderr, "server: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void
server_release(struct server *srv)
{
    const char *keep = getenv("JIAYUAN_E2E_KEEP");
    if (!srv)
        return;
    server_stop(srv);
    if (srv->dir) {
        if (keep && strcmp(keep, "1") == 0)
            fprintf(stderr, "server: kept %s\n", srv->dir);
        else
            nftw(srv->dir, server_rm, 16, FTW_DEPTH | FTW_PHYS);
    }
    dbtest_close(srv->pg);
    for (size_t i = 0; i < srv->nrecs; i++)
        xfree(srv->recs[i].body);
    xfree(srv->recs);
    xfree(srv->dir);
    xfree(srv->var);
    xfree(srv->log_path);
    xfree(srv->db_path);
    xfree(srv->db_url);
    memset(srv, 0, sizeof *srv);
}

int
server_add_user(struct server *srv, const char *username, const char *role,
                const char *subdistrict, const char *password, bool temporary,
                struct buf *otp_out)
{
    struct buf out = BUF_INIT, in = BUF_INIT;
    const char *args[12];
    size_t n = 0;
    int rc;

    args[n++] = "user";
    args[n++] = "add";
    args[n++] = "--username";
    args[n++] = username;
    args[n++] = "--role";
    args[n++] = role;
    if (subdistrict) {
        args[n++] = "--subdistrict";
        args[n++] = subdistrict;
    }
    if (password) {
        args[n++] = "--password-stdin";
        buf_printf(&in, "%s\n", password);
    }
    if (password && temporary)
        args[n++] = "--temporary";
    while (n < 11)
        args[n++] = NULL;
    args[11] = NULL;
    rc = server_cli(srv, password ? in.data : NULL, &out, args[0], args[1], args[2], args[3],
                    args[4], args[5], args[6], args[7], args[8], args[9], args[10], NULL);
    if (rc == 0 && !password && otp_out) {
        const char *p = strstr(out.data, "one-time password: ");
        if (p) {
            p += strlen("one-time password: ");
            buf_add(otp_out, p, strcspn(p, "\r\n"));
        }
    }
    buf_release_secret(&in);
    buf_release_secret(&out);
    return rc;
}

int
server_add_token(struct server *srv, const char *name, const char *scopes, struct buf *secret,
                 int64_t *id)
{
    struct buf out = BUF_INIT;
    int rc = server_cli(srv, NULL, &out, "token", "add", "--name", name, "--scopes", scopes, NULL);
    if (rc == 0) {
        const char *p = strstr(out.data, "jy_");
        const char *t = strstr(out.data, "token ");
        if (p && secret)
            buf_add(secret, p, strcspn(p, "\r\n"));
        if (t && id) {
            struct str s = { t + 6, strspn(t + 6, "0123456789") };
            if (str_to_i64(s, id, 1, INT64_MAX))
                *id = 0;
        }
    }
    buf_release_secret(&out);
    return rc;
}

int
server_db_open(struct server *srv, struct db **out)
{
    struct buf url = BUF_INIT;
    int rc;
    if (srv->db_url)
        buf_adds(&url, srv->db_url);
    else
        buf_printf(&url, "sqlite:%s", srv->db_path);
    rc = db_open(url.data, NULL, out);
    buf_release(&url);
    return rc;
}

/* server_log_sync waits until serve has written the access-log lines of the requests
 * answered so far: each line is written after its response is sent, so a test that has
 * its response may not see the line yet. A marker request is sent and its line awaited
 * (its request id), then a short grace for requests still finishing on other threads. */
static void
server_log_sync(struct server *srv)
{
    struct client c;
    struct resp r = RESP_INIT;
    char rid[64];
    int64_t t0 = server_now_ms();
    client_init(&c, srv);
    c.srv = NULL; /* not recorded */
    curl_easy_setopt(c.curl, CURLOPT_TIMEOUT, 5L);
    {
        struct buf url = BUF_INIT;
        buf_printf(&url, "%s/healthz", srv->base);
        curl_easy_setopt(c.curl, CURLOPT_URL, url.data);
        curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c.curl, CURLOPT_HEADERFUNCTION, client_on_header);
        curl_easy_setopt(c.curl, CURLOPT_HEADERDATA, &r);
        curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, client_on_body);
        curl_easy_setopt(c.curl, CURLOPT_WRITEDATA, &r);
        if (curl_easy_perform(c.curl) == CURLE_OK && resp_header(&r, "X-Request-Id", 0, rid, sizeof rid)) {
            struct buf log = BUF_INIT;
            while (server_now_ms() - t0 < 3000) {
                buf_reset(&log);
                server_read_file(srv->log_path, &log);
                if (strstr(log.data, rid))
                    break;
                server_sleep_ms(10);
            }
            buf_release(&log);
        }
        buf_release(&url);
    }
    server_sleep_ms(100);
    resp_release(&r);
    client_release(&c);
}

void
server_log(struct server *srv, struct buf *out)
{
    if (srv->pid > 0 && (srv->synced != srv->nrecs || srv->nrecs == 0)) {
        server_log_sync(srv);
        srv->synced = srv->nrecs;
    }
    buf_reset(out);
    server_read_file(srv->log_path, out);
}

static const char *const server_sanitizer_marks[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
    "SUMMARY: AddressSanitizer", "SUMMARY: UndefinedBehaviorSanitizer", NULL,
};

bool
server_log_has_sanitizer_report(struct server *srv)
{
    struct buf b = BUF_INIT;
    bool found = false;
    server_log(srv, &b);
    for (size_t i = 0; server_sanitizer_marks[i]; i++)
        found |= strstr(b.data, server_sanitizer_marks[i]) != NULL;
    buf_release(&b);
    return found;
}

/* server_print_sanitizer shows the sanitizer part of the log on stderr. */
static void
server_print_sanitizer(struct server *srv)
{
    struct buf b = BUF_INIT;
    const char *first = NULL;
    server_log(srv, &b);
    for (size_t i = 0; server_sanitizer_marks[i]; i++) {
        const char *p = strstr(b.data, server_sanitizer_marks[i]);
        if (p && (!first || p < first))
            first = p;
    }
    if (first) {
        while (first > b.data && first[-1] != '\n')
            first--;
        fprintf(stderr, "server: sanitizer report in the %s server log:\n%.12000s\n", srv->driver, first);
    }
    buf_release(&b);
}

int
server_run(const char *suite, const struct CMUnitTest *tests, size_t n, int (*prepare)(struct server *srv))
{
    const char *urls[DBTEST_MAX_URLS];
    size_t nurls;
    int failed = 0;

    server_curl_init();
    nurls = dbtest_urls(urls, DBTEST_MAX_URLS);
    for (size_t u = 0; u < nurls; u++) {
        struct server srv;
        struct CMUnitTest *group;
        char **names;
        struct buf b = BUF_INIT;
        int status;

        if (server_init(&srv, urls[u]) || (prepare && prepare(&srv)) || server_start(&srv)) {
            fprintf(stderr, "server: %s/%s: cannot prepare the server; its tests did not run\n",
                    suite, srv.driver ? srv.driver : "?");
            if (srv.log_path)
                server_print_log_tail(&srv, 10);
            failed += (int)n;
            server_release(&srv);
            continue;
        }
        group = xcalloc(n ? n : 1, sizeof *group);
        names = xcalloc(n ? n : 1, sizeof *names);
        for (size_t i = 0; i < n; i++) {
            group[i] = tests[i];
            buf_printf(&b, "%s/%s", srv.driver, tests[i].name);
            names[i] = buf_detach(&b, NULL);
            group[i].name = names[i];
            group[i].initial_state = &srv;
        }
        buf_printf(&b, "%s/%s", suite, srv.driver);
        failed += _cmocka_run_group_tests(b.data, group, n, NULL, NULL);
        status = server_stop(&srv);
        if (status != 0) {
            fprintf(stderr, "server: %s: serve exited with status %d (expected 0)\n", b.data, status);
            server_print_log_tail(&srv, 20);
            failed++;
        }
        if (server_log_has_sanitizer_report(&srv)) {
            server_print_sanitizer(&srv);
            failed++;
        }
        buf_release(&b);
        for (size_t i = 0; i < n; i++)
            xfree(names[i]);
        xfree(names);
        xfree(group);
        server_release(&srv);
    }
    if (server_curl_ready) {
        curl_global_cleanup();
        server_curl_ready = false;
    }
    return failed;
}

/* --- HTTP client ------------------------------------------------------------------ */

void
client_init(struct client *c, struct server *srv)
{
    memset(c, 0, sizeof *c);
    server_curl_init();
    c->srv = srv;
    c->curl = curl_easy_init();
}

void
client_release(struct client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    wipe(c, sizeof *c);
}

void
resp_release(struct resp *r)
{
    buf_release(&r->head);
    buf_release(&r->body);
    json_decref(r->json);
    *r = (struct resp)RESP_INIT;
}

static size_t
client_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct resp *r = ud;
    buf_add(&r->head, p, size * n);
    return size * n;
}

static size_t
client_on_body(char *p, size_t size, size_t n, void *ud)
{
    struct resp *r = ud;
    buf_add(&r->body, p, size * n);
    return size * n;
}

struct client_upload {
    const char *p;
    size_t n, off;
};

static size_t
client_on_read(char *dst, size_t size, size_t n, void *ud)
{
    struct client_upload *u = ud;
    size_t want = size * n, left = u->n - u->off;
    if (want > left)
        want = left;
    if (want > 1000) /* several chunks, as a streaming client sends them */
        want = 1000;
    memcpy(dst, u->p + u->off, want);
    u->off += want;
    return want;
}

static int
client_on_seek(void *ud, curl_off_t offset, int origin)
{
    struct client_upload *u = ud;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > u->n)
        return CURL_SEEKFUNC_CANTSEEK;
    u->off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static void
server_record(struct server *srv, long status, const char *body, size_t len)
{
    VEC_ROOM(srv->recs, srv->nrecs, srv->caprecs);
    srv->recs[srv->nrecs].status = status;
    srv->recs[srv->nrecs].body = xmemdup(body, len + 1);
    srv->recs[srv->nrecs].len = len;
    srv->nrecs++;
}

/* client_take_cookies applies every Set-Cookie of r to the jar. */
static void
client_take_cookies(struct client *c, const struct resp *r)
{
    char v[1024];
    for (size_t i = 0; resp_header(r, "Set-Cookie", i, v, sizeof v); i++) {
        size_t name_len = strcspn(v, "=;");
        const char *val;
        size_t val_len;
        bool clear;
        if (v[name_len] != '=' || name_len >= sizeof c->cookie_name)
            continue;
        val = v + name_len + 1;
        val_len = strcspn(val, ";");
        clear = val_len == 0 || strcasestr(val + val_len, "Max-Age=0") != NULL;
        if (clear) {
            if (strncmp(c->cookie_name, v, name_len) == 0 && c->cookie_name[name_len] == '\0') {
                c->cookie_name[0] = '\0';
                c->cookie[0] = '\0';
            }
            continue;
        }
        if (val_len >= sizeof c->cookie)
            continue;
        memcpy(c->cookie_name, v, name_len);
        c->cookie_name[name_len] = '\0';
        memcpy(c->cookie, val, val_len);
        c->cookie[val_len] = '\0';
    }
}

long
client_send(struct client *c, const char *method, const char *path, const void *body, size_t len,
            const char *const *headers, unsigned flags, struct resp *r)
{
    struct curl_slist *hl = NULL;
    struct buf url = BUF_INIT, line = BUF_INIT;
    struct client_upload up = { body, len, 0 };
    bool has_type = false, has_expect = false;
    bool safe = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    CURLcode rc;
    long status = 0, connects = 0;

    resp_release(r);
    curl_easy_reset(c->curl);
    buf_printf(&url, "%s%s", c->srv->base, path);
    for (size_t i = 0; headers && headers[i]; i++) {
        has_type |= strncasecmp(headers[i], "Content-Type:", 13) == 0;
        has_expect |= strncasecmp(headers[i], "Expect:", 7) == 0;
        hl = curl_slist_append(hl, headers[i]);
    }
    if (flags & CLIENT_NO_TYPE)
        hl = curl_slist_append(hl, "Content-Type:");
    else if (body && !has_type)
        hl = curl_slist_append(hl, "Content-Type: application/json");
    if (!has_expect)
        hl = curl_slist_append(hl, "Expect:");
    if (flags & CLIENT_CHUNKED)
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    if (c->cookie[0] && !(flags & CLIENT_NO_COOKIE)) {
        buf_reset(&line);
        buf_printf(&line, "Cookie: %s=%s", c->cookie_name, c->cookie);
        hl = curl_slist_append(hl, line.data);
    }
    if (c->csrf[0] && !safe && !(flags & CLIENT_NO_CSRF)) {
        buf_reset(&line);
        buf_printf(&line, "X-CSRF-Token: %s", c->csrf);
        hl = curl_slist_append(hl, line.data);
    }
    if (c->bearer[0]) {
        buf_reset(&line);
        buf_printf(&line, "Authorization: Bearer %s", c->bearer);
        hl = curl_slist_append(hl, line.data);
    }
    curl_easy_setopt(c->curl, CURLOPT_URL, url.data);
    if (c->srv->tls_ca)
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->srv->tls_ca);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, client_on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, client_on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    if (flags & CLIENT_PATH_AS_IS)
        curl_easy_setopt(c->curl, CURLOPT_PATH_AS_IS, 1L);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") == 0 && !body) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    } else if (body && (flags & CLIENT_CHUNKED)) {
        curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, client_on_read);
        curl_easy_setopt(c->curl, CURLOPT_READDATA, &up);
        curl_easy_setopt(c->curl, CURLOPT_SEEKFUNCTION, client_on_seek);
        curl_easy_setopt(c->curl, CURLOPT_SEEKDATA, &up);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    } else if (body || strcmp(method, "POST") == 0) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    }
    rc = curl_easy_perform(c->curl);
    r->curl_rc = (int)rc;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects);
    r->status = rc == CURLE_OK ? status : 0;
    r->connects = connects;
    if (r->body.len) {
        json_error_t je;
        r->json = json_loadb(r->body.data, r->body.len, 0, &je);
    }
    server_record(c->srv, r->status, r->body.data, r->body.len);
    client_take_cookies(c, r);
    if (json_is_object(r->json) && json_is_string(json_object_get(r->json, "csrf_token")))
        str_copy(c->csrf, sizeof c->csrf, json_string_value(json_object_get(r->json, "csrf_token")));
    curl_slist_free_all(hl);
    buf_release(&url);
    buf_release(&line);
    return r->status;
}

long
client_call(struct client *c, const char *method, const char *path, const char *json, struct resp *r)
{
    return client_send(c, method, path, json, json ? strlen(json) : 0, NULL, 0, r);
}

long
client_pack(struct client *c, const char *method, const char *path, struct resp *r, const char *fmt, ...)
{
    json_error_t je;
    va_list ap;
    json_t *v;
    char *s;
    long status;
    va_start(ap, fmt);
    v = json_vpack_ex(&je, 0, fmt, ap);
    va_end(ap);
    if (!v) {
        fprintf(stderr, "client_pack: '%s' does not pack: %s\n", fmt, je.text);
        resp_release(r);
        return -1;
    }
    s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    status = client_call(c, method, path, s, r);
    xfree(s);
    return status;
}

long
client_login(struct client *c, const char *username, const char *password, const char *totp,
             struct resp *r)
{
    if (totp)
        return client_pack(c, "POST", "/api/v1/auth/login", r, "{s:s, s:s, s:s}", "username",
                           username, "password", password, "totp", totp);
    return client_pack(c, "POST", "/api/v1/auth/login", r, "{s:s, s:s}", "username", username,
                       "password", password);
}

long
client_sign_in(struct client *c, struct server *srv, const char *user)
{
    struct resp r = RESP_INIT;
    client_init(c, srv);
    long status = client_login(c, user, SERVER_PASSWORD, NULL, &r);
    resp_release(&r);
    return status;
}

const char *
resp_header(const struct resp *r, const char *name, size_t nth, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    const char *p = r->head.data;
    while (*p) {
        size_t line_len = strcspn(p, "\r\n");
        if (line_len > name_len && strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
            if (nth-- == 0) {
                struct str v = str_trim((struct str){ p + name_len + 1, line_len - name_len - 1 });
                size_t n = v.n < cap - 1 ? v.n : cap - 1;
                memcpy(out, v.p, n);
                out[n] = '\0';
                return out;
            }
        }
        p += line_len;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    return NULL;
}

json_t *
resp_get(const struct resp *r, const char *path)
{
    json_t *v = r->json;
    const char *p = path;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        char key[128];
        if (n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        if (json_is_object(v)) {
            v = json_object_get(v, key);
        } else if (json_is_array(v)) {
            int64_t i;
            if (cstr_to_i64(key, &i, 0, INT64_MAX))
                return NULL;
            v = json_array_get(v, (size_t)i);
        } else {
            return NULL;
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return v;
}

const char *
resp_str(const struct resp *r, const char *path)
{
    return json_string_value(resp_get(r, path));
}

int64_t
resp_int(const struct resp *r, const char *path)
{
    json_t *v = resp_get(r, path);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : INT64_MIN;
}

const char *
resp_code(const struct resp *r)
{
    return resp_str(r, "error.code");
}

int64_t
resp_metric(const struct resp *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = r->body.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
    }
    return -1;
}

void
resp_assert(const struct resp *r, long status, const char *code, const char *file, int line)
{
    const char *got = resp_code(r);
    if (r->status == status && (!code || (got && strcmp(got, code) == 0)))
        return;
    print_error("%s:%d: got status %ld (curl %d) code '%s', want %ld '%s'; body: %.500s\n", file,
                line, r->status, r->curl_rc, got ? got : "-", status, code ? code : "-", r->body.data);
    _fail(file, line);
}

/* --- TOTP ------------------------------------------------------------------------- */

static int
server_base32(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    int bits = 0;
    *n = 0;
    for (; *s; s++) {
        int v;
        char ch = *s;
        if (ch == '=' || ch == ' ')
            continue;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= '2' && ch <= '7')
            v = ch - '2' + 26;
        else
            return -1;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (*n == cap)
                return -1;
            out[(*n)++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return 0;
}

int
server_totp(const char *secret_b32, int64_t step, char out[7])
{
    uint8_t key[64], msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    size_t n = 0;
    uint64_t s = (uint64_t)step;
    if (!secret_b32 || server_base32(secret_b32, key, sizeof key, &n) || n == 0)
        return -1;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)s;
        s >>= 8;
    }
    if (!HMAC(EVP_sha1(), key, (int)n, msg, sizeof msg, mac, &mac_len) || mac_len != 20)
        return -1;
    unsigned off = mac[19] & 0x0f;
    uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                   (uint32_t)mac[off + 2] << 8 | mac[off + 3];
    snprintf(out, 7, "%06u", (unsigned)(bin % 1000000));
    wipe(key, sizeof key);
    return 0;
}

int64_t
server_totp_step(void)
{
    return (int64_t)time(NULL) / 30;
}

int64_t
server_totp_margin(int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t into = (int64_t)ts.tv_sec % 30;
    if (30 - into <= seconds) {
        long ms = (long)(30 - into) * 1000 - ts.tv_nsec / 1000000 + 200;
        server_sleep_ms(ms);
    }
    return server_totp_step();
}

int
server_enrol(struct server *srv, struct client *c, const char *username, char *secret, size_t cap)
{
    struct resp r = RESP_INIT;
    char code[7];
    const char *s;
    int64_t step;
    int rc = -1;

    (void)srv;
    if (client_login(c, username, SERVER_PASSWORD, NULL, &r) != 200) {
        fprintf(stderr, "server_enrol: login of %s gave %ld\n", username, r.status);
        goto out;
    }
    if (client_call(c, "POST", "/api/v1/auth/totp/setup", "{}", &r) != 200 ||
        !(s = resp_str(&r, "secret"))) {
        fprintf(stderr, "server_enrol: totp setup of %s gave %ld\n", username, r.status);
        goto out;
    }
    if (secret)
        str_copy(secret, cap, s);
    step = server_totp_margin(4);
    if (server_totp(s, step - 1, code)) {
        fprintf(stderr, "server_enrol: the TOTP secret of %s is not base32\n", username);
        goto out;
    }
    if (client_pack(c, "POST", "/api/v1/auth/totp/enable", &r, "{s:s}", "code", code) != 200) {
        fprintf(stderr, "server_enrol: totp enable of %s gave %ld\n", username, r.status);
        goto out;
    }
    rc = 0;
out:
    resp_release(&r);
    return rc;
}

/* --- plaintext scan --------------------------------------------------------------- */

static bool
server_contains(const char *hay, size_t hn, const void *needle, size_t n, bool nocase)
{
    const unsigned char *nd = needle;
    if (n == 0 || n > hn)
        return n == 0;
    if (!nocase)
        return memmem(hay, hn, needle, n) != NULL;
    for (size_t i = 0; i + n <= hn; i++) {
        size_t j = 0;
        while (j < n) {
            unsigned char a = (unsigned char)hay[i + j], b = nd[j];
            if (a >= 'A' && a <= 'Z')
                a = (unsigned char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b - 'A' + 'a');
            if (a != b)
                break;
            j++;
        }
        if (j == n)
            return true;
    }
    return false;
}

/* Every row of every table of the server's schema as XML text; bytea as hex. */
static const char sql_pg_dump[] =
    "SELECT query_to_xml(format('SELECT * FROM %I.%I', table_schema, table_name), true, false, '')::text"
    " FROM information_schema.tables WHERE table_schema = current_schema()"
    " AND table_type = 'BASE TABLE'";

static void
server_db_text(struct server *srv, struct buf *out)
{
    if (srv->pg) {
        struct db_stmt *st = NULL;
        bool row = false;
        if (db_exec(srv->pg, "SET xmlbinary = hex") || db_prepare(srv->pg, sql_pg_dump, &st)) {
            fprintf(stderr, "server: cannot read the PostgreSQL schema\n");
            db_done(st);
            return;
        }
        while (!db_step(st, &row) && row) {
            size_t n = 0;
            const char *t = db_col_text(st, 0, &n);
            if (t)
                buf_add(out, t, n);
            buf_addch(out, '\n');
        }
        db_done(st);
        return;
    }
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        struct buf p = BUF_INIT;
        buf_printf(&p, "%s%s", srv->db_path, suffixes[i]);
        server_read_file(p.data, out);
        buf_release(&p);
    }
}

unsigned
server_find(struct server *srv, unsigned where, const void *needle, size_t n, bool nocase)
{
    unsigned found = 0;
    if (where & SCAN_DB) {
        struct buf b = BUF_INIT;
        server_db_text(srv, &b);
        if (b.len == 0)
            fprintf(stderr, "server: the database is empty or unreadable\n");
        if (server_contains(b.data, b.len, needle, n, nocase))
            found |= SCAN_DB;
        if (srv->pg) { /* bytea columns read as hex */
            struct buf hex = BUF_INIT;
            hex_encode(&hex, needle, n);
            if (server_contains(b.data, b.len, hex.data, hex.len, true))
                found |= SCAN_DB;
            buf_release(&hex);
        }
        buf_release(&b);
    }
    if (where & SCAN_LOG) {
        struct buf b = BUF_INIT;
        server_log(srv, &b);
        if (server_contains(b.data, b.len, needle, n, nocase))
            found |= SCAN_LOG;
        buf_release(&b);
    }
    if (where & SCAN_RESPONSES) {
        for (size_t i = 0; i < srv->nrecs; i++)
            if (server_contains(srv->recs[i].body, srv->recs[i].len, needle, n, nocase))
                found |= SCAN_RESPONSES;
    }
    return found;
}

size_t
server_count_responses(struct server *srv, const char *needle)
{
    size_t count = 0;
    for (size_t i = 0; i < srv->nrecs; i++)
        count += server_contains(srv->recs[i].body, srv->recs[i].len, needle, strlen(needle), false);
    return count;
}

void
server_assert_absent(struct server *srv, unsigned where, const char *const *needles)
{
    bool bad = false;
    for (size_t i = 0; needles[i]; i++) {
        unsigned f = server_find(srv, where, needles[i], strlen(needles[i]), true);
        if (f) {
            print_error("needle %zu (length %zu) found in plaintext in:%s%s%s (%s)\n", i,
                        strlen(needles[i]), (f & SCAN_DB) ? " database" : "",
                        (f & SCAN_LOG) ? " log" : "", (f & SCAN_RESPONSES) ? " responses" : "",
                        srv->driver);
            bad = true;
        }
    }
    if (bad)
        fail_msg("plaintext that must not be stored or shown was found (server dir %s)", srv->dir);
}

void
server_assert_no_plaintext(struct server *srv, const char *const *needles)
{
    server_assert_absent(srv, SCAN_ALL, needles);
}

void
server_assert_clean_errors(struct server *srv)
{
    static const char *const nocase_words[] = { "sqlite", "postgres", "libpq", "errno", "/work/",
                                                "/tmp/", "/usr/", "/var/", ".c:", "segfault",
                                                "constraint", "syntax error", NULL };
    bool bad = false;
    for (size_t i = 0; i < srv->nrecs; i++) {
        const struct server_rec *rec = &srv->recs[i];
        json_error_t je;
        json_t *v, *e;
        bool ok;
        if (rec->status < 400 || rec->status == 431)
            continue;
        v = json_loadb(rec->body, rec->len, 0, &je);
        e = json_object_get(v, "error");
        ok = json_is_object(v) && json_object_size(v) == 1 && json_is_object(e) &&
             /* code, message, request_id and (issue 14) optionally a string reason or detail */
             json_object_size(e) ==
                 3u + (json_object_get(e, "reason") != NULL) + (json_object_get(e, "detail") != NULL) &&
             (!json_object_get(e, "reason") || json_is_string(json_object_get(e, "reason"))) &&
             (!json_object_get(e, "detail") || json_is_string(json_object_get(e, "detail"))) &&
             json_is_string(json_object_get(e, "code")) &&
             json_is_string(json_object_get(e, "message")) &&
             json_is_string(json_object_get(e, "request_id")) &&
             strlen(json_string_value(json_object_get(e, "request_id"))) > 0;
        json_decref(v);
        if (!ok) {
            print_error("status %ld: not the error envelope: %.300s\n", rec->status, rec->body);
            bad = true;
        }
        for (size_t w = 0; nocase_words[w]; w++) {
            if (server_contains(rec->body, rec->len, nocase_words[w], strlen(nocase_words[w]), true)) {
                print_error("status %ld: the body names '%s': %.300s\n", rec->status, nocase_words[w],
                            rec->body);
                bad = true;
            }
        }
        if (strstr(rec->body, "SQL")) {
            print_error("status %ld: the body names 'SQL': %.300s\n", rec->status, rec->body);
            bad = true;
        }
    }
    if (bad)
        fail_msg("error responses are not clean (%s)", srv->driver);
}
