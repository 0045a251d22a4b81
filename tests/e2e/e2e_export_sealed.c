/* e2e/e2e_export_sealed.c - an .xlsx export never lies on disk in clear (issue 12, S1, S6;
 * R4.3): over a raw TCP socket to the real `jiayuan serve`, on SQLite and PostgreSQL.
 *
 * A signed-in officer uploads a list of NROWS residents (ID numbers, and a remark of random
 * letters so that the workbook stays large once deflated), waits for the run, and asks for
 * the export. Once the response headers have arrived - the body (megabytes) is still being
 * streamed, the client reads none of it - no file under var/ and no file the server holds
 * open (/proc/PID/fd, nameless ones included) holds an ID number in plain, nor a workbook in
 * clear (a zip whose members are searched after inflating: a deflated sheet does not show
 * its text to a plain byte search). The export is then read whole and openpyxl finds every
 * row with its ID number and remark; afterwards the server holds no temporary file and
 * var/tmp has no name in it. Before the fix the workbook was a plaintext file under var/,
 * unlinked and held open while it streamed: this test found it through /proc/PID/fd.
 *
 * No timing is asserted: waits poll a value (bounded) and assert none of their durations.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/idno.h"
#include "plainscan.h"
#include "server.h"

#define BOUNDARY "----jyExportBoundary7qz"
#define NROWS 16000                  /* rows of the list */
#define REMARK 700                   /* random letters per row: the workbook is ~8 MB deflated */
#define ID_NEEDLE "110101198001"     /* the first 12 digits of every ID number in the list */
#define MIB ((size_t)1 << 20)

static int
prepare(struct server *srv)
{
    return server_add_user(srv, "ex_a", "subdistrict", "110102001", SERVER_PASSWORD, false, NULL) ? -1 : 0;
}

/* make_id writes the ID number of row k: 110101 1980-01-DD SSS + check digit. */
static void
make_id(size_t k, char out[19])
{
    snprintf(out, 19, "1101011980%02zu%02zu%03zu", (size_t)1, (k / 1000) % 28 + 1, k % 1000);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

/* make_remark writes the remark of row k: REMARK letters from a fixed generator. */
static void
make_remark(size_t k, char out[REMARK + 1])
{
    uint64_t x = 0x9E3779B97F4A7C15ULL * (k + 1);
    for (size_t i = 0; i < REMARK; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = (char)('a' + x % 26);
    }
    out[REMARK] = '\0';
}

static void
make_form(struct buf *b)
{
    char id[19], remark[REMARK + 1];
    buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
                  "Content-Type: text/csv\r\n\r\n序号,姓名,身份证号码,备注\r\n", BOUNDARY);
    for (size_t k = 0; k < NROWS; k++) {
        make_id(k, id);
        make_remark(k, remark);
        buf_printf(b, "%zu,居民,%s,%s\r\n", k + 1, id, remark);
    }
    buf_printf(b, "\r\n--%s--\r\n", BOUNDARY);
}

/* start_export connects with a small receive buffer, asks for the export of batch id and
 * reads only the response head (into head; body bytes that came with it go to body). */
static int
start_export(const struct server *srv, const struct client *c, long long id, struct buf *head, struct buf *body)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv->port) };
    struct timeval tv = { .tv_sec = 120 }; /* a hang fails the test instead of blocking it */
    int small = 4096, fd = socket(AF_INET, SOCK_STREAM, 0);
    char rbuf[512];
    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    buf_printf(head,
               "GET /api/v1/batches/%lld/export?rows=all HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s=%s\r\n"
               "Connection: close\r\n\r\n",
               id, c->cookie_name, c->cookie);
    assert_int_equal(send(fd, head->data, head->len, MSG_NOSIGNAL), (ssize_t)head->len);
    buf_reset(head);
    for (const char *end = NULL; !end;) {
        ssize_t r = recv(fd, rbuf, sizeof rbuf, 0);
        assert_true(r > 0);
        buf_add(head, rbuf, (size_t)r);
        if ((end = memmem(head->data, head->len, "\r\n\r\n", 4))) {
            size_t hl = (size_t)(end - head->data) + 4;
            buf_add(body, head->data + hl, head->len - hl);
            head->len = hl;
            head->data[hl] = '\0';
        }
    }
    return fd;
}

/* A list of NROWS residents exported while the scan runs: nothing readable on disk or in
 * the server's open files, and the workbook read by openpyxl holds every row. */
static void
test_export_never_plaintext(void **state)
{
    struct server *srv = *state;
    static const char *const form[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };
    struct client c;
    struct resp r = RESP_INIT;
    struct buf form_body = BUF_INIT, head = BUF_INIT, body = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
    char hit[4096] = "", path[64], file[128], cmd[512], rbuf[65536];
    size_t ntmp = 0;

    buf_init(&form_body, (size_t)64 << 20);
    buf_init(&body, (size_t)64 << 20);
    buf_init(&got, (size_t)16 << 20);
    buf_init(&want, (size_t)16 << 20);
    make_form(&form_body);
    assert_false(buf_error(&form_body));
    assert_int_equal(client_sign_in(&c, srv, "ex_a"), 200);
    assert_int_equal(client_send(&c, "POST", "/api/v1/batches", form_body.data, form_body.len, form, 0, &r), 201);
    long long id = (long long)resp_int(&r, "id");
    snprintf(path, sizeof path, "/api/v1/batches/%lld", id);
    for (int i = 0; i < 4800; i++) { /* bounded: the run of NROWS lookups */
        assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
        if (strcmp(resp_str(&r, "status"), "done") == 0 || strcmp(resp_str(&r, "status"), "failed") == 0)
            break;
        usleep(50 * 1000);
    }
    assert_string_equal(resp_str(&r, "status"), "done");

    /* the export is under way: its head arrived, its body is megabytes the client has not read */
    int fd = start_export(srv, &c, id, &head, &body);
    assert_non_null(strstr(head.data, "HTTP/1.1 200"));
    bool leak = plain_scan_fds(srv, ID_NEEDLE, &ntmp, hit, sizeof hit);
    if (leak)
        print_error("plaintext ID numbers in open file %s\n", hit);
    assert_false(leak);
    assert_int_equal(ntmp, 1); /* streamed from the sealed file, which has no name */
    leak = plain_tree_has(srv->var, ID_NEEDLE, hit, sizeof hit);
    if (leak)
        print_error("plaintext ID numbers in %s\n", hit);
    assert_false(leak);
    plain_assert_tmp_dir_empty(srv);

    /* the whole workbook, read by openpyxl: every row, its ID number and its remark */
    for (ssize_t n; (n = recv(fd, rbuf, sizeof rbuf, 0)) > 0;)
        buf_add(&body, rbuf, (size_t)n);
    close(fd);
    assert_false(buf_error(&body));
    /* its length announced (a download shows progress; a short body is a broken transfer) */
    const char *cl = strcasestr(head.data, "\r\nContent-Length:");
    assert_non_null(cl);
    assert_null(strcasestr(head.data, "Transfer-Encoding: chunked"));
    assert_int_equal(strtoull(cl + strlen("\r\nContent-Length:"), NULL, 10), body.len);
    print_message("export: %zu bytes\n", body.len);
    assert_true(body.len > 4 * MIB); /* larger than the socket buffers: it was in flight */
    snprintf(file, sizeof file, "/tmp/e2e_export_sealed.%d.xlsx", (int)getpid());
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(body.data, 1, body.len, f), body.len);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys, openpyxl\n"
             "ws = openpyxl.load_workbook(sys.argv[1], read_only=True).worksheets[0]\n"
             "for row in ws.iter_rows(values_only=True):\n"
             "    if row[2] and str(row[2]).startswith(\"" ID_NEEDLE "\"): print(row[0], row[2], row[3])' '%s'",
             file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    for (size_t n; (n = fread(rbuf, 1, sizeof rbuf, p)) > 0;)
        buf_add(&got, rbuf, n);
    assert_int_equal(pclose(p), 0);
    unlink(file);
    for (size_t k = 0; k < NROWS; k++) {
        char idno[19], remark[REMARK + 1];
        make_id(k, idno);
        make_remark(k, remark);
        buf_printf(&want, "%zu %s %s\n", k + 1, idno, remark);
    }
    assert_int_equal(got.len, want.len);
    assert_true(memcmp(got.data, want.data, want.len) == 0);

    /* afterwards: the sealed file is gone, and nothing readable anywhere */
    assert_int_equal(plain_wait_tmp_fds(srv, 0, true), 0);
    assert_false(plain_scan_fds(srv, ID_NEEDLE, &ntmp, hit, sizeof hit));
    assert_false(plain_tree_has(srv->var, ID_NEEDLE, hit, sizeof hit));
    plain_assert_tmp_dir_empty(srv);

    buf_release_secret(&form_body);
    buf_release_secret(&body);
    buf_release_secret(&got);
    buf_release_secret(&want);
    buf_release(&head);
    resp_release(&r);
    client_release(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_never_plaintext),
    };
    return server_run("export_sealed", tests, sizeof tests / sizeof tests[0], prepare);
}
