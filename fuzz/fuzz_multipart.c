/* fuzz/fuzz_multipart.c - libFuzzer target for the multipart/form-data parser,
 * http/multipart.c (R4.3 uploads, S4 hostile input).
 *
 * The input is a body for the content type "multipart/form-data; boundary=XyZ" (short,
 * so the fuzzer finds boundaries) - or, when the first byte is '#', a content type up to
 * the first newline and then the body. The body is parsed three ways: whole, one byte at
 * a time, and in pieces whose sizes come from the input's own bytes. All three must agree
 * on the result code and, on success, on every part's name, file name, type and data;
 * multipart_field on the whole body must agree with them for the field "file" and hand
 * out a slice inside the body. The "file" part, as the server streams it (http/form.c),
 * goes into a sealed temporary file (crypto/sealed_tmp.h) in pieces of the input's sizes
 * and must read back identical, whole and at offsets chosen by the input (issue 12).
 * No crash, no leak, no read outside the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "crypto/sealed_tmp.h"
#include "http/multipart.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rec {
    struct buf out;
    struct buf file; /* the data of the first part named "file" */
    int files;
    bool in, in_file;
};

static int
rec_begin(void *arg, const struct multipart_part *p)
{
    struct rec *r = arg;
    FUZZ_CHECK(!r->in);
    r->in = true;
    r->in_file = strcmp(p->name, "file") == 0;
    if (r->in_file)
        r->files++;
    buf_printf(&r->out, "B%zu:%s|%zu:%s|%zu:%s|", strlen(p->name), p->name,
               p->filename ? strlen(p->filename) : 0, p->filename ? p->filename : "",
               p->content_type ? strlen(p->content_type) : 0, p->content_type ? p->content_type : "");
    FUZZ_CHECK(!p->filename || strlen(p->filename) <= MULTIPART_MAX_NAME);
    return 0;
}

static int
rec_data(void *arg, const void *p, size_t n)
{
    struct rec *r = arg;
    FUZZ_CHECK(r->in && n > 0);
    buf_add(&r->out, p, n);
    if (r->in_file && r->files == 1)
        buf_add(&r->file, p, n);
    return 0;
}

static int
rec_end(void *arg)
{
    struct rec *r = arg;
    FUZZ_CHECK(r->in);
    r->in = false;
    buf_adds(&r->out, "|E");
    return 0;
}

/* sealed_check writes p[0..n) to a sealed file in pieces sized by sizes and reads it back. */
static void
sealed_check(const uint8_t *p, size_t n, const uint8_t *sizes, size_t nsizes)
{
    struct sealed_tmp *s = NULL;
    uint8_t *back = xmalloc(n + 1);
    size_t got = 0, k = 0;
    if (sealed_tmp_new("/tmp", &s))
        abort();
    for (size_t off = 0; off < n;) {
        size_t step = nsizes ? (size_t)sizes[k++ % nsizes] * 97 + 1 : n;
        if (step > n - off)
            step = n - off;
        FUZZ_CHECK(sealed_tmp_write(s, p + off, step) == 0);
        off += step;
    }
    FUZZ_CHECK(sealed_tmp_seal(s) == 0 && sealed_tmp_size(s) == n);
    FUZZ_CHECK(sealed_tmp_pread(s, back, n + 1, 0, &got) == 0 && got == n);
    FUZZ_CHECK(n == 0 || memcmp(back, p, n) == 0);
    for (size_t i = 0; i < nsizes; i++) {
        size_t at = n ? ((size_t)sizes[i] * 131) % n : 0, want = n - at < 50 ? n - at : 50;
        FUZZ_CHECK(sealed_tmp_pread(s, back, 50, at, &got) == 0 && got == want);
        FUZZ_CHECK(want == 0 || memcmp(back, p + at, want) == 0);
    }
    sealed_tmp_free(s);
    xfree(back);
}

/* run parses body in pieces: whole (bytewise false, sizes NULL), one byte at a time
 * (bytewise), or of sizes taken in turn from sizes[0..nsizes) (plus one). */
static int
run(const char *ct, const uint8_t *body, size_t n, bool bytewise, const uint8_t *sizes, size_t nsizes,
    struct rec *r)
{
    struct multipart_handler h = { rec_begin, rec_data, rec_end, r };
    struct multipart *m = NULL;
    size_t off = 0, k = 0;
    int rc = multipart_new(ct, &h, &m);
    while (!rc && off < n) {
        size_t step = n - off;
        if (bytewise)
            step = 1;
        else if (sizes && nsizes)
            step = (size_t)sizes[k++ % nsizes] + 1;
        if (step > n - off)
            step = n - off;
        rc = multipart_feed(m, body + off, step);
        off += step;
    }
    if (!rc)
        rc = multipart_finish(m);
    if (m)
        FUZZ_CHECK(multipart_message(m) != NULL);
    multipart_free(m);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[512] = "multipart/form-data; boundary=XyZ";
    const uint8_t *body = data;
    size_t n = size;
    struct rec r1 = { BUF_INIT, BUF_INIT, 0, false, false };
    struct rec r2 = { BUF_INIT, BUF_INIT, 0, false, false };
    struct rec r3 = { BUF_INIT, BUF_INIT, 0, false, false };
    struct multipart_field f;

    if (size > 1 << 16)
        return 0;
    if (size && data[0] == '#') {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t)(nl - data) - 1 : size - 1;
        if (len >= sizeof ct)
            return 0;
        memcpy(ct, data + 1, len);
        ct[len] = '\0';
        if (memchr(ct, '\0', len))
            return 0;
        body = nl ? nl + 1 : data + size;
        n = (size_t)(data + size - body);
    }
    /* a heap copy of exactly n bytes, so ASan sees any read past the end */
    uint8_t *copy = xmalloc(n ? n : 1);
    if (n)
        memcpy(copy, body, n);

    int rc1 = run(ct, copy, n, false, NULL, 0, &r1);
    int rc2 = run(ct, copy, n, true, NULL, 0, &r2);
    int rc3 = run(ct, copy, n, false, copy, n < 8 ? n : 8, &r3);
    FUZZ_CHECK(rc1 == rc2 && rc1 == rc3);
    if (!rc1) {
        FUZZ_CHECK(r1.out.len == r2.out.len && memcmp(r1.out.data, r2.out.data, r1.out.len) == 0);
        FUZZ_CHECK(r1.out.len == r3.out.len && memcmp(r1.out.data, r3.out.data, r1.out.len) == 0);
    }
    int rcf = multipart_field(ct, copy, n, "file", &f, NULL);
    if (!rc1 && r1.files <= 1) {
        FUZZ_CHECK(rcf == 0);
        FUZZ_CHECK(f.found == (r1.files == 1));
        if (f.found) {
            FUZZ_CHECK(f.data.n == r1.file.len);
            FUZZ_CHECK(f.data.n == 0 || (f.data.p >= (const char *)copy && f.data.p + f.data.n <= (const char *)copy + n));
            FUZZ_CHECK(memcmp(f.data.p, r1.file.data, f.data.n) == 0);
            FUZZ_CHECK(f.size == f.data.n);
            sealed_check((const uint8_t *)r1.file.data, r1.file.len, copy, n < 8 ? n : 8);
        }
    } else if (!rc1) {
        FUZZ_CHECK(rcf == ERR_INVALID && !f.found); /* two "file" fields */
    } else {
        FUZZ_CHECK(rcf != 0 && !f.found);
    }
    xfree(copy);
    buf_release(&r1.out);
    buf_release(&r1.file);
    buf_release(&r2.out);
    buf_release(&r2.file);
    buf_release(&r3.out);
    buf_release(&r3.file);
    return 0;
}
