/* crypto/manifest.c - S2: recompute SHA-256 and SM3 of the embedded UI bundle. */
#include "crypto/manifest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/err.h"
#include "crypto/sm.h"

int
manifest_verify(const struct embedded_file *files, const char **bad)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    uint8_t sm[SM3_LEN];

    for (const struct embedded_file *f = files; f->path; f++) {
        if (!EVP_Digest(f->data, f->len, md, &n, EVP_sha256(), NULL))
            goto bad;
        hex_to_str(md, n, hex);
        if (strcmp(hex, f->sha256) != 0)
            goto bad;
        if (sm3(f->data, f->len, sm))
            goto bad;
        hex_to_str(sm, SM3_LEN, hex);
        if (strcmp(hex, f->sm3) != 0)
            goto bad;
        continue;
    bad:
        *bad = f->path;
        return ERR_CRYPTO;
    }
    return 0;
}
