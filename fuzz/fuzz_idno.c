/* fuzz/fuzz_idno.c - libFuzzer target for the ID normaliser (R4.5, S1).
 *
 * Any bytes go in. The normaliser must not crash or read past n, must return one of the
 * statuses it may return, and its output must be either "" (a rejection, with the whole
 * buffer wiped) or an 18-character ID that idno_is_valid accepts and that normalises to
 * itself with status OK. The mask of an accepted ID keeps exactly the region and the last
 * four characters. The input is copied into a heap buffer of exactly n bytes so that ASan
 * catches any read beyond it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/idno.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char zero[IDNO_LEN + 1];
    char out[IDNO_LEN + 1], again[IDNO_LEN + 1], mask[IDNO_LEN + 1];
    char *in = xmalloc(size);           /* exactly size bytes: ASan sees over-reads */
    enum idno_status st;

    if (size)
        memcpy(in, data, size);
    memset(out, 'Z', sizeof out);
    st = idno_normalize(in, size, out);
    FUZZ_CHECK(st != IDNO_DUPLICATE && (unsigned)st <= IDNO_NOT_AN_ID);
    FUZZ_CHECK(strcmp(idno_status_code(st), "unknown") != 0);
    if (st == IDNO_OK || st == IDNO_FIXED || st == IDNO_CONVERTED_15) {
        FUZZ_CHECK(strnlen(out, sizeof out) == IDNO_LEN);
        FUZZ_CHECK(idno_is_valid(out));
        FUZZ_CHECK(idno_check_digit(out) == out[17]);
        FUZZ_CHECK(st != IDNO_OK || (size == IDNO_LEN && memcmp(in, out, IDNO_LEN) == 0));
        FUZZ_CHECK(idno_normalize(out, IDNO_LEN, again) == IDNO_OK);
        FUZZ_CHECK(memcmp(again, out, sizeof out) == 0);
        idno_mask(out, mask);
        FUZZ_CHECK(memcmp(mask, out, 6) == 0 && memcmp(mask + 6, "********", 8) == 0 &&
                   memcmp(mask + 14, out + 14, 5) == 0);
    } else {
        FUZZ_CHECK(memcmp(out, zero, sizeof out) == 0);
    }
    /* The other entry points take arbitrary NUL-terminated text too. */
    if (size <= 64) {
        char s[65];
        memcpy(s, data, size);
        s[size] = '\0';
        if (idno_is_valid(s)) {
            FUZZ_CHECK(idno_normalize(s, strlen(s), again) == IDNO_OK);
        }
        char c = idno_check_digit(s);  /* stops at the first non-digit */
        FUZZ_CHECK(c == '\0' || c == 'X' || (c >= '0' && c <= '9'));
        idno_mask(s, mask);
        FUZZ_CHECK(mask[0] == '\0' || strnlen(mask, sizeof mask) == IDNO_LEN);
    }
    xfree(in);
    return 0;
}
