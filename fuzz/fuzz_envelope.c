/* fuzz/fuzz_envelope.c - libFuzzer target for the ciphertext envelope (S1).
 *
 * Any bytes go in, copied into a heap buffer of exactly that size so ASan sees over-reads.
 * As an envelope: field_envelope_parse must agree with the documented shape, field_open
 * (fixed test keyring, key ids 1 and 2, three associated data) and keyring_unwrap (fixed
 * test KEK) must return 0 or ERR_CRYPTO (ERR_TOO_LARGE for a short output buffer) and never
 * crash; a successful open yields a NUL-terminated plaintext of the parsed length. As a
 * plaintext: it is sealed, must open back to itself, must not open under another associated
 * data, and must not open once any one byte (chosen by the input) is changed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/field.h"
#include "crypto/keyring.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keyring fuzz_kr;
static struct kek fuzz_kek;

static void
fuzz_init(void)
{
    static int ready;
    uint8_t raw[DATA_KEY_LEN];

    if (ready)
        return;
    log_set_quiet(true);
    memset(raw, 0x11, sizeof raw);
    FUZZ_CHECK(keyring_add(&fuzz_kr, 1, raw) == 0);
    memset(raw, 0x22, sizeof raw);
    FUZZ_CHECK(keyring_add(&fuzz_kr, 2, raw) == 0);
    memset(fuzz_kek.enc, 0x33, sizeof fuzz_kek.enc);
    memset(fuzz_kek.mac, 0x44, sizeof fuzz_kek.mac);
    ready = 1;
}

static void
fuzz_as_envelope(const uint8_t *c, size_t n)
{
    static const char *const ads[] = { "sample.id_number", "", "data_key:1" };
    uint32_t id = 0;
    size_t plain = 0, got = 0;
    int rc = field_envelope_parse(c, n, &id, &plain);

    if (rc == 0) {
        FUZZ_CHECK(n >= FIELD_OVERHEAD && c[0] == FIELD_VERSION);
        FUZZ_CHECK(plain == n - FIELD_OVERHEAD);
        FUZZ_CHECK(id == ((uint32_t)c[1] << 24 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 8 | c[4]));
    } else {
        FUZZ_CHECK(rc == ERR_CRYPTO);
        FUZZ_CHECK(n < FIELD_OVERHEAD || c[0] != FIELD_VERSION);
    }
    FUZZ_CHECK(field_envelope_parse(c, n, NULL, NULL) == rc);

    size_t cap = rc == 0 ? plain + 1 : 1;
    uint8_t *out = xmalloc(cap); /* exactly what field.h asks for */
    for (size_t i = 0; i < sizeof ads / sizeof ads[0]; i++) {
        int orc = field_open(&fuzz_kr, ads[i], c, n, out, cap, &got);
        FUZZ_CHECK(orc == 0 || orc == ERR_CRYPTO);
        if (orc == 0) {
            FUZZ_CHECK(rc == 0 && got == plain && out[got] == '\0');
            FUZZ_CHECK(keyring_find(&fuzz_kr, id) != NULL);
        }
    }
    if (rc == 0 && plain > 0) {
        int orc = field_open(&fuzz_kr, ads[0], c, n, out, plain, &got);
        FUZZ_CHECK(orc == ERR_CRYPTO || orc == ERR_TOO_LARGE);
    }
    xfree_secret(out, cap);

    uint8_t raw[DATA_KEY_LEN];
    rc = keyring_unwrap(&fuzz_kek, id, c, n, raw);
    FUZZ_CHECK(rc == 0 || rc == ERR_CRYPTO);
}

static void
fuzz_as_plaintext(const uint8_t *p, size_t n)
{
    size_t cap = FIELD_SEALED_LEN(n), len = 0, got = 0;
    uint8_t *c = xmalloc(cap), *out = xmalloc(n + 1);

    FUZZ_CHECK(field_seal(&fuzz_kr, "sample.id_number", p, n, c, cap, &len) == 0);
    FUZZ_CHECK(len == cap);
    FUZZ_CHECK(field_open(&fuzz_kr, "sample.id_number", c, len, out, n + 1, &got) == 0);
    FUZZ_CHECK(got == n && out[n] == '\0' && (n == 0 || memcmp(out, p, n) == 0));
    FUZZ_CHECK(field_open(&fuzz_kr, "sample.address", c, len, out, n + 1, &got) == ERR_CRYPTO);

    size_t at = n ? ((size_t)p[0] * 257 + p[n - 1]) % len : 0;
    c[at] ^= (uint8_t)(n ? (p[n / 2] | 1) : 0x80);
    FUZZ_CHECK(field_open(&fuzz_kr, "sample.id_number", c, len, out, n + 1, &got) == ERR_CRYPTO);
    xfree(c);
    xfree_secret(out, n + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = xmalloc(size); /* exactly size bytes: ASan sees over-reads */

    fuzz_init();
    if (size)
        memcpy(in, data, size);
    fuzz_as_envelope(in, size);
    fuzz_as_plaintext(in, size);
    xfree(in);
    return 0;
}
