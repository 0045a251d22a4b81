/* fuzz/fuzz_kiosk.c - libFuzzer target for the kiosk cookie parser, domain/account/kiosk.c
 * kiosk_parse (R2.7 wall displays, S6).
 *
 * The input is a cookie value as a client sends it (any bytes, in a heap block of exactly
 * that size, not NUL-terminated). kiosk_parse must never read outside it, and when it
 * accepts: the value starts with "k1.", the tag is its last 43 bytes, base64url only,
 * preceded by a dot,
 * id >= 1, issued >= 0, and the canonical rendering of (id, issued, tag) parses back to
 * the same three.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/str.h"
#include "domain/account/kiosk.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = xmalloc(size ? size : 1), again[160];
    int64_t id = -1, issued = -1, id2 = -1, issued2 = -1;
    struct str tag = { NULL, 0 }, tag2 = { NULL, 0 };
    int n;

    memcpy(v, data, size);
    if (kiosk_parse(v, size, &id, &issued, &tag)) {
        FUZZ_CHECK(size >= 3 && memcmp(v, "k1.", 3) == 0);
        FUZZ_CHECK(tag.n == 43 && tag.p == v + size - 43 && v[size - 44] == '.');
        FUZZ_CHECK(id >= 1 && issued >= 0);
        for (size_t i = 0; i < tag.n; i++)
            FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tag.p[i]) &&
                       tag.p[i] != '\0');
        n = snprintf(again, sizeof again, "k1.%" PRId64 ".%" PRId64 ".", id, issued);
        FUZZ_CHECK(n > 0 && (size_t)n + tag.n < sizeof again);
        memcpy(again + n, tag.p, tag.n);
        n += (int)tag.n;
        FUZZ_CHECK(kiosk_parse(again, (size_t)n, &id2, &issued2, &tag2));
        FUZZ_CHECK(id2 == id && issued2 == issued && tag2.n == tag.n && memcmp(tag2.p, tag.p, tag.n) == 0);
    }
    xfree(v);
    return 0;
}
