/* fuzz/fuzz_media_box.c - libFuzzer target for media/box: the top-level box splitter and the
 * RFC 6381 codec-string reader (issue 9).
 *
 * The input is fed to the splitter in pieces whose sizes come from the input itself; the
 * splitter must only ever hand out a prefix of the input that is a sequence of whole boxes,
 * and after a failure stay failed. The same bytes read as an init segment must give 0 with
 * a NUL-terminated string shorter than the cap, or ERR_NOT_FOUND / ERR_INVALID with "".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "media/box.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* whole_boxes: p[0..n) is a sequence of whole boxes. */
static int whole_boxes(const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        char type[5];
        uint64_t sz;
        size_t hdr;
        if (media_box_next(p + off, n - off, type, &sz, &hdr) || sz > n - off)
            return 0;
        off += (size_t)sz;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct media_box_splitter sp;
    struct buf out = BUF_INIT;
    char codec[40];
    size_t off = 0, step = size ? (size_t)data[0] % 17 + 1 : 1;
    int failed = 0;

    media_box_splitter_init(&sp);
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        int rc = media_box_splitter_add(&sp, data + off, n);
        FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_TOO_LARGE);
        FUZZ_CHECK(!failed || rc != 0);
        failed |= rc != 0;
        media_box_splitter_take(&sp, &out);
        off += n;
        step = step * 3 % 61 + 1;
    }
    FUZZ_CHECK(out.len <= size && !memcmp(out.data, data, out.len));
    FUZZ_CHECK(whole_boxes((const uint8_t *)out.data, out.len));
    media_box_splitter_release(&sp);
    buf_release(&out);

    int rc = media_box_codec(data, size, codec, sizeof codec);
    FUZZ_CHECK(rc == 0 || rc == ERR_NOT_FOUND || rc == ERR_INVALID);
    FUZZ_CHECK(strlen(codec) < sizeof codec && (rc == 0) == (codec[0] != 0));
    return 0;
}
