/* fuzz/fuzz_play_link.c - libFuzzer target for the two parsers of live-video input that
 * come from outside (issue 9): play link tokens from media URL paths
 * (domain/video/play_link.c play_link_verify) and frame-ancestors lists from
 * `jiayuan token add --frame-ancestors` (domain/video/embed_sites.c embed_sites_parse).
 *
 * Checks: verify never crashes and accepts only what sign made (a fixed ring with one key,
 * so an accepted input must re-sign to the same fields and be exactly PLAY_LINK_LEN URL-safe
 * characters); a parsed frame-ancestors list holds no byte that could end the CSP
 * directive (';', ',', quotes other than 'self', control characters) and parses again to
 * itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "crypto/keyring.h"
#include "domain/video/embed_sites.h"
#include "domain/video/play_link.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keyring fuzz_ring;
static bool fuzz_ready;

static void
fuzz_init(void)
{
    uint8_t raw[DATA_KEY_LEN];
    if (fuzz_ready)
        return;
    memset(raw, 0x42, sizeof raw);
    FUZZ_CHECK(keyring_add(&fuzz_ring, 1, raw) == 0);
    fuzz_ready = true;
}

static void
fuzz_link(const char *s, size_t n)
{
    struct play_link l;
    if (play_link_verify(&fuzz_ring, s, n, 0, 0, &l) != 0)
        return;
    FUZZ_CHECK(n == PLAY_LINK_LEN);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
                   s[i] == '-' || s[i] == '_');
    FUZZ_CHECK(l.camera_id > 0 && l.issuer_id > 0 && l.expires_at > 0);
    FUZZ_CHECK(l.issuer == PLAY_ISSUER_USER || l.issuer == PLAY_ISSUER_TOKEN);
}

static void
fuzz_sites(const char *text)
{
    struct buf out = BUF_INIT, again = BUF_INIT;
    if (embed_sites_parse(text, &out, NULL) == 0) {
        for (size_t i = 0; i < out.len; i++) {
            unsigned char c = (unsigned char)out.data[i];
            FUZZ_CHECK(c > 0x20 || c == ' ');
            FUZZ_CHECK(c < 0x7f && c != ';' && c != ',' && c != '"');
        }
        FUZZ_CHECK(embed_sites_parse(out.data, &again, NULL) == 0);
        FUZZ_CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
    }
    buf_release(&out);
    buf_release(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    fuzz_init();
    memcpy(s, data, size);
    s[size] = '\0';
    fuzz_link(s, size);
    fuzz_sites(s);
    xfree(s);
    return 0;
}
