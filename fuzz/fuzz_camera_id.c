/* fuzz/fuzz_camera_id.c - libFuzzer target for camera ID cleaning (domain/cameras/camera_id.c).
 *
 * Any bytes go in. camera_id_clean must not crash or read past n; on success the output is a
 * valid camera ID that cleans to itself unchanged, and no reason was written; on failure the
 * output is "" and a reason was written. The input is copied into a heap buffer of exactly n
 * bytes so that ASan catches any over-read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "domain/cameras/camera_id.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[CAMERA_ID_LEN + 1], again[CAMERA_ID_LEN + 1];
    char *in = xmalloc(size ? size : 1);
    struct buf why = BUF_INIT;
    bool fixed = false;

    if (size)
        memcpy(in, data, size);
    memset(out, 'Z', sizeof out);
    int rc = camera_id_clean(in, size, out, &fixed, &why);
    if (rc == 0) {
        FUZZ_CHECK(camera_id_is_valid(out) && why.len == 0);
        FUZZ_CHECK(fixed || (size == CAMERA_ID_LEN && memcmp(in, out, CAMERA_ID_LEN) == 0));
        bool fixed2 = true;
        FUZZ_CHECK(camera_id_clean(out, CAMERA_ID_LEN, again, &fixed2, NULL) == 0);
        FUZZ_CHECK(!fixed2 && memcmp(again, out, sizeof out) == 0);
    } else {
        FUZZ_CHECK(out[0] == '\0' && why.len > 0);
    }
    buf_release(&why);
    xfree(in);
    return 0;
}
