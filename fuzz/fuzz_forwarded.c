/* fuzz/fuzz_forwarded.c - libFuzzer target for X-Forwarded-For (http/forwarded.c).
 *
 * The input is split at its first NUL: the trusted-proxy list, then the header value. The
 * peer is the list's first entry. forwarded_client must not crash or read past either
 * string; when it picks a client, that is a valid address that is not a trusted proxy and
 * appears in the header.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "http/forwarded.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size + 1);
    char out[64], peer[64];
    unsigned char tmp[16];
    memcpy(in, data, size);
    in[size] = '\0';
    const char *trusted = in;
    size_t tl = strlen(in);
    const char *xff = tl < size ? in + tl + 1 : "";
    size_t pn = strcspn(trusted, ",");
    if (pn < sizeof peer) {
        memcpy(peer, trusted, pn);
        peer[pn] = '\0';
        if (forwarded_client(trusted, peer, xff, out, sizeof out)) {
            FUZZ_CHECK(inet_pton(AF_INET, out, tmp) == 1 || inet_pton(AF_INET6, out, tmp) == 1);
            FUZZ_CHECK(!forwarded_in_list(trusted, out, strlen(out)));
            FUZZ_CHECK(strstr(xff, out) != NULL);
        }
    }
    xfree(in);
    return 0;
}
