/* crypto/manifest.h - integrity of files compiled into the binary (S2 anti-tampering).
 *
 * Each embedded file carries its SHA-256 and SM3 digests, computed at build time. This
 * recomputes both and compares.
 */
#ifndef JY_CRYPTO_MANIFEST_H
#define JY_CRYPTO_MANIFEST_H
#include <stddef.h>

#include "core/embedded.h"

/* manifest_verify checks every file of the zero-terminated array files. 0 when all match;
 * ERR_CRYPTO otherwise with *bad set to the first mismatching path. */
int manifest_verify(const struct embedded_file *files, const char **bad);

#endif
