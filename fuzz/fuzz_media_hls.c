/* fuzz/fuzz_media_hls.c - libFuzzer target for media/hls: the LL-HLS file-name parser
 * (issue 9). Every accepted name must print back to itself from its parts ("init.mp4",
 * "seg/<msn>.m4s", "seg/<msn>.<part>.m4s"), so no other spelling (leading zeros, signs,
 * path tricks) is accepted; the input is a NUL-terminated copy of the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "media/hls.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = xstrndup((const char *)data, size), back[64];
    enum media_hls_kind kind;
    int64_t msn;
    int part;
    int rc = media_hls_parse_name(name, &kind, &msn, &part);
    FUZZ_CHECK(rc == 0 || rc == ERR_INVALID);
    if (!rc) {
        if (kind == MEDIA_HLS_INIT)
            snprintf(back, sizeof back, "init.mp4");
        else if (kind == MEDIA_HLS_SEGMENT)
            snprintf(back, sizeof back, "seg/%lld.m4s", (long long)msn);
        else
            snprintf(back, sizeof back, "seg/%lld.%d.m4s", (long long)msn, part);
        FUZZ_CHECK(!strcmp(back, name));
        FUZZ_CHECK(kind == MEDIA_HLS_PART ? part >= 0 && part <= 9999 : part == -1);
        FUZZ_CHECK(kind == MEDIA_HLS_INIT ? msn == -1 : msn >= 0);
    }
    xfree(name);
    return 0;
}
