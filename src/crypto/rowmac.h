/* crypto/rowmac.h - a MAC over a stored row's identifying fields and value (issue 12,
 * "Confidentiality and integrity": test results are MACed like other sensitive fields).
 *
 * Values that must stay queryable in plain form (a result's value, its tube, its time) are
 * not sealed; they carry mac = HMAC-SM3(K, table | length-prefixed fields), where K is
 * derived from a data key (HKDF-style: HMAC-SM3(field_mac subkey, "jiayuan row-mac v1")) and
 * the row stores that key's id next to the mac, so rows stay verifiable across key
 * rotation. A row whose mac does not verify is an integrity failure counted and logged like
 * a sealed field's (crypto/field.h field_integrity_report): callers report it as damaged
 * data, never as a value.
 *
 * Usage: struct buf m = BUF_INIT; rowmac_begin(&m, "results"); rowmac_text(&m, tube); …
 * rowmac_sign(kr, &m, mac, &key_id) or rowmac_check(kr, key_id, &m, stored, n, "results");
 * buf_release(&m).
 */
#ifndef JY_CRYPTO_ROWMAC_H
#define JY_CRYPTO_ROWMAC_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "crypto/keys.h"

void rowmac_begin(struct buf *m, const char *table);
void rowmac_text(struct buf *m, const char *s); /* NULL is "" */
void rowmac_i64(struct buf *m, int64_t v);
/* rowmac_sign computes the mac under the active key and names it in *key_id. ERR_CRYPTO
 * without a key, ERR_INTERNAL when m failed to grow. */
int rowmac_sign(const struct keyring *kr, const struct buf *m, uint8_t out[SM3_LEN], uint32_t *key_id);
/* rowmac_check: 0 when mac (n bytes) is the mac of m under key key_id; else ERR_CRYPTO,
 * counted and logged as an integrity failure of column. */
int rowmac_check(const struct keyring *kr, int64_t key_id, const struct buf *m, const void *mac, size_t n,
                 const char *column);

#endif
