/* crypto/keyring.c - the key-encryption key file and the in-memory keyring of data keys (S1,
 * S6 confidentiality and residual information). The KEK file holds 32 random bytes from
 * which two keys are derived with HKDF-SM3 to wrap data keys in the field envelope format;
 * each data key yields one subkey per purpose, again by HKDF-SM3 with its own label. Where
 * wrapped data keys are stored and when keys rotate is domain/platform/keystore.c's business.
 */
#include "crypto/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "crypto/field.h"

#define KEK_RAW_LEN 32
#define KEK_MAGIC "jiayuan-kek v1 "
#define KEK_FILE_MAX 256

/* HKDF info labels: one per purpose, never reused. */
#define LABEL_KEK_ENC "jiayuan kek-enc v1"
#define LABEL_KEK_MAC "jiayuan kek-mac v1"
#define LABEL_FIELD_ENC "jiayuan field-enc v1"
#define LABEL_FIELD_MAC "jiayuan field-mac v1"
#define LABEL_BLIND "jiayuan blind-index v1"
#define LABEL_AUDIT "jiayuan audit-chain v1"
#define LABEL_TOKEN "jiayuan token-hash v1"
#define LABEL_PLAY "jiayuan play-url v1"

/* keyring_mkdirs creates the folders leading to path with mode 0700; folders that exist
 * already are left as they are. */
static int
keyring_mkdirs(const char *path)
{
    char *dir = xstrdup(path);
    int rc = ERR_IO;

    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            goto out;
        *p = '/';
    }
    rc = 0;
out:
    xfree(dir);
    return rc;
}

static int
keyring_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* keyring_sync_parent makes the new directory entry durable (best effort). */
static void
keyring_sync_parent(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            (void)fsync(fd);
            close(fd);
        }
    }
    xfree(dir);
}

int
keyring_kek_create(const char *path)
{
    uint8_t raw[KEK_RAW_LEN];
    struct buf text = BUF_INIT;
    int fd = -1, rc = ERR_INVALID;
    bool created = false;

    if (!path || !*path)
        goto out;
    if ((rc = keyring_mkdirs(path)))
        goto out;
    if ((rc = crypto_random(raw, sizeof raw)))
        goto out;
    buf_adds(&text, KEK_MAGIC);
    hex_encode(&text, raw, sizeof raw);
    buf_addch(&text, '\n');
    if (buf_error(&text)) {
        rc = ERR_INTERNAL;
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? ERR_CONFLICT : ERR_IO;
        goto out;
    }
    created = true;
    rc = ERR_IO;
    if (fchmod(fd, 0600) != 0) /* whatever the umask */
        goto out;
    if (keyring_write_all(fd, text.data, text.len) || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    keyring_sync_parent(path);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc && created)
        unlink(path);
    wipe(raw, sizeof raw);
    buf_release_secret(&text);
    return rc;
}

/* keyring_kek_parse checks "jiayuan-kek v1 <64 hex>" with an optional final newline. */
static int
keyring_kek_parse(const char *s, size_t n, uint8_t raw[KEK_RAW_LEN])
{
    size_t magic = strlen(KEK_MAGIC), got = 0;

    if (n && s[n - 1] == '\n')
        n--;
    if (n != magic + 2 * KEK_RAW_LEN || memcmp(s, KEK_MAGIC, magic) != 0)
        return ERR_INVALID;
    if (hex_decode(s + magic, 2 * KEK_RAW_LEN, raw, KEK_RAW_LEN, &got) || got != KEK_RAW_LEN)
        return ERR_INVALID;
    return 0;
}

int
keyring_kek_load(const char *path, struct kek *out)
{
    char text[KEK_FILE_MAX + 1];
    uint8_t raw[KEK_RAW_LEN];
    struct stat st;
    size_t len = 0;
    int fd = -1, rc = ERR_INVALID;

    if (!path || !*path || !out)
        goto out;
    /* issue 12: never through a symbolic link (a link planted in place of the key file) */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rc = (errno == ENOENT || errno == ENOTDIR) ? ERR_NOT_FOUND
             : (errno == EACCES || errno == ELOOP)  ? ERR_FORBIDDEN
                                                   : ERR_IO;
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = ERR_IO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((st.st_mode & 077) || st.st_uid != geteuid()) { /* group/world access, or another owner */
        rc = ERR_FORBIDDEN;
        goto out;
    }
    while (len < sizeof text) {
        ssize_t r = read(fd, text + len, sizeof text - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ERR_IO;
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > KEK_FILE_MAX || (rc = keyring_kek_parse(text, len, raw))) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = hkdf_sm3(raw, sizeof raw, NULL, 0, LABEL_KEK_ENC, out->enc, sizeof out->enc)) ||
        (rc = hkdf_sm3(raw, sizeof raw, NULL, 0, LABEL_KEK_MAC, out->mac, sizeof out->mac))) {
        kek_wipe(out);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    wipe(text, sizeof text);
    wipe(raw, sizeof raw);
    return rc;
}

/* keyring_kek_key presents the KEK's two keys as a data key with id, for the envelope. */
static void
keyring_kek_key(const struct kek *kek, uint32_t id, struct datakey *k)
{
    memset(k, 0, sizeof *k);
    k->id = id;
    memcpy(k->field_enc, kek->enc, sizeof k->field_enc);
    memcpy(k->field_mac, kek->mac, sizeof k->field_mac);
}

static void
keyring_wrap_ad(uint32_t id, char ad[32])
{
    snprintf(ad, 32, "data_key:%u", (unsigned)id);
}

int
keyring_wrap(const struct kek *kek, uint32_t id, const uint8_t raw[DATA_KEY_LEN], uint8_t *out,
             size_t cap, size_t *n)
{
    struct datakey k;
    char ad[32];
    int rc;

    keyring_kek_key(kek, id, &k);
    keyring_wrap_ad(id, ad);
    rc = field_seal_with(&k, ad, raw, DATA_KEY_LEN, out, cap, n);
    wipe(&k, sizeof k);
    return rc;
}

/* keyring_open_wrapped opens n bytes wrapped under the KEK with ad into raw[len]. */
static int
keyring_open_wrapped(const struct kek *kek, uint32_t id, const char *ad, const uint8_t *wrapped, size_t n,
                     uint8_t *raw, size_t len)
{
    struct datakey k;
    uint8_t plain[KEYRING_RETIRED_LEN + 1];
    size_t got = 0;
    int rc = ERR_CRYPTO;

    keyring_kek_key(kek, id, &k);
    if (len > KEYRING_RETIRED_LEN || n != FIELD_SEALED_LEN(len))
        goto out;
    if (field_open_with(&k, ad, wrapped, n, plain, sizeof plain, &got) || got != len)
        goto out;
    memcpy(raw, plain, len);
    rc = 0;
out:
    wipe(&k, sizeof k);
    wipe(plain, sizeof plain);
    return rc;
}

int
keyring_unwrap(const struct kek *kek, uint32_t id, const uint8_t *wrapped, size_t n,
               uint8_t raw[DATA_KEY_LEN])
{
    char ad[32];
    keyring_wrap_ad(id, ad);
    return keyring_open_wrapped(kek, id, ad, wrapped, n, raw, DATA_KEY_LEN);
}

static void
keyring_retired_ad(uint32_t id, char ad[40])
{
    snprintf(ad, 40, "retired_key:%u", (unsigned)id);
}

int
keyring_wrap_retired(const struct kek *kek, const struct datakey *dk, uint8_t *out, size_t cap, size_t *n)
{
    uint8_t keep[KEYRING_RETIRED_LEN];
    struct datakey k;
    char ad[40];
    int rc;

    memcpy(keep, dk->blind, SM3_LEN);
    memcpy(keep + SM3_LEN, dk->audit, SM3_LEN);
    memcpy(keep + 2 * SM3_LEN, dk->token, SM3_LEN);
    memcpy(keep + 3 * SM3_LEN, dk->play, SM3_LEN);
    keyring_kek_key(kek, dk->id, &k);
    keyring_retired_ad(dk->id, ad);
    rc = field_seal_with(&k, ad, keep, sizeof keep, out, cap, n);
    wipe(&k, sizeof k);
    wipe(keep, sizeof keep);
    return rc;
}

int
keyring_add_retired(struct keyring *kr, const struct kek *kek, uint32_t id, const uint8_t *wrapped, size_t n)
{
    uint8_t keep[KEYRING_RETIRED_LEN];
    struct datakey *k;
    char ad[40];
    int rc;

    if (kr->n >= KEYRING_MAX)
        return ERR_TOO_LARGE;
    if (keyring_find(kr, id))
        return ERR_CONFLICT;
    keyring_retired_ad(id, ad);
    if ((rc = keyring_open_wrapped(kek, id, ad, wrapped, n, keep, sizeof keep)))
        return rc;
    k = &kr->keys[kr->n];
    memset(k, 0, sizeof *k); /* no field keys: nothing opens under a retired key */
    k->id = id;
    k->retired = true;
    memcpy(k->blind, keep, SM3_LEN);
    memcpy(k->audit, keep + SM3_LEN, SM3_LEN);
    memcpy(k->token, keep + 2 * SM3_LEN, SM3_LEN);
    memcpy(k->play, keep + 3 * SM3_LEN, SM3_LEN);
    wipe(keep, sizeof keep);
    __atomic_store_n(&kr->n, kr->n + 1, __ATOMIC_RELEASE);
    return 0;
}

static void
keyring_index_ad(uint32_t gen, char ad[32])
{
    snprintf(ad, 32, "index_key:%u", (unsigned)gen);
}

int
keyring_wrap_index(const struct kek *kek, uint32_t gen, const uint8_t raw[DATA_KEY_LEN], uint8_t *out, size_t cap,
                   size_t *n)
{
    struct datakey k;
    char ad[32];
    int rc;

    keyring_kek_key(kek, gen, &k);
    keyring_index_ad(gen, ad);
    rc = field_seal_with(&k, ad, raw, DATA_KEY_LEN, out, cap, n);
    wipe(&k, sizeof k);
    return rc;
}

int
keyring_unwrap_index(const struct kek *kek, uint32_t gen, const uint8_t *wrapped, size_t n,
                     uint8_t blind[SM3_LEN])
{
    uint8_t raw[DATA_KEY_LEN];
    char ad[32];
    int rc;

    keyring_index_ad(gen, ad);
    if (!(rc = keyring_open_wrapped(kek, gen, ad, wrapped, n, raw, sizeof raw)))
        rc = hkdf_sm3(raw, sizeof raw, NULL, 0, LABEL_BLIND, blind, SM3_LEN);
    wipe(raw, sizeof raw);
    return rc;
}

int
keyring_add(struct keyring *kr, uint32_t id, const uint8_t raw[DATA_KEY_LEN])
{
    struct datakey *k;
    int rc;

    if (kr->n >= KEYRING_MAX)
        return ERR_TOO_LARGE;
    if (keyring_find(kr, id))
        return ERR_CONFLICT;
    k = &kr->keys[kr->n];
    k->id = id;
    if ((rc = hkdf_sm3(raw, DATA_KEY_LEN, NULL, 0, LABEL_FIELD_ENC, k->field_enc,
                       sizeof k->field_enc)) ||
        (rc = hkdf_sm3(raw, DATA_KEY_LEN, NULL, 0, LABEL_FIELD_MAC, k->field_mac,
                       sizeof k->field_mac)) ||
        (rc = hkdf_sm3(raw, DATA_KEY_LEN, NULL, 0, LABEL_BLIND, k->blind, sizeof k->blind)) ||
        (rc = hkdf_sm3(raw, DATA_KEY_LEN, NULL, 0, LABEL_AUDIT, k->audit, sizeof k->audit)) ||
        (rc = hkdf_sm3(raw, DATA_KEY_LEN, NULL, 0, LABEL_TOKEN, k->token, sizeof k->token)) ||
        (rc = hkdf_sm3(raw, DATA_KEY_LEN, NULL, 0, LABEL_PLAY, k->play, sizeof k->play))) {
        wipe(k, sizeof *k);
        return rc;
    }
    k->retired = false;
    __atomic_store_n(&kr->n, kr->n + 1, __ATOMIC_RELEASE); /* publish the whole slot */
    __atomic_store_n(&kr->active, id, __ATOMIC_RELEASE);
    return 0;
}
