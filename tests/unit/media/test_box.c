/* tests/unit/media/test_box.c - top-level MP4 box splitting and RFC 6381 codec strings
 * (issue 9; R3.1): whole boxes only, in any input pieces; malformed and oversized headers
 * refused; avc1/hvc1 strings from hand-built avcC/hvcC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "media/box.h"

static void put32(struct buf *b, uint32_t v)
{
    uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    buf_add(b, p, 4);
}

/* box appends a box of type t around body[0..n). */
static void box(struct buf *b, const char *t, const void *body, size_t n)
{
    put32(b, (uint32_t)(n + 8));
    buf_add(b, t, 4);
    buf_add(b, body, n);
}

static void test_splitter_pieces(void **state)
{
    (void)state;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct media_box_splitter sp;
    char pad[100] = { 0 };
    box(&in, "ftyp", pad, 12);
    box(&in, "moov", pad, 40);
    box(&in, "moof", pad, 20);
    box(&in, "mdat", pad, 100);
    media_box_splitter_init(&sp);
    size_t taken = 0;
    const size_t ends[] = { 20, 68, 96, 204 };
    for (size_t i = 0; i < in.len; i++) { /* one byte at a time */
        assert_int_equal(media_box_splitter_add(&sp, in.data + i, 1), 0);
        size_t n = media_box_splitter_take(&sp, &out);
        if (n) {
            taken += n;
            bool at_end = false;
            for (size_t k = 0; k < 4; k++)
                at_end |= taken == ends[k];
            assert_true(at_end);
            assert_int_equal(taken, i + 1);
        }
    }
    assert_int_equal(out.len, in.len);
    assert_memory_equal(out.data, in.data, in.len);
    /* a 64-bit size */
    buf_reset(&in);
    put32(&in, 1);
    buf_add(&in, "mdat", 4);
    put32(&in, 0);
    put32(&in, 20);
    put32(&in, 7);
    assert_int_equal(media_box_splitter_add(&sp, in.data, 10), 0);
    assert_int_equal(media_box_splitter_take(&sp, &out), 0);
    assert_int_equal(media_box_splitter_add(&sp, in.data + 10, 10), 0);
    assert_int_equal(media_box_splitter_take(&sp, &out), 20);
    media_box_splitter_release(&sp);
    buf_release(&in);
    buf_release(&out);
}

static void test_splitter_bad(void **state)
{
    (void)state;
    struct media_box_splitter sp;
    struct buf out = BUF_INIT;
    static const uint8_t small[8] = { 0, 0, 0, 4, 'm', 'o', 'o', 'f' };
    static const uint8_t zero[8] = { 0, 0, 0, 0, 'm', 'd', 'a', 't' };
    static const uint8_t huge[8] = { 0x7f, 0xff, 0xff, 0xff, 'm', 'd', 'a', 't' };
    static const uint8_t large_small[16] = { 0, 0, 0, 1, 'm', 'd', 'a', 't', 0, 0, 0, 0, 0, 0, 0, 12 };

    media_box_splitter_init(&sp);
    assert_int_equal(media_box_splitter_add(&sp, small, 8), ERR_INVALID);
    assert_int_equal(media_box_splitter_add(&sp, zero, 0), ERR_INVALID); /* sticky */
    assert_int_equal(media_box_splitter_take(&sp, &out), 0);
    media_box_splitter_release(&sp);
    media_box_splitter_init(&sp);
    assert_int_equal(media_box_splitter_add(&sp, zero, 8), ERR_INVALID);
    media_box_splitter_release(&sp);
    media_box_splitter_init(&sp);
    assert_int_equal(media_box_splitter_add(&sp, huge, 8), ERR_TOO_LARGE);
    media_box_splitter_release(&sp);
    media_box_splitter_init(&sp);
    assert_int_equal(media_box_splitter_add(&sp, large_small, 16), ERR_INVALID);
    media_box_splitter_release(&sp);
    buf_release(&out);
}

/* init builds ftyp + moov/trak/mdia/minf/stbl/stsd/<entry>/<cfg>. */
static void init_segment(struct buf *out, const char *entry, const char *cfg, const uint8_t *c, size_t cn)
{
    struct buf e = BUF_INIT, kids = BUF_INIT, stsd = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
    uint8_t visual[78] = { 0 };
    box(&kids, cfg, c, cn);
    buf_add(&e, visual, sizeof visual);
    buf_add(&e, kids.data, kids.len);
    put32(&stsd, 0);
    put32(&stsd, 1);
    box(&stsd, entry, e.data, e.len);
    box(&a, "stsd", stsd.data, stsd.len);
    box(&b, "stbl", a.data, a.len), buf_reset(&a);
    box(&a, "minf", b.data, b.len), buf_reset(&b);
    box(&b, "mdia", a.data, a.len), buf_reset(&a);
    box(&a, "trak", b.data, b.len), buf_reset(&b);
    box(&b, "mvhd", visual, 20); /* a sibling before the trak */
    buf_add(&b, a.data, a.len);
    box(out, "ftyp", "isom\0\0\0\0", 8);
    box(out, "moov", b.data, b.len);
    buf_release(&e), buf_release(&kids), buf_release(&stsd), buf_release(&a), buf_release(&b);
}

static void test_codec_strings(void **state)
{
    (void)state;
    struct buf init = BUF_INIT;
    char codec[40];
    static const uint8_t avcc[] = { 1, 0x4D, 0x40, 0x1E, 0xFF };
    init_segment(&init, "avc1", "avcC", avcc, sizeof avcc);
    assert_int_equal(media_box_codec((const uint8_t *)init.data, init.len, codec, sizeof codec), 0);
    assert_string_equal(codec, "avc1.4D401E");

    static const uint8_t hvcc[23] = { 1, 0x01, 0x60, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 93 };
    buf_reset(&init);
    init_segment(&init, "hvc1", "hvcC", hvcc, sizeof hvcc);
    assert_int_equal(media_box_codec((const uint8_t *)init.data, init.len, codec, sizeof codec), 0);
    assert_string_equal(codec, "hvc1.1.6.L93.B0");

    static const uint8_t main10[23] = { 1, 0x22, 0x20, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 120 };
    buf_reset(&init);
    init_segment(&init, "hev1", "hvcC", main10, sizeof main10); /* high tier, Main 10 */
    assert_int_equal(media_box_codec((const uint8_t *)init.data, init.len, codec, sizeof codec), 0);
    assert_string_equal(codec, "hev1.2.4.H120.90");

    static const uint8_t short_hvcc[5] = { 1, 1, 0x60, 0, 0 };
    buf_reset(&init);
    init_segment(&init, "hvc1", "hvcC", short_hvcc, sizeof short_hvcc);
    assert_int_equal(media_box_codec((const uint8_t *)init.data, init.len, codec, sizeof codec), ERR_NOT_FOUND);
    assert_string_equal(codec, "");
    buf_reset(&init);
    init_segment(&init, "mp4a", "esds", avcc, sizeof avcc);
    assert_int_equal(media_box_codec((const uint8_t *)init.data, init.len, codec, sizeof codec), ERR_NOT_FOUND);
    assert_int_equal(media_box_codec((const uint8_t *)"\0\0\0\x10moov", 8, codec, sizeof codec), ERR_INVALID);
    buf_release(&init);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitter_pieces),
        cmocka_unit_test(test_splitter_bad),
        cmocka_unit_test(test_codec_strings),
    };
    return cmocka_run_group_tests_name("media/box", tests, NULL, NULL);
}
