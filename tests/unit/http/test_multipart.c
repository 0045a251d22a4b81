/* tests/unit/http/test_multipart.c - http/multipart.c, the multipart/form-data parser of
 * uploads (R4.3; S4 hostile input).
 *
 * What browsers and curl send (boundary at offset 0, preamble and epilogue, CRLF inside
 * data, a boundary look-alike inside data, quoted and Windows-path file names, several
 * fields), each body fed whole, one byte at a time and in every two-piece split, which
 * must all give the same parts; and what must be refused, each with its code: a missing
 * or overlong boundary, a body without its closing boundary, a malformed boundary line,
 * headers over the cap, too many parts, a part that is not form-data, a header without a
 * colon, two fields of the same name for multipart_field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "http/multipart.h"

#define CT "multipart/form-data; boundary=XyZ"

/* A recorder: every part as "name|filename|type|data" lines in one buffer. */
struct rec {
    struct buf out;
    int begins, ends;
    bool in;
};

static int
rec_begin(void *arg, const struct multipart_part *p)
{
    struct rec *r = arg;
    assert_false(r->in);
    r->in = true;
    r->begins++;
    buf_printf(&r->out, "%s|%s|%s|", p->name, p->filename ? p->filename : "(none)",
               p->content_type ? p->content_type : "(none)");
    return 0;
}

static int
rec_data(void *arg, const void *p, size_t n)
{
    struct rec *r = arg;
    assert_true(r->in);
    assert_true(n > 0);
    buf_add(&r->out, p, n);
    return 0;
}

static int
rec_end(void *arg)
{
    struct rec *r = arg;
    assert_true(r->in);
    r->in = false;
    r->ends++;
    buf_addch(&r->out, '\n');
    return 0;
}

/* parse feeds body in pieces of size step (0 = whole; SIZE_MAX-1 = split at split) and
 * returns the code; the recording goes to out. */
static int
parse_split(const char *ct, const char *body, size_t n, size_t split, struct buf *out)
{
    struct rec r = { BUF_INIT, 0, 0, false };
    struct multipart_handler h = { rec_begin, rec_data, rec_end, &r };
    struct multipart *m = NULL;
    int rc = multipart_new(ct, &h, &m);
    if (!rc)
        rc = multipart_feed(m, body, split);
    if (!rc)
        rc = multipart_feed(m, body + split, n - split);
    if (!rc)
        rc = multipart_finish(m);
    if (!rc)
        assert_int_equal(r.begins, r.ends);
    buf_reset(out);
    buf_add(out, r.out.data, r.out.len);
    buf_release(&r.out);
    multipart_free(m);
    return rc;
}

static int
parse_bytes(const char *ct, const char *body, size_t n, struct buf *out)
{
    struct rec r = { BUF_INIT, 0, 0, false };
    struct multipart_handler h = { rec_begin, rec_data, rec_end, &r };
    struct multipart *m = NULL;
    int rc = multipart_new(ct, &h, &m);
    for (size_t i = 0; !rc && i < n; i++)
        rc = multipart_feed(m, body + i, 1);
    if (!rc)
        rc = multipart_finish(m);
    buf_reset(out);
    buf_add(out, r.out.data, r.out.len);
    buf_release(&r.out);
    multipart_free(m);
    return rc;
}

/* check_all: whole, byte by byte and every split give rc and (when 0) want. */
static void
check_all(const char *ct, const char *body, size_t n, int rc_want, const char *want)
{
    struct buf got = BUF_INIT;
    assert_int_equal(parse_split(ct, body, n, n, &got), rc_want);
    if (!rc_want)
        assert_string_equal(got.data, want);
    assert_int_equal(parse_bytes(ct, body, n, &got), rc_want);
    if (!rc_want)
        assert_string_equal(got.data, want);
    for (size_t s = 0; s <= n; s++) {
        assert_int_equal(parse_split(ct, body, n, s, &got), rc_want);
        if (!rc_want)
            assert_string_equal(got.data, want);
    }
    buf_release(&got);
}

#define CHECK(body, rc, want) check_all(CT, (body), sizeof(body) - 1, (rc), (want))

static void
test_browser_body(void **state)
{
    (void)state;
    /* what Chrome sends for <input type=file name=file> plus a text field */
    CHECK("--XyZ\r\n"
          "Content-Disposition: form-data; name=\"days\"\r\n"
          "\r\n"
          "3\r\n"
          "--XyZ\r\n"
          "Content-Disposition: form-data; name=\"file\"; filename=\"名单.csv\"\r\n"
          "Content-Type: text/csv\r\n"
          "\r\n"
          "身份证号\r\n110101194001010020\r\n\r\n"
          "--XyZ--\r\n",
          0,
          "days|(none)|(none)|3\n"
          "file|名单.csv|text/csv|身份证号\r\n110101194001010020\r\n\n");
}

static void
test_preamble_epilogue_lookalikes(void **state)
{
    (void)state;
    /* a preamble, "--XyZ" and "\r\n--XyZ" prefixes inside data that are not delimiters
     * (followed by other text they would be malformed, so they are "\r\n--Xy" and
     * "--XyZ" without the CRLF), trailing white space on a boundary line, an epilogue */
    CHECK("This is the preamble.\r\n--XyZ \t\r\n"
          "content-disposition: form-data; name=file; filename=a.csv\r\n"
          "\r\n"
          "--XyZ not at a line start\r\n--Xy\r\n-\r\n\r\r\n"
          "--XyZ--  epilogue\r\n--XyZ\r\nignored",
          0, "file|a.csv|(none)|--XyZ not at a line start\r\n--Xy\r\n-\r\n\r\n");
    /* an empty part and a part with no headers at all */
    CHECK("--XyZ\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--XyZ\r\n\r\nraw\r\n--XyZ--",
          0, "e|(none)|(none)|\n|(none)|(none)|raw\n");
}

static void
test_file_names(void **state)
{
    struct buf got = BUF_INIT;
    (void)state;
    /* Windows paths (old browsers), curl's backslash escapes, quoted semicolons */
    CHECK("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\Users\\x\\名单 (1).xlsx\"\r\n\r\n"
          "a\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f2\"; filename=\"q\\\"uote; x.csv\"\r\n\r\n"
          "b\r\n--XyZ--",
          0, "file|名单 (1).xlsx|(none)|a\nf2|q\"uote; x.csv|(none)|b\n");
    /* a long file name is cut at a character boundary */
    buf_adds(&got, "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    for (int i = 0; i < 200; i++)
        buf_adds(&got, "名");
    buf_adds(&got, ".csv\"\r\n\r\nx\r\n--XyZ--");
    struct multipart_field f;
    assert_int_equal(multipart_field(CT, got.data, got.len, "file", &f, NULL), 0);
    assert_true(f.found && f.has_filename);
    assert_true(strlen(f.filename) <= MULTIPART_MAX_NAME);
    assert_int_equal(strlen(f.filename) % 3, 0); /* whole characters only */
    buf_release(&got);
}

static void
test_boundary_parameter(void **state)
{
    char b[MULTIPART_MAX_BOUNDARY + 1];
    char long_ct[200];
    (void)state;
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundaryA1b2", b, sizeof b), 0);
    assert_string_equal(b, "----WebKitFormBoundaryA1b2");
    assert_int_equal(multipart_boundary("Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b:c\"", b, sizeof b), 0);
    assert_string_equal(b, "a b:c");
    assert_int_equal(multipart_boundary(NULL, b, sizeof b), ERR_MEDIA_TYPE);
    assert_int_equal(multipart_boundary("application/json", b, sizeof b), ERR_MEDIA_TYPE);
    assert_int_equal(multipart_boundary("multipart/form-datax; boundary=a", b, sizeof b), ERR_MEDIA_TYPE);
    assert_int_equal(multipart_boundary("multipart/form-data", b, sizeof b), ERR_INVALID);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=", b, sizeof b), ERR_INVALID);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=\"unterminated", b, sizeof b), ERR_INVALID);
    assert_int_equal(multipart_boundary("multipart/form-data; boundary=a\x01z", b, sizeof b), ERR_INVALID);
    memset(long_ct, 0, sizeof long_ct);
    snprintf(long_ct, sizeof long_ct, "multipart/form-data; boundary=");
    memset(long_ct + strlen(long_ct), 'a', MULTIPART_MAX_BOUNDARY + 1);
    assert_int_equal(multipart_boundary(long_ct, b, sizeof b), ERR_INVALID);
    long_ct[strlen(long_ct) - 1] = '\0'; /* exactly 70 */
    assert_int_equal(multipart_boundary(long_ct, b, sizeof b), 0);
}

static void
test_refusals(void **state)
{
    struct buf big = BUF_INIT;
    struct buf got = BUF_INIT;
    (void)state;
    /* no closing boundary, or nothing at all */
    CHECK("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata", ERR_INVALID, NULL);
    CHECK("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata\r\n--XyZ", ERR_INVALID, NULL);
    CHECK("just text, no boundary at all", ERR_INVALID, NULL);
    CHECK("", ERR_INVALID, NULL);
    /* a delimiter followed by something else */
    CHECK("--XyZ\r\n\r\nx\r\n--XyZjunk\r\n--XyZ--", ERR_INVALID, NULL);
    CHECK("--XyZ\n\nbare LF\n--XyZ--", ERR_INVALID, NULL);
    CHECK("--XyZ-x", ERR_INVALID, NULL);
    /* headers */
    CHECK("--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", ERR_INVALID, NULL);
    CHECK("--XyZ\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\n\r\nx\r\n--XyZ--", ERR_INVALID, NULL);
    CHECK("--XyZ\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nx\r\n--XyZ--", ERR_INVALID, NULL);
    CHECK("--XyZ\r\nContent-Disposition: form-data; name=\"x\r\n\r\nx\r\n--XyZ--", ERR_INVALID, NULL);
    /* header block over the cap */
    buf_adds(&big, "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\nX-Pad: ");
    for (int i = 0; i < MULTIPART_MAX_HEADER; i++)
        buf_addch(&big, 'a');
    buf_adds(&big, "\r\n\r\nx\r\n--XyZ--");
    assert_int_equal(parse_split(CT, big.data, big.len, big.len, &got), ERR_TOO_LARGE);
    /* too many parts */
    buf_reset(&big);
    for (int i = 0; i <= MULTIPART_MAX_PARTS; i++)
        buf_adds(&big, "--XyZ\r\n\r\nx\r\n");
    buf_adds(&big, "--XyZ--");
    assert_int_equal(parse_split(CT, big.data, big.len, big.len, &got), ERR_TOO_LARGE);
    buf_release(&big);
    buf_release(&got);
}

static int
refuse_begin(void *arg, const struct multipart_part *p)
{
    (void)arg;
    return strcmp(p->name, "bad") == 0 ? ERR_TOO_LARGE : 0;
}

static void
test_handler_error_stops(void **state)
{
    static const char body[] = "--XyZ\r\n\r\nx\r\n--XyZ\r\nContent-Disposition: form-data; name=bad\r\n\r\ny\r\n--XyZ--";
    struct multipart_handler h = { refuse_begin, NULL, NULL, NULL };
    struct multipart *m = NULL;
    (void)state;
    assert_int_equal(multipart_new(CT, &h, &m), 0);
    assert_int_equal(multipart_feed(m, body, sizeof body - 1), ERR_TOO_LARGE);
    assert_int_equal(multipart_feed(m, "more", 4), ERR_TOO_LARGE); /* sticky */
    assert_int_equal(multipart_finish(m), ERR_TOO_LARGE);
    assert_true(multipart_message(m)[0] != '\0');
    assert_int_equal(multipart_parts(m), 2);
    multipart_free(m);
}

static void
test_field_slices(void **state)
{
    static const char body[] = "pre\r\n--XyZ\r\nContent-Disposition: form-data; name=\"days\"\r\n\r\n 7 \r\n"
                               "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n"
                               "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
                               "PK\x03\x04\r\n\r\n--X\r\n--XyZ--\r\n";
    struct multipart_field f;
    struct buf why = BUF_INIT;
    (void)state;
    assert_int_equal(multipart_field(CT, body, sizeof body - 1, "file", &f, &why), 0);
    assert_true(f.found);
    assert_true(f.has_filename);
    assert_string_equal(f.filename, "a.xlsx");
    assert_string_equal(f.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    /* a slice of the body itself, not a copy */
    assert_true(f.data.p > body && f.data.p < body + sizeof body);
    assert_int_equal(f.data.n, 11);
    assert_memory_equal(f.data.p, "PK\x03\x04\r\n\r\n--X", 11);
    assert_int_equal(multipart_field(CT, body, sizeof body - 1, "days", &f, NULL), 0);
    assert_true(f.found && !f.has_filename);
    assert_int_equal(f.data.n, 3);
    assert_int_equal(multipart_field(CT, body, sizeof body - 1, "nothing", &f, NULL), 0);
    assert_false(f.found);
    /* two fields of the name asked for */
    static const char twice[] = "--XyZ\r\nContent-Disposition: form-data; name=file\r\n\r\na\r\n"
                                "--XyZ\r\nContent-Disposition: form-data; name=file\r\n\r\nb\r\n--XyZ--";
    assert_int_equal(multipart_field(CT, twice, sizeof twice - 1, "file", &f, &why), ERR_INVALID);
    assert_false(f.found);
    assert_non_null(strstr(why.data, "two 'file' fields"));
    buf_reset(&why);
    assert_int_equal(multipart_field("text/plain", twice, sizeof twice - 1, "file", &f, &why), ERR_MEDIA_TYPE);
    assert_true(why.len > 0);
    buf_release(&why);
}

static void
test_large_part_streams(void **state)
{
    /* ~2 MB of data full of prefixes of a long boundary, fed in 4093-byte pieces: every
     * byte comes out, in order, as one part; and the one-piece slice agrees */
    struct buf body = BUF_INIT;
    struct multipart *m = NULL;
    size_t start, data_len;
    int rc;
    (void)state;
    const char *bnd = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    char ct2[128];
    snprintf(ct2, sizeof ct2, "multipart/form-data; boundary=%s", bnd);
    buf_reset(&body);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\n", bnd);
    start = body.len;
    for (int i = 0; i < 100000; i++)
        buf_printf(&body, "%s%.*s", i % 3 ? "row,1\r\n" : "\r\n--", i % 37, bnd);
    data_len = body.len - start;
    buf_printf(&body, "\r\n--%s--\r\n", bnd);
    struct rec r2 = { BUF_INIT, 0, 0, false };
    struct multipart_handler h2 = { rec_begin, rec_data, rec_end, &r2 };
    assert_int_equal(multipart_new(ct2, &h2, &m), 0);
    rc = 0;
    for (size_t off = 0; off < body.len && !rc; off += 4093)
        rc = multipart_feed(m, body.data + off, body.len - off < 4093 ? body.len - off : 4093);
    assert_int_equal(rc, 0);
    assert_int_equal(multipart_finish(m), 0);
    assert_int_equal(r2.begins, 1);
    size_t prefix = strlen("file|x.csv|(none)|");
    assert_int_equal(r2.out.len, prefix + data_len + 1);
    assert_memory_equal(r2.out.data + prefix, body.data + start, data_len);
    /* and the one-piece slice agrees */
    struct multipart_field f;
    assert_int_equal(multipart_field(ct2, body.data, body.len, "file", &f, NULL), 0);
    assert_int_equal(f.data.n, data_len);
    assert_ptr_equal(f.data.p, body.data + start);
    multipart_free(m);
    buf_release(&r2.out);
    buf_release(&body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_browser_body),
        cmocka_unit_test(test_preamble_epilogue_lookalikes),
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_boundary_parameter),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_handler_error_stops),
        cmocka_unit_test(test_field_slices),
        cmocka_unit_test(test_large_part_streams),
    };
    return cmocka_run_group_tests_name("http_multipart", tests, NULL, NULL);
}
