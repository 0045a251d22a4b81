/* tests/e2e/e2e_integrity.c - tamper tests through the real binary (issue 12 "Evidence" and
 * "Audit off the host"; S2, S6), on SQLite and PostgreSQL.
 *
 * 1. Audit tags off the host: serve runs with --audit-tag-file; a database superuser keeps
 *    a copy of the chain head, later deletes the newest entries (triggers dropped) and puts
 *    the old head back. `jiayuan verify` alone still says intact (the gap); `jiayuan verify
 *    --tags FILE` names the first missing entry and exits 1.
 * 2. A modified UI file: a copy of the binary with one byte of an embedded UI file changed
 *    starts, withdraws the UI (every page 503 with a plain notice, the API and /healthz
 *    keep working), counts jiayuan_ui_withdrawn / jiayuan_ui_integrity_failures_total,
 *    logs ui.tampered and audits it; `jiayuan verify` exits 1. Before this change the
 *    tampered binary refused to start (no metric, no audit, nothing for the alert).
 * (The edited audit row is e2e_audit's test_tampering_is_found.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "server.h"

static char tag_paths[DBTEST_MAX_URLS][512];
static size_t tag_n;

static int
prepare(struct server *srv)
{
    char *path = tag_paths[tag_n++ % DBTEST_MAX_URLS];
    snprintf(path, sizeof tag_paths[0], "%s/offhost.tags", srv->dir);
    srv->serve_args[0] = "--audit-tag-file";
    srv->serve_args[1] = path;
    srv->serve_args[2] = NULL;
    return 0;
}

static const char *
tag_path(struct server *srv)
{
    for (size_t i = 0; i < DBTEST_MAX_URLS; i++)
        if (strncmp(tag_paths[i], srv->dir, strlen(srv->dir)) == 0)
            return tag_paths[i];
    fail_msg("no tag file for %s", srv->dir);
    return NULL;
}

static int64_t
query_i64(struct server *srv, const char *sql)
{
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v = -1;
    if (server_db_open(srv, &db) == 0 && db_prepare(db, sql, &st) == 0 && db_step(st, &row) == 0 && row)
        v = db_col_i64(st, 0);
    db_done(st);
    db_close(db);
    return v;
}

static void
superuser(struct server *srv, const char *sql)
{
    struct db *db = NULL;
    assert_int_equal(server_db_open(srv, &db), 0);
    if (db_exec(db, sql))
        fail_msg("superuser SQL failed: %s", sql);
    db_close(db);
}

static int64_t
file_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int64_t n = 0;
    int c;
    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* wait_shipped waits (up to 30 s) until the tag file has one line per audit entry. */
static void
wait_shipped(struct server *srv)
{
    int64_t want = -1, have = -2;
    for (int i = 0; i < 300; i++) {
        want = query_i64(srv, "SELECT count(*) FROM audit_log");
        if ((have = file_lines(tag_path(srv))) == want)
            return;
        usleep(100000);
    }
    fail_msg("the tag file has %lld lines for %lld audit entries", (long long)have, (long long)want);
}

static void
test_rewound_head_caught_by_shipped_tags(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    char want[160];
    int64_t kept;
    const char *tags = tag_path(srv);

    for (int i = 0; i < 3; i++)
        assert_int_equal(server_cli(srv, NULL, NULL, "verify", NULL), 0);
    wait_shipped(srv);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", "--tags", tags, NULL), 0);
    assert_non_null(strstr(out.data, "audit tags intact"));

    /* the superuser's copy of the head, then more entries, shipped as they commit */
    superuser(srv, "CREATE TABLE head_copy AS SELECT * FROM audit_head");
    kept = query_i64(srv, "SELECT last_id FROM head_copy");
    for (int i = 0; i < 3; i++)
        assert_int_equal(server_cli(srv, NULL, NULL, "verify", NULL), 0);
    wait_shipped(srv);
    /* the rewind */
    superuser(srv, srv->db_path ? "DROP TRIGGER audit_log_no_delete" : "DROP TRIGGER audit_log_no_change ON audit_log");
    superuser(srv, "DELETE FROM audit_log WHERE id > (SELECT last_id FROM head_copy)");
    superuser(srv, "UPDATE audit_head SET last_id = (SELECT last_id FROM head_copy), mac = (SELECT mac FROM head_copy),"
                   " tag = (SELECT tag FROM head_copy)");
    assert_int_equal(query_i64(srv, "SELECT max(id) FROM audit_log"), kept);

    /* the chain in the database alone cannot tell */
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 0);
    assert_non_null(strstr(out.data, "audit chain intact"));
    /* the tags shipped off the host can */
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", "--tags", tags, NULL), 1);
    snprintf(want, sizeof want, "audit tags BROKEN: entry %lld was shipped off the host but is not in the database",
             (long long)(kept + 1));
    if (!strstr(out.data, want))
        fail_msg("verify --tags said: %s", out.data);
    buf_release(&out);
}

/* flip_all returns how many times needle occurs in hay and flips one byte of each. */
static size_t
flip_all(unsigned char *hay, size_t hn, const unsigned char *needle, size_t nn)
{
    size_t count = 0;
    for (size_t i = 0; nn && i + nn <= hn; i++)
        if (memcmp(hay + i, needle, nn) == 0) {
            hay[i + nn / 2] ^= 0x20;
            count++;
            i += nn - 1;
        }
    return count;
}

static char *
read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long len;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    rewind(f);
    p = malloc((size_t)len + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

static struct server ui_srv;

static int
ui_teardown(void **state)
{
    (void)state;
    server_release(&ui_srv);
    return 0;
}

static void
test_modified_ui_file_withdrawn(void **state)
{
    struct server *shared = *state, *srv = &ui_srv;
    struct client c;
    struct resp r = RESP_INIT;
    struct buf out = BUF_INIT, log = BUF_INIT;
    char bad_bin[600], *orig_bin = strdup(getenv("JIAYUAN_BIN"));
    size_t bin_len = 0;

    client_init(&c, shared);
    client_call(&c, "GET", "/", NULL, &r);
    if (r.status == 200 && strstr(r.body.data, "界面未构建")) {
        client_release(&c);
        resp_release(&r);
        free(orig_bin);
        print_message("e2e_integrity: SKIP the binary has no UI built in (make build embeds web/dist)\n");
        skip();
    }
    assert_resp(&r, 200, NULL);
    assert_true(r.body.len > 200);
    /* a piece from the middle of index.html, as it is stored in the binary */
    unsigned char needle[64];
    memcpy(needle, r.body.data + r.body.len / 2 - 32, sizeof needle);
    client_release(&c);

    assert_int_equal(server_init(srv, shared->driver_url), 0);
    unsigned char *bin = (unsigned char *)read_all(orig_bin, &bin_len);
    assert_true(flip_all(bin, bin_len, needle, sizeof needle) >= 1);
    snprintf(bad_bin, sizeof bad_bin, "%s/jiayuan-tampered", srv->dir);
    FILE *f = fopen(bad_bin, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bin, 1, bin_len, f), bin_len);
    fclose(f);
    free(bin);
    assert_int_equal(chmod(bad_bin, 0755), 0);

    setenv("JIAYUAN_BIN", bad_bin, 1);
    int started = server_start(srv);
    if (started) {
        setenv("JIAYUAN_BIN", orig_bin, 1);
        free(orig_bin);
        fail_msg("the server with a tampered UI file did not start (the API must keep serving)");
    }
    client_init(&c, srv);
    client_call(&c, "GET", "/", NULL, &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body.data, "UI withdrawn"));
    client_call(&c, "GET", "/assets/x.js", NULL, &r);
    assert_int_equal(r.status, 503);
    client_call(&c, "GET", "/healthz", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&c, "GET", "/metrics", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_metric(&r, "jiayuan_ui_withdrawn"), 1);
    assert_true(resp_metric(&r, "jiayuan_ui_integrity_failures_total") >= 1);
    assert_int_equal(query_i64(srv, "SELECT count(*) FROM audit_log WHERE action = 'ui.tampered' AND result = 'failed'"),
                     1);
    server_log(srv, &log);
    assert_non_null(strstr(log.data, "\"ui.tampered\""));
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 1);
    assert_non_null(strstr(out.data, "UI manifest BROKEN"));
    setenv("JIAYUAN_BIN", orig_bin, 1);
    free(orig_bin);
    client_release(&c);

    /* the shared, untampered server reports a healthy UI */
    client_init(&c, shared);
    client_call(&c, "GET", "/metrics", NULL, &r);
    assert_int_equal(resp_metric(&r, "jiayuan_ui_withdrawn"), 0);
    assert_int_equal(resp_metric(&r, "jiayuan_ui_integrity_failures_total"), 0);
    client_release(&c);
    buf_release(&out);
    buf_release(&log);
    resp_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewound_head_caught_by_shipped_tags),
        cmocka_unit_test_teardown(test_modified_ui_file_withdrawn, ui_teardown),
    };
    return server_run("e2e_integrity", tests, sizeof tests / sizeof tests[0], prepare);
}
