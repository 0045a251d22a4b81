/* fuzz/fuzz_audit_tags.c - libFuzzer target for the audit tag line parser
 * (domain/platform/audit_ship.c audit_tag_parse; issue 12, tags shipped off the host).
 *
 * The input is one line (no NUL needed). The parser must not crash or read past it; when it
 * accepts, the id is positive and printing the tag back ("%lld %64x") gives the input,
 * modulo hex case and leading zeros of the id.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "domain/platform/audit_ship.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size ? size : 1); /* exactly size bytes: ASan sees any over-read */
    uint8_t mac[SM3_LEN];
    int64_t id = 0;
    memcpy(in, data, size);
    if (audit_tag_parse(in, size, &id, mac) == 0) {
        char hex[2 * SM3_LEN + 1], back[96];
        FUZZ_CHECK(id > 0);
        hex_to_str(mac, SM3_LEN, hex);
        snprintf(back, sizeof back, "%lld %s", (long long)id, hex);
        const char *sp = memchr(in, ' ', size);
        FUZZ_CHECK(sp && (size_t)(in + size - sp - 1) == 2 * SM3_LEN);
        for (size_t i = 0; i < 2 * SM3_LEN; i++) {
            char c = sp[1 + i];
            FUZZ_CHECK((c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c) == hex[i]);
        }
    }
    xfree(in);
    return 0;
}
