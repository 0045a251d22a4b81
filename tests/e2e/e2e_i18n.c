/* tests/e2e/e2e_i18n.c - messages in the user's language over HTTP (issue 14) on SQLite
 * and PostgreSQL.
 *
 * The interface contract: no Accept-Language or zh-CN gives error.message in Chinese, en
 * gives English, and error.code (and error.reason) are the same in both. Checked on a
 * sample of routes: batch uploads of files that are not tables (a PNG made by Python's
 * zlib renamed .xlsx, random bytes, an OLE2 .xls header), a missing batch, a missing
 * permission, a weak password; and login: a wrong password, too many attempts (the same
 * answer, with when to retry, for a real account and an unknown name), and a wrong
 * one-time code after the right password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/str.h"
#include "server.h"

#define BOUNDARY "jyI18nBoundary"

static int
prepare(struct server *srv)
{
    if (server_add_user(srv, "dina", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vic", "viewer", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "lockme", "viewer", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "root7", "sysadmin", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

static const char *const zh_hdr[] = { "Accept-Language: zh-CN,zh;q=0.9", NULL };
static const char *const en_hdr[] = { "Accept-Language: en-US,en;q=0.9", NULL };

/* call sends a request in language hdr (NULL: no Accept-Language) with an optional
 * multipart file. */
static long
call(struct client *c, const char *method, const char *path, const char *json, const char *const *lang,
     const char *filename, const void *file, size_t n, struct resp *r)
{
    const char *headers[3] = { NULL, NULL, NULL };
    size_t h = 0;
    if (lang)
        headers[h++] = lang[0];
    if (!filename)
        return client_send(c, method, path, json, json ? strlen(json) : 0, headers, 0, r);
    struct buf body = BUF_INIT;
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n", BOUNDARY, filename);
    buf_add(&body, file, n);
    buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    headers[h++] = "Content-Type: multipart/form-data; boundary=" BOUNDARY;
    long s = client_send(c, method, path, body.data, body.len, headers, 0, r);
    buf_release(&body);
    return s;
}

/* both sends the same request without a language, in zh-CN and in en: checks status and
 * code are the same, the Chinese messages are zh (equal to zh when given) and the English
 * one is en (a substring when given); returns nothing, fails the test otherwise. */
static void
both(struct client *c, const char *method, const char *path, const char *json, const char *filename,
     const void *file, size_t n, long status, const char *code, const char *zh, const char *en)
{
    struct resp r = RESP_INIT;
    char reason[64] = "";
    const char *const *langs[] = { NULL, zh_hdr, en_hdr };
    for (size_t i = 0; i < 3; i++) {
        call(c, method, path, json, langs[i], filename, file, n, &r);
        assert_resp(&r, status, code);
        const char *msg = resp_str(&r, "error.message"), *why = resp_str(&r, "error.reason");
        assert_non_null(msg);
        if (i == 0)
            snprintf(reason, sizeof reason, "%s", why ? why : "");
        else
            assert_string_equal(why ? why : "", reason); /* the reason, like the code, is the same */
        char lang[16] = "";
        resp_header(&r, "Content-Language", 0, lang, sizeof lang);
        if (i < 2) {
            assert_string_equal(lang, "zh-CN");
            if (zh && strcmp(msg, zh) != 0)
                fail_msg("%s %s (lang %zu): wanted \"%s\", got \"%s\"", method, path, i, zh, msg);
            assert_true((unsigned char)msg[0] >= 0xE0 || msg[0] == 'C'); /* Chinese (or "CSV 第…") */
        } else {
            assert_string_equal(lang, "en");
            if (en && !strstr(msg, en))
                fail_msg("%s %s (en): wanted \"%s\" in \"%s\"", method, path, en, msg);
            for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
                if (*p >= 0x80)
                    fail_msg("%s %s (en): not English: %s", method, path, msg);
        }
    }
    resp_release(&r);
}

/* make_png writes a real PNG with Python's zlib (not this program's idea of one). */
static void
make_png(struct buf *out)
{
    char path[] = "/tmp/jy-i18n-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import zlib,struct,sys\n"
             "def ch(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d))\n"
             "raw=b''.join(b'\\\\x00'+b'\\\\xff\\\\x00\\\\x00'*8 for _ in range(8))\n"
             "open(sys.argv[1],'wb').write(b'\\\\x89PNG\\\\r\\\\n\\\\x1a\\\\n'+ch(b'IHDR',struct.pack('>IIBBBBB',8,8,8,2,0,0,0))"
             "+ch(b'IDAT',zlib.compress(raw))+ch(b'IEND',b''))\" '%s'",
             path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, got);
    fclose(f);
    unlink(path);
    assert_true(out->len > 8 && memcmp(out->data, "\x89PNG", 4) == 0);
}

static void
test_error_messages(void **state)
{
    struct server *srv = *state;
    struct client dina, vic;
    struct resp r = RESP_INIT;
    struct buf png = BUF_INIT;
    unsigned char noise[2048];

    client_init(&dina, srv);
    client_init(&vic, srv);
    assert_int_equal(client_login(&dina, "dina", SERVER_PASSWORD, NULL, &r), 200);
    assert_int_equal(client_login(&vic, "vic", SERVER_PASSWORD, NULL, &r), 200);

    /* a PNG renamed .xlsx: not a CSV encoding problem */
    make_png(&png);
    both(&dina, "POST", "/api/v1/batches", NULL, "名单.xlsx", png.data, png.len, 400, "invalid",
         "不是有效的 Excel 或 CSV 文件（它是 PNG 文件）", "not an Excel workbook or CSV");
    /* random bytes (fixed seed) */
    srand(14);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)(rand() & 0xFF);
    noise[0] = 'x'; /* no magic number by chance */
    both(&dina, "POST", "/api/v1/batches", NULL, "名单.xlsx", noise, sizeof noise, 400, "invalid",
         "不是有效的 Excel 或 CSV 文件", "not an Excel workbook or CSV");
    /* an Excel 97-2003 (.xls) header */
    both(&dina, "POST", "/api/v1/batches", NULL, "名单.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old", 12, 400,
         "invalid", NULL, "Excel 97-2003 workbook (.xls)");
    call(&dina, "POST", "/api/v1/batches", NULL, NULL, "名单.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old", 12, &r);
    assert_non_null(strstr(resp_str(&r, "error.message"), "另存为"));
    assert_string_equal(resp_str(&r, "error.reason"), "file_xls");
    /* a table without an ID column */
    both(&dina, "POST", "/api/v1/batches", NULL, "a.csv", "name,age\nx,1\n", 13, 400, "invalid",
         "未找到身份证号码列", "no column of ID numbers found");
    /* not found, forbidden: a detail with an argument carried over */
    both(&dina, "GET", "/api/v1/batches/999999", NULL, NULL, NULL, 0, 404, "not_found", "该批次不存在",
         "no such batch");
    both(&vic, "GET", "/api/v1/users", NULL, NULL, NULL, 0, 403, "forbidden", "需要“users.read”权限",
         "permission 'users.read' is required");
    /* the password policy */
    both(&dina, "POST", "/api/v1/auth/password", "{\"current_password\":\"" SERVER_PASSWORD "\",\"new_password\":\"Ab1!\"}", NULL,
         NULL, 0, 422, "weak_password", NULL, "the password must have at least");
    /* no detail: the code's own default message in each language */
    both(&dina, "GET", "/api/v1/batches?limit=0", NULL, NULL, NULL, 0, 400, "invalid", NULL, "'limit'");

    buf_release(&png);
    resp_release(&r);
    client_release(&dina);
    client_release(&vic);
}

static void
test_login_messages(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char secret[64], code[7];

    client_init(&c, srv);
    /* a wrong password and an unknown name: the same answer */
    both(&c, "POST", "/api/v1/auth/login", "{\"username\":\"lockme\",\"password\":\"Wrong-Password-1\"}", NULL, NULL,
         0, 401, "login_failed", "用户名或密码错误", "wrong username, password or code");
    both(&c, "POST", "/api/v1/auth/login", "{\"username\":\"ghost\",\"password\":\"Wrong-Password-1\"}", NULL, NULL,
         0, 401, "login_failed", "用户名或密码错误", "wrong username, password or code");
    /* until both lock (3 attempts each so far; the default policy locks at 5) */
    int locked_real = 0, locked_ghost = 0;
    for (int i = 0; i < 10 && !(locked_real && locked_ghost); i++) {
        if (!locked_real) {
            client_call(&c, "POST", "/api/v1/auth/login", "{\"username\":\"lockme\",\"password\":\"Wrong-Password-1\"}", &r);
            locked_real = r.status == 429 ? i + 1 : 0;
        }
        if (!locked_ghost) {
            client_call(&c, "POST", "/api/v1/auth/login", "{\"username\":\"ghost\",\"password\":\"Wrong-Password-1\"}", &r);
            locked_ghost = r.status == 429 ? i + 1 : 0;
        }
    }
    assert_true(locked_real > 0);
    assert_int_equal(locked_real, locked_ghost); /* after the same number of attempts */
    /* locked: says so and when, the same for both, even with the right password */
    const char *names[] = { "lockme", "ghost" };
    char first[256] = "";
    for (size_t i = 0; i < 2; i++) {
        char body[128], retry[16];
        snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", names[i], SERVER_PASSWORD);
        call(&c, "POST", "/api/v1/auth/login", body, NULL, NULL, NULL, 0, &r);
        assert_resp(&r, 429, "login_locked");
        const char *msg = resp_str(&r, "error.message");
        assert_true(str_has_prefix(str_of(msg), "登录失败次数过多，请在 20"));
        assert_non_null(strstr(msg, " 之后再试"));
        assert_non_null(resp_header(&r, "Retry-After", 0, retry, sizeof retry));
        assert_true(atoi(retry) > 0);
        if (i == 0)
            snprintf(first, sizeof first, "%s", msg);
        call(&c, "POST", "/api/v1/auth/login", body, en_hdr, NULL, NULL, 0, &r);
        assert_resp(&r, 429, "login_locked");
        assert_true(str_has_prefix(str_of(resp_str(&r, "error.message")), "too many failed attempts; try again after 20"));
    }
    assert_true(first[0]);

    /* a wrong one-time code after the right password says the code was wrong */
    struct client admin;
    client_init(&admin, srv);
    assert_int_equal(server_enrol(srv, &admin, "root7", secret, sizeof secret), 0);
    int64_t step = server_totp_margin(5);
    assert_int_equal(server_totp(secret, step + 40, code), 0); /* 20 minutes ahead: never valid now */
    char body[160];
    snprintf(body, sizeof body, "{\"username\":\"root7\",\"password\":\"%s\",\"totp\":\"%s\"}", SERVER_PASSWORD, code);
    call(&c, "POST", "/api/v1/auth/login", body, NULL, NULL, NULL, 0, &r);
    assert_resp(&r, 401, "totp_wrong");
    assert_string_equal(resp_str(&r, "error.message"), "动态验证码错误或已使用过，请等待新的验证码");
    call(&c, "POST", "/api/v1/auth/login", body, en_hdr, NULL, NULL, 0, &r);
    assert_resp(&r, 401, "totp_wrong");
    assert_non_null(strstr(resp_str(&r, "error.message"), "one-time code is wrong"));
    /* the wrong password with any code is still just login_failed */
    snprintf(body, sizeof body, "{\"username\":\"root7\",\"password\":\"Wrong-Password-1\",\"totp\":\"%s\"}", code);
    call(&c, "POST", "/api/v1/auth/login", body, NULL, NULL, NULL, 0, &r);
    assert_resp(&r, 401, "login_failed");

    server_assert_clean_errors(srv);
    resp_release(&r);
    client_release(&c);
    client_release(&admin);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_login_messages),
    };
    return server_run("i18n", tests, sizeof tests / sizeof tests[0], prepare);
}
