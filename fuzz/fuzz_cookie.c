/* fuzz/fuzz_cookie.c - libFuzzer target for the Cookie header parser, http/cookie.c (S6).
 *
 * The input is a header value (NUL-terminated, in a heap block of exactly that size). When
 * it holds a NUL byte, the text before it is the cookie name and the rest the header;
 * otherwise the two session cookie names are looked up. cookie_get must point its value
 * into the header, never return an empty value, and agree with a small reference parser
 * written here from the contract (split at ';', skip pairs without '=', trim white space
 * around name and value, first pair with an equal name wins, one pair of surrounding
 * double quotes removed, empty means absent).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/str.h"
#include "http/cookie.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
ref_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void
ref_trim(const char **p, size_t *n)
{
    while (*n && ref_space((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n && ref_space((*p)[*n - 1]))
        (*n)--;
}

/* ref_get: the reference parser. */
static bool
ref_get(const char *header, const char *name, const char **vp, size_t *vn)
{
    size_t name_len = strlen(name);
    if (!name_len)
        return false;
    for (const char *piece = header;;) {
        const char *end = strchr(piece, ';');
        size_t len = end ? (size_t)(end - piece) : strlen(piece);
        const char *eq = memchr(piece, '=', len);
        if (eq) {
            const char *k = piece, *v = eq + 1;
            size_t kn = (size_t)(eq - piece), vlen = len - kn - 1;
            ref_trim(&k, &kn);
            ref_trim(&v, &vlen);
            if (kn == name_len && memcmp(k, name, kn) == 0) {
                if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                    v++;
                    vlen -= 2;
                }
                if (!vlen)
                    return false;
                *vp = v;
                *vn = vlen;
                return true;
            }
        }
        if (!end)
            return false;
        piece = end + 1;
    }
}

static void
fuzz_one(const char *header, const char *name)
{
    struct str v = { NULL, 0 };
    const char *rp = NULL;
    size_t rn = 0;
    bool got = cookie_get(header, name, &v);
    bool want = ref_get(header, name, &rp, &rn);
    FUZZ_CHECK(got == want);
    if (!got)
        return;
    size_t hlen = strlen(header);
    FUZZ_CHECK(v.n > 0);
    FUZZ_CHECK(v.p >= header && v.p + v.n <= header + hlen);
    FUZZ_CHECK(v.p == rp && v.n == rn);
    FUZZ_CHECK(memchr(v.p, ';', v.n) == NULL);
    FUZZ_CHECK(!ref_space(v.p[0]) || v.p[-1] == '"');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size + 1); /* exactly the text and its NUL */
    if (size)
        memcpy(in, data, size);
    in[size] = '\0';
    size_t first = strlen(in);
    if (first < size) {
        /* name NUL header: the header is the rest, in its own exact block */
        char *header = xstrndup(in + first + 1, size - first - 1);
        fuzz_one(header, in);
        xfree(header);
    } else {
        fuzz_one(in, "jy_session");
        fuzz_one(in, "__Host-jy_session");
    }
    xfree(in);
    return 0;
}
