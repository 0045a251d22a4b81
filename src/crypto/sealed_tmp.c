/* crypto/sealed_tmp.c - nameless, encrypted, MACed temporary files (see sealed_tmp.h; issue
 * 12). Chunk i (SEALED_TMP_CHUNK plaintext bytes, the last one shorter) sits at offset
 * i * SEALED_TMP_CHUNK as SM4-CTR ciphertext with the counter block nonce(8) || be64(i <<
 * 12): a chunk is 4096 blocks, so counters never overlap between chunks. Its tag is
 * HMAC-SM3(mac_key, be64(i) || be32(len) || ciphertext), kept in memory.
 */
#include "crypto/sealed_tmp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "crypto/sm.h"

#define SEALED_MAC_KEY_LEN 32
#define SEALED_NONCE_LEN 8

struct sealed_tmp {
    int fd;
    bool sealed;
    uint8_t key[SM4_KEY_LEN];
    uint8_t mac_key[SEALED_MAC_KEY_LEN];
    uint8_t nonce[SEALED_NONCE_LEN];
    uint64_t size;          /* plaintext bytes written */
    uint8_t (*tags)[SM3_LEN];
    size_t ntags, tags_cap; /* chunks written to disk */
    unsigned char *pend;    /* plaintext of the chunk being filled (write) or read (cache) */
    size_t pend_len;
    int64_t cached;         /* chunk held decrypted in pend after the seal; -1: none */
    unsigned char *ct;      /* ciphertext scratch */
};

static void
sealed_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void
sealed_iv(const struct sealed_tmp *s, uint64_t chunk, uint8_t iv[SM4_BLOCK])
{
    memcpy(iv, s->nonce, SEALED_NONCE_LEN);
    sealed_put_be64(iv + SEALED_NONCE_LEN, chunk << 12);
}

static int
sealed_tag(const struct sealed_tmp *s, uint64_t chunk, const void *ct, size_t n, uint8_t out[SM3_LEN])
{
    uint8_t head[12];
    sealed_put_be64(head, chunk);
    head[8] = (uint8_t)(n >> 24);
    head[9] = (uint8_t)(n >> 16);
    head[10] = (uint8_t)(n >> 8);
    head[11] = (uint8_t)n;
    struct sm_part parts[2] = { { head, sizeof head }, { ct, n } };
    return hmac_sm3_parts(s->mac_key, sizeof s->mac_key, parts, 2, out);
}

static int
sealed_open_fd(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    /* no O_TMPFILE here: a random name, unlinked before any byte is written */
    uint8_t rnd[12];
    char path[4096];
    if (crypto_random(rnd, sizeof rnd))
        return -1;
    int len = snprintf(path, sizeof path, "%s/.sealed-", dir);
    for (size_t i = 0; i < sizeof rnd && len > 0 && (size_t)len + 3 < sizeof path; i++)
        len += snprintf(path + len, sizeof path - (size_t)len, "%02x", rnd[i]);
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0 && unlink(path) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int
sealed_tmp_new(const char *dir, struct sealed_tmp **out)
{
    struct sealed_tmp *s = xcalloc(1, sizeof *s);
    *out = NULL;
    s->fd = -1;
    s->cached = -1;
    if (crypto_random(s->key, sizeof s->key) || crypto_random(s->mac_key, sizeof s->mac_key) ||
        crypto_random(s->nonce, sizeof s->nonce)) {
        sealed_tmp_free(s);
        return ERR_CRYPTO;
    }
    if ((s->fd = sealed_open_fd(dir)) < 0) {
        sealed_tmp_free(s);
        return ERR_IO;
    }
    s->pend = xmalloc(SEALED_TMP_CHUNK);
    s->ct = xmalloc(SEALED_TMP_CHUNK);
    *out = s;
    return 0;
}

static int
sealed_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const unsigned char *q = p;
    while (n) {
        ssize_t w = pwrite(fd, q, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ERR_IO;
        q += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* sealed_flush encrypts, tags and writes the pending chunk. */
static int
sealed_flush(struct sealed_tmp *s)
{
    uint8_t iv[SM4_BLOCK];
    uint64_t i = s->ntags;
    int rc;
    if (!s->pend_len)
        return 0;
    sealed_iv(s, i, iv);
    if (s->ntags == s->tags_cap) {
        s->tags_cap = s->tags_cap ? 2 * s->tags_cap : 64;
        s->tags = xrealloc(s->tags, s->tags_cap * sizeof *s->tags);
    }
    if ((rc = sm4_ctr(s->key, iv, s->pend, s->pend_len, s->ct)) ||
        (rc = sealed_tag(s, i, s->ct, s->pend_len, s->tags[i])) ||
        (rc = sealed_pwrite_all(s->fd, s->ct, s->pend_len, i * SEALED_TMP_CHUNK)))
        return rc;
    s->ntags++;
    wipe(s->pend, s->pend_len);
    s->pend_len = 0;
    return 0;
}

int
sealed_tmp_write(struct sealed_tmp *s, const void *p, size_t n)
{
    const unsigned char *q = p;
    int rc;
    if (s->sealed)
        return ERR_INVALID;
    while (n) {
        size_t k = SEALED_TMP_CHUNK - s->pend_len;
        if (k > n)
            k = n;
        memcpy(s->pend + s->pend_len, q, k);
        s->pend_len += k;
        s->size += k;
        q += k;
        n -= k;
        if (s->pend_len == SEALED_TMP_CHUNK && (rc = sealed_flush(s)))
            return rc;
    }
    return 0;
}

int
sealed_tmp_seal(struct sealed_tmp *s)
{
    int rc;
    if (s->sealed)
        return 0;
    if ((rc = sealed_flush(s)))
        return rc;
    s->sealed = true;
    return 0;
}

uint64_t sealed_tmp_size(const struct sealed_tmp *s) { return s->size; }
int sealed_tmp_fd(const struct sealed_tmp *s) { return s->fd; }

/* sealed_load reads chunk i, checks its tag and decrypts it into pend. */
static int
sealed_load(struct sealed_tmp *s, uint64_t i)
{
    uint8_t iv[SM4_BLOCK], tag[SM3_LEN];
    size_t len = i + 1 < s->ntags ? SEALED_TMP_CHUNK : (size_t)(s->size - i * SEALED_TMP_CHUNK);
    size_t have = 0;
    int rc;
    if ((int64_t)i == s->cached)
        return 0;
    s->cached = -1;
    while (have < len) {
        ssize_t r = pread(s->fd, s->ct + have, len - have, (off_t)(i * SEALED_TMP_CHUNK + have));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ERR_IO;
        if (r == 0)
            return ERR_CRYPTO; /* cut short */
        have += (size_t)r;
    }
    if ((rc = sealed_tag(s, i, s->ct, len, tag)))
        return rc;
    if (!crypto_equal(tag, s->tags[i], SM3_LEN))
        return ERR_CRYPTO;
    sealed_iv(s, i, iv);
    if ((rc = sm4_ctr(s->key, iv, s->ct, len, s->pend)))
        return rc;
    s->pend_len = len;
    s->cached = (int64_t)i;
    return 0;
}

int
sealed_tmp_pread(struct sealed_tmp *s, void *p, size_t n, uint64_t off, size_t *got)
{
    unsigned char *q = p;
    int rc;
    *got = 0;
    if (!s->sealed)
        return ERR_INVALID;
    while (n && off < s->size) {
        uint64_t i = off / SEALED_TMP_CHUNK;
        size_t at = (size_t)(off % SEALED_TMP_CHUNK), k;
        if ((rc = sealed_load(s, i)))
            return rc;
        k = s->pend_len - at;
        if (k > n)
            k = n;
        memcpy(q, s->pend + at, k);
        q += k;
        n -= k;
        off += k;
        *got += k;
    }
    return 0;
}

void
sealed_tmp_free(struct sealed_tmp *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->pend)
        xfree_secret(s->pend, SEALED_TMP_CHUNK);
    xfree(s->ct); /* ciphertext only */
    if (s->tags)
        xfree_secret(s->tags, s->tags_cap * sizeof *s->tags);
    wipe(s->key, sizeof s->key);
    wipe(s->mac_key, sizeof s->mac_key);
    xfree_secret(s, sizeof *s);
}
