/* domain/platform/backup_file.c - seal and open backup files (format in backup_file.h;
 * issue 12, S1 confidentiality and integrity of backups, O2). Knows nothing of databases:
 * backup.c makes the dump and the manifest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "crypto/sm.h"
#include "crypto/sm3_stream.h"
#include "domain/platform/backup_file.h"

#define BACKUP_MAGIC "JYBACKUP"
#define BACKUP_PREFIX_LEN 56 /* magic .. nonce: what every chunk tag covers */
#define BACKUP_FLAG_MANIFEST 1u
#define BACKUP_FLAG_LAST 2u

struct backup_keys {
    uint8_t enc[SM4_KEY_LEN];
    uint8_t mac[SM3_LEN];
};

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static int
backup_keys_derive(const struct kek *kek, const uint8_t nonce[16], struct backup_keys *k)
{
    if (hkdf_sm3(kek->mac, sizeof kek->mac, nonce, 16, "jiayuan backup-enc v1", k->enc, sizeof k->enc) ||
        hkdf_sm3(kek->mac, sizeof kek->mac, nonce, 16, "jiayuan backup-mac v1", k->mac, sizeof k->mac))
        return ERR_CRYPTO;
    return 0;
}

/* The header's first BACKUP_PREFIX_LEN bytes (digest and tag are added at the end). */
static void
backup_header_prefix(const struct backup_header *h, uint8_t out[BACKUP_HEADER_LEN])
{
    memset(out, 0, BACKUP_HEADER_LEN);
    memcpy(out, BACKUP_MAGIC, 8);
    put32(out + 8, h->version);
    put32(out + 12, h->driver);
    put32(out + 16, h->schema_version);
    put64(out + 24, (uint64_t)h->created_ms);
    put64(out + 32, h->dump_len);
    memcpy(out + 40, h->nonce, 16);
}

/* backup_chunk_tag: HMAC over prefix | index | length | flags | ciphertext. */
static int
backup_chunk_tag(const struct backup_keys *k, const uint8_t *prefix, uint64_t index, uint32_t len,
                 uint32_t flags, const uint8_t *ct, uint8_t tag[SM3_LEN])
{
    uint8_t meta[16];
    put64(meta, index);
    put32(meta + 8, len);
    put32(meta + 12, flags);
    struct sm_part parts[] = { { prefix, BACKUP_PREFIX_LEN }, { meta, sizeof meta }, { ct, len } };
    return hmac_sm3_parts(k->mac, sizeof k->mac, parts, 3, tag);
}

static void
backup_chunk_iv(const uint8_t nonce[16], uint64_t index, uint8_t iv[SM4_BLOCK])
{
    memset(iv, 0, SM4_BLOCK);
    memcpy(iv, nonce, 8);
    put32(iv + 8, (uint32_t)index);
}

/* backup_write_chunk encrypts p[0..n) in place into ct and writes length, flags, ct, tag. */
static int
backup_write_chunk(FILE *f, const struct backup_keys *k, const uint8_t *prefix, uint64_t index,
                   const uint8_t *p, uint32_t n, uint32_t flags, uint8_t *ct)
{
    uint8_t iv[SM4_BLOCK], meta[8], tag[SM3_LEN];
    backup_chunk_iv(prefix + 40, index, iv);
    if (sm4_ctr(k->enc, iv, p, n, ct) || backup_chunk_tag(k, prefix, index, n, flags, ct, tag))
        return ERR_CRYPTO;
    put32(meta, n);
    put32(meta + 4, flags);
    if (fwrite(meta, 1, sizeof meta, f) != sizeof meta || (n && fwrite(ct, 1, n, f) != n) ||
        fwrite(tag, 1, sizeof tag, f) != sizeof tag)
        return ERR_IO;
    return 0;
}

static FILE *
backup_create_file(const char *path, int *rc)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f;
    if (fd < 0) {
        *rc = errno == EEXIST ? ERR_CONFLICT : ERR_IO;
        return NULL;
    }
    if (!(f = fdopen(fd, "wb"))) {
        close(fd);
        unlink(path);
        *rc = ERR_IO;
    }
    return f;
}

/* backup_finish flushes and syncs f, closes it, and removes path when rc says failure. */
static int
backup_finish(FILE *f, const char *path, int rc)
{
    if (f) {
        if (!rc && (fflush(f) != 0 || fsync(fileno(f)) != 0))
            rc = ERR_IO;
        if (fclose(f) != 0 && !rc)
            rc = ERR_IO;
    }
    if (rc && f)
        unlink(path);
    return rc;
}

int
backup_file_seal(const struct kek *kek, struct backup_header *h, const char *manifest,
                 size_t manifest_len, const char *dump_path, const char *out_path)
{
    struct backup_keys k;
    struct sm3_stream md = SM3_STREAM_INIT;
    uint8_t hdr[BACKUP_HEADER_LEN];
    uint8_t *plain = xmalloc(BACKUP_CHUNK), *ct = xmalloc(BACKUP_CHUNK);
    FILE *in = NULL, *out = NULL;
    uint64_t index = 1;
    int rc = ERR_INTERNAL;

    if (manifest_len > BACKUP_MANIFEST_MAX) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if (!(in = fopen(dump_path, "rbe"))) {
        rc = ERR_IO;
        goto out;
    }
    if (!(out = backup_create_file(out_path, &rc)))
        goto out;
    h->version = 1;
    h->dump_len = 0;
    if ((rc = crypto_random(h->nonce, sizeof h->nonce)) || (rc = backup_keys_derive(kek, h->nonce, &k)) ||
        (rc = sm3_stream_init(&md)))
        goto out;
    /* The dump length is only known at the end: the prefix the chunk tags cover says 0
     * there, the final header the real length (the header tag covers it). */
    backup_header_prefix(h, hdr);
    if (fwrite(hdr, 1, sizeof hdr, out) != sizeof hdr) {
        rc = ERR_IO;
        goto out;
    }
    if ((rc = sm3_stream_add(&md, manifest, manifest_len)) ||
        (rc = backup_write_chunk(out, &k, hdr, 0, (const uint8_t *)manifest, (uint32_t)manifest_len,
                                 BACKUP_FLAG_MANIFEST, ct)))
        goto out;
    for (;;) {
        size_t n = fread(plain, 1, BACKUP_CHUNK, in);
        if (n < BACKUP_CHUNK && ferror(in)) {
            rc = ERR_IO;
            goto out;
        }
        int c = n == BACKUP_CHUNK ? getc(in) : EOF;
        bool last = c == EOF;
        if (c != EOF)
            ungetc(c, in);
        if ((rc = sm3_stream_add(&md, plain, n)) ||
            (rc = backup_write_chunk(out, &k, hdr, index++, plain, (uint32_t)n, last ? BACKUP_FLAG_LAST : 0, ct)))
            goto out;
        h->dump_len += n;
        if (last)
            break;
    }
    if ((rc = sm3_stream_final(&md, h->digest)))
        goto out;
    put64(hdr + 32, h->dump_len);
    memcpy(hdr + 56, h->digest, SM3_LEN);
    if (hmac_sm3(k.mac, sizeof k.mac, hdr, 88, hdr + 88) || fseek(out, 0, SEEK_SET) != 0 ||
        fwrite(hdr, 1, sizeof hdr, out) != sizeof hdr) {
        rc = ERR_IO;
        goto out;
    }
    rc = 0;
out:
    sm3_stream_release(&md);
    wipe(&k, sizeof k);
    xfree_secret(plain, BACKUP_CHUNK);
    xfree(ct);
    if (in)
        fclose(in);
    return backup_finish(out, out_path, rc);
}

/* backup_read_header reads and authenticates the header; the prefix the chunk tags cover
 * has dump length 0, as when sealing started. */
static int
backup_read_header(FILE *in, const struct kek *kek, struct backup_header *h, struct backup_keys *k,
                   uint8_t prefix[BACKUP_HEADER_LEN])
{
    uint8_t hdr[BACKUP_HEADER_LEN], tag[SM3_LEN];
    if (fread(hdr, 1, sizeof hdr, in) != sizeof hdr || memcmp(hdr, BACKUP_MAGIC, 8) != 0)
        return ERR_INVALID;
    if (get32(hdr + 8) != 1)
        return ERR_INVALID;
    memset(h, 0, sizeof *h);
    memcpy(h->nonce, hdr + 40, 16);
    if (backup_keys_derive(kek, h->nonce, k) || hmac_sm3(k->mac, sizeof k->mac, hdr, 88, tag))
        return ERR_CRYPTO;
    if (!crypto_equal(tag, hdr + 88, SM3_LEN))
        return ERR_CRYPTO;
    h->version = 1;
    h->driver = get32(hdr + 12);
    h->schema_version = get32(hdr + 16);
    h->created_ms = (int64_t)get64(hdr + 24);
    h->dump_len = get64(hdr + 32);
    memcpy(h->digest, hdr + 56, SM3_LEN);
    memcpy(prefix, hdr, sizeof hdr);
    put64(prefix + 32, 0);
    return 0;
}

/* backup_read_chunk reads chunk index, checks its tag and decrypts it into plain. */
static int
backup_read_chunk(FILE *in, const struct backup_keys *k, const uint8_t *prefix, uint64_t index,
                  uint8_t *ct, uint8_t *plain, uint32_t *n, uint32_t *flags)
{
    uint8_t meta[8], tag[SM3_LEN], want[SM3_LEN], iv[SM4_BLOCK];
    if (fread(meta, 1, sizeof meta, in) != sizeof meta)
        return ERR_CRYPTO; /* cut short */
    *n = get32(meta);
    *flags = get32(meta + 4);
    if (*n > BACKUP_CHUNK || fread(ct, 1, *n, in) != *n || fread(tag, 1, sizeof tag, in) != sizeof tag)
        return ERR_CRYPTO;
    if (backup_chunk_tag(k, prefix, index, *n, *flags, ct, want) || !crypto_equal(tag, want, SM3_LEN))
        return ERR_CRYPTO;
    backup_chunk_iv(prefix + 40, index, iv);
    return sm4_ctr(k->enc, iv, ct, *n, plain) ? ERR_CRYPTO : 0;
}

int
backup_file_open(const struct kek *kek, const char *in_path, struct buf *manifest, const char *dump_path,
                 struct backup_header *h)
{
    struct backup_keys k;
    struct sm3_stream md = SM3_STREAM_INIT;
    uint8_t prefix[BACKUP_HEADER_LEN], digest[SM3_LEN];
    uint8_t *plain = xmalloc(BACKUP_CHUNK), *ct = xmalloc(BACKUP_CHUNK);
    FILE *in = NULL, *out = NULL;
    uint64_t index = 0, total = 0;
    uint32_t n = 0, flags = 0;
    int rc = ERR_INTERNAL;

    memset(&k, 0, sizeof k);
    if (!(in = fopen(in_path, "rbe"))) {
        rc = ERR_IO;
        goto out;
    }
    if ((rc = backup_read_header(in, kek, h, &k, prefix)) || (rc = sm3_stream_init(&md)))
        goto out;
    if ((rc = backup_read_chunk(in, &k, prefix, index++, ct, plain, &n, &flags)))
        goto out;
    if (flags != BACKUP_FLAG_MANIFEST) {
        rc = ERR_CRYPTO;
        goto out;
    }
    buf_add(manifest, plain, n);
    if ((rc = sm3_stream_add(&md, plain, n)) || !(out = backup_create_file(dump_path, &rc)))
        goto out;
    do {
        if ((rc = backup_read_chunk(in, &k, prefix, index++, ct, plain, &n, &flags)))
            goto out;
        if ((flags & ~BACKUP_FLAG_LAST) != 0) {
            rc = ERR_CRYPTO;
            goto out;
        }
        if ((rc = sm3_stream_add(&md, plain, n)))
            goto out;
        if (n && fwrite(plain, 1, n, out) != n) {
            rc = ERR_IO;
            goto out;
        }
        total += n;
    } while (!(flags & BACKUP_FLAG_LAST));
    if ((rc = sm3_stream_final(&md, digest)))
        goto out;
    /* Bytes after the last chunk, a length or digest that disagrees: not this file. */
    if (getc(in) != EOF || total != h->dump_len || !crypto_equal(digest, h->digest, SM3_LEN)) {
        rc = ERR_CRYPTO;
        goto out;
    }
    rc = buf_error(manifest) ? ERR_TOO_LARGE : 0;
out:
    sm3_stream_release(&md);
    wipe(&k, sizeof k);
    xfree_secret(plain, BACKUP_CHUNK);
    xfree(ct);
    if (in)
        fclose(in);
    return backup_finish(out, dump_path, rc);
}
