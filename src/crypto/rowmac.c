/* crypto/rowmac.c - row MACs (see rowmac.h). */
#include "crypto/rowmac.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "crypto/field.h"
#include "crypto/sm.h"

void
rowmac_text(struct buf *m, const char *s)
{
    uint32_t n = (uint32_t)strlen(s ? s : "");
    uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    buf_add(m, len, 4);
    buf_add(m, s ? s : "", n);
}

void
rowmac_begin(struct buf *m, const char *table)
{
    rowmac_text(m, table);
}

void
rowmac_i64(struct buf *m, int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    rowmac_text(m, s);
}

static int
rowmac_with(const struct datakey *k, const struct buf *m, uint8_t out[SM3_LEN])
{
    static const char label[] = "jiayuan row-mac v1";
    uint8_t key[SM3_LEN];
    int rc;
    if (buf_error(m))
        return ERR_INTERNAL;
    if (!(rc = hmac_sm3(k->field_mac, sizeof k->field_mac, label, sizeof label - 1, key)))
        rc = hmac_sm3(key, sizeof key, m->data, m->len, out);
    wipe(key, sizeof key);
    return rc;
}

int
rowmac_sign(const struct keyring *kr, const struct buf *m, uint8_t out[SM3_LEN], uint32_t *key_id)
{
    const struct datakey *k = keyring_active(kr);
    if (!k)
        return ERR_CRYPTO;
    *key_id = k->id;
    return rowmac_with(k, m, out);
}

int
rowmac_check(const struct keyring *kr, int64_t key_id, const struct buf *m, const void *mac, size_t n,
             const char *column)
{
    uint8_t want[SM3_LEN];
    const struct datakey *k = key_id >= 0 && key_id <= UINT32_MAX ? keyring_find(kr, (uint32_t)key_id) : NULL;
    if (!k || !mac || n != SM3_LEN || rowmac_with(k, m, want) || !crypto_equal(want, mac, SM3_LEN))
        return field_integrity_report(column);
    return 0;
}
