/* crypto/field.c - the sealed-value envelope for personal data at rest and the blind index
 * used to find it (S1). SM4-CTR with a fresh random IV, then HMAC-SM3 over everything plus
 * the associated data (encrypt-then-MAC); the tag is checked in constant time before any
 * byte is decrypted. Which columns are sealed and how values are normalised before the blind
 * index is the domain layer's business, not this file's.
 */
#include "crypto/field.h"

#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

#define FIELD_HEAD (1 + 4 + SM4_BLOCK) /* version | key id | IV */
#define FIELD_TAG 16

static void
field_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
field_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* field_tag computes the full HMAC over head|iv|ct (contiguous at c, n bytes) | ad | len(ad). */
static int
field_tag(const struct datakey *k, const uint8_t *c, size_t n, const char *ad, size_t ad_len,
          uint8_t mac[SM3_LEN])
{
    uint8_t len_be[4];
    field_put_u32(len_be, (uint32_t)ad_len);
    struct sm_part parts[] = { { c, n }, { ad, ad_len }, { len_be, sizeof len_be } };
    return hmac_sm3_parts(k->field_mac, sizeof k->field_mac, parts, 3, mac);
}

int
field_seal_with(const struct datakey *k, const char *ad, const void *p, size_t n, uint8_t *out,
                size_t cap, size_t *out_len)
{
    uint8_t mac[SM3_LEN];
    size_t need = 0, ad_len = ad ? strlen(ad) : 0;
    int rc = ERR_TOO_LARGE;

    if (!ad)
        ad = "";
    if (!size_add(n, FIELD_OVERHEAD, &need) || need > cap || ad_len > UINT32_MAX) {
        need = 0; /* nothing written, nothing to wipe */
        goto out;
    }
    out[0] = FIELD_VERSION;
    field_put_u32(out + 1, k->id);
    if ((rc = crypto_random(out + 5, SM4_BLOCK)))
        goto out;
    if ((rc = sm4_ctr(k->field_enc, out + 5, p, n, out + FIELD_HEAD)))
        goto out;
    if ((rc = field_tag(k, out, FIELD_HEAD + n, ad, ad_len, mac)))
        goto out;
    memcpy(out + FIELD_HEAD + n, mac, FIELD_TAG);
    *out_len = need;
    rc = 0;
out:
    wipe(mac, sizeof mac);
    if (rc && need)
        wipe(out, need);
    return rc;
}

int
field_seal(const struct keyring *kr, const char *ad, const void *p, size_t n, uint8_t *out,
           size_t cap, size_t *out_len)
{
    const struct datakey *k = keyring_active(kr);
    if (!k || k->retired)
        return ERR_CRYPTO;
    return field_seal_with(k, ad, p, n, out, cap, out_len);
}

int
field_envelope_parse(const uint8_t *c, size_t n, uint32_t *key_id, size_t *plain_len)
{
    if (!c || n < FIELD_OVERHEAD || c[0] != FIELD_VERSION)
        return ERR_CRYPTO;
    if (key_id)
        *key_id = field_get_u32(c + 1);
    if (plain_len)
        *plain_len = n - FIELD_OVERHEAD;
    return 0;
}

int
field_open_with(const struct datakey *k, const char *ad, const uint8_t *c, size_t n,
                uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t mac[SM3_LEN];
    uint32_t id = 0;
    size_t plain = 0, ad_len = ad ? strlen(ad) : 0;
    int rc = ERR_CRYPTO;

    if (!ad)
        ad = "";
    if ((rc = field_envelope_parse(c, n, &id, &plain)))
        goto out;
    rc = ERR_CRYPTO;
    if (!k || id != k->id || ad_len > UINT32_MAX)
        goto out;
    if (plain >= cap) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if ((rc = field_tag(k, c, FIELD_HEAD + plain, ad, ad_len, mac)))
        goto out;
    if (!crypto_equal(mac, c + FIELD_HEAD + plain, FIELD_TAG)) {
        rc = ERR_CRYPTO;
        goto out;
    }
    if ((rc = sm4_ctr(k->field_enc, c + 5, c + FIELD_HEAD, plain, out))) {
        wipe(out, plain);
        goto out;
    }
    out[plain] = '\0';
    *out_len = plain;
    rc = 0;
out:
    wipe(mac, sizeof mac);
    return rc;
}

static atomic_uint_fast64_t field_failures;

uint64_t
field_integrity_failures(void)
{
    return (uint64_t)atomic_load(&field_failures);
}

/* field_integrity_failed counts and logs one failed envelope (the column, never the value). */
static int
field_integrity_failed(const char *ad)
{
    atomic_fetch_add(&field_failures, 1);
    log_warn("crypto.integrity_failure", "column", ad ? ad : "", "error", "sealed value fails its integrity check",
             NULL);
    return ERR_CRYPTO;
}

int
field_integrity_report(const char *ad)
{
    return field_integrity_failed(ad);
}

int
field_open(const struct keyring *kr, const char *ad, const uint8_t *c, size_t n, uint8_t *out,
           size_t cap, size_t *out_len)
{
    uint32_t id = 0;
    int rc;

    if (field_envelope_parse(c, n, &id, NULL))
        return field_integrity_failed(ad);
    const struct datakey *k = keyring_find(kr, id);
    if (!k || k->retired) /* a retired key proved nothing used it (issue 12) */
        return field_integrity_failed(ad);
    rc = field_open_with(k, ad, c, n, out, cap, out_len);
    return rc == ERR_CRYPTO ? field_integrity_failed(ad) : rc;
}

/* blind_mac computes the index of (domain, p[0..n)) under the 32-byte blind key key. */
static int
blind_mac(const uint8_t key[SM3_LEN], const char *domain, const void *p, size_t n, int64_t *out)
{
    uint8_t mac[SM3_LEN];
    uint64_t v = 0;
    int rc;

    if (!domain)
        domain = "";
    /* domain "\0" value: the NUL keeps ("ab", "c") apart from ("a", "bc"). */
    struct sm_part parts[] = { { domain, strlen(domain) + 1 }, { p, n } };
    if ((rc = hmac_sm3_parts(key, SM3_LEN, parts, 2, mac)))
        goto out;
    for (int i = 0; i < 8; i++)
        v = v << 8 | mac[i];
    *out = (int64_t)v;
out:
    wipe(mac, sizeof mac);
    return rc;
}

int
blind_index_with(const struct datakey *k, const char *domain, const void *p, size_t n,
                 int64_t *out)
{
    return blind_mac(k->blind, domain, p, n, out);
}

int
blind_index_gen(const struct keyring *kr, uint32_t gen, const char *domain, const void *p, size_t n,
                int64_t *out)
{
    const struct indexkey *g = keyring_index_find(kr, gen);
    if (g)
        return blind_mac(g->blind, domain, p, n, out);
    if (gen == 0 && kr && !__atomic_load_n(&kr->nidx, __ATOMIC_ACQUIRE) && kr->n) /* no index_keys loaded */
        return blind_mac(kr->keys[0].blind, domain, p, n, out);
    return ERR_NOT_FOUND;
}

int
blind_index_current(const struct keyring *kr, const char *domain, const void *p, size_t n, int64_t *out)
{
    const struct indexkey *g = keyring_index_current(kr);
    if (!domain || strcmp(domain, BLIND_ROTATED_DOMAIN)) /* the others stay on generation 0 */
        g = NULL;
    return blind_index_gen(kr, g ? g->gen : 0, domain, p, n, out);
}

int64_t
blind_index_lookup(const struct keyring *kr, const void *p, size_t n, unsigned *slot)
{
    const struct indexkey *g = keyring_index_current(kr);
    int64_t v = 0;
    *slot = g ? g->slot : 0;
    if (blind_index_gen(kr, g ? g->gen : 0, BLIND_ROTATED_DOMAIN, p, n, &v)) {
        log_error("crypto.blind_index", "error", "no blind key", NULL);
        return 0;
    }
    return v;
}

int
blind_index_slots(const struct keyring *kr, const void *p, size_t n, int64_t out[2], bool has[2])
{
    int rc = 0;
    for (unsigned s = 0; s < 2 && !rc; s++) {
        const struct indexkey *g = keyring_index_in_slot(kr, s);
        out[s] = 0;
        has[s] = g || (s == 0 && kr && kr->n);
        if (has[s])
            rc = blind_index_gen(kr, g ? g->gen : 0, BLIND_ROTATED_DOMAIN, p, n, &out[s]);
    }
    return rc;
}

int64_t
blind_index(const struct keyring *kr, const char *domain, const void *p, size_t n)
{
    int64_t v = 0;
    int rc = blind_index_current(kr, domain, p, n, &v);

    if (rc == ERR_NOT_FOUND) {
        log_error("crypto.blind_index", "error", "no data key", NULL);
        return 0;
    }
    if (rc) {
        log_error("crypto.blind_index", "error", "hmac failed", NULL);
        return 0;
    }
    return v;
}
