/* fuzz/fuzz_utf8.c - libFuzzer target for core/utf8 (and str_is_utf8, which uses it).
 *
 * The input is any bytes in a heap block of exactly their size. Decoding never reads past
 * the end and always advances; utf8_valid holds exactly when no step decodes as UTF8_BAD;
 * every decoded code point re-encodes to the very bytes it came from (strictness: no
 * overlong, surrogate or out-of-range form is ever accepted); utf8_count agrees with the
 * number of steps on valid input; utf8_cut never splits a character of valid input; and
 * str_is_utf8 is utf8_valid without NUL bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/str.h"
#include "core/utf8.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = xmalloc(size ? size : 1);
    size_t i = 0, steps = 0;
    bool valid = true;
    if (size)
        memcpy(p, data, size);
    while (i < size) {
        size_t at = i;
        uint32_t cp = utf8_next(p, size, &i);
        FUZZ_CHECK(i > at && i <= size);
        steps++;
        if (cp == UTF8_BAD) {
            FUZZ_CHECK(i == at + 1);
            valid = false;
            continue;
        }
        char enc[4];
        size_t len = utf8_encode(cp, enc);
        FUZZ_CHECK(len == i - at && memcmp(enc, p + at, len) == 0);
        FUZZ_CHECK(utf8_len((unsigned char)p[at]) == len);
    }
    FUZZ_CHECK(utf8_valid(p, size) == valid);
    FUZZ_CHECK(str_is_utf8(p, size) == (valid && !memchr(p, '\0', size)));
    if (valid) {
        FUZZ_CHECK(utf8_count(p, size) == steps);
        for (size_t max = 0; max <= size; max++) {
            size_t cut = utf8_cut(p, size, max);
            /* at a character start, at most 3 bytes short of max */
            FUZZ_CHECK(cut <= max && (max > size || max - cut < 4));
            FUZZ_CHECK(cut == size || ((unsigned char)p[cut] & 0xC0) != 0x80);
        }
    }
    xfree(p);
    return 0;
}
