/* tests/unit/domain/platform/test_backup_file.c - the sealed backup file format of
 * domain/platform/backup_file.h (issue 12; S1, S7): round trips (empty dump, exactly one
 * chunk, several chunks), and every kind of damage refused with nothing left behind: a
 * flipped byte in the header, in a chunk's length, ciphertext or tag, a cut tail, an extra
 * byte, two chunks swapped, another key file; and an existing output never overwritten.
 * No database: the format knows nothing of one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "crypto/sm.h"
#include "domain/platform/backup_file.h"

static char g_dir[256];

static void
path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void
write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void
read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t got;
    assert_non_null(f);
    buf_init(out, (size_t)64 << 20);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, got);
    fclose(f);
}

static void
kek_of(struct kek *k, uint8_t seed)
{
    memset(k->enc, seed, sizeof k->enc);
    memset(k->mac, seed + 1, sizeof k->mac);
}

/* seal makes a backup of n pseudo-random bytes; returns them in plain. */
static void
seal(const struct kek *k, size_t n, const char *out, struct buf *plain)
{
    char dump[300];
    struct backup_header h = { .driver = BACKUP_SQLITE, .schema_version = 16, .created_ms = 1234 };
    buf_init(plain, (size_t)64 << 20);
    for (size_t i = 0; i < n; i++)
        buf_addch(plain, (char)(i * 131 + i / 7));
    path_of(dump, sizeof dump, "dump.in");
    write_file(dump, plain->data, plain->len);
    unlink(out);
    assert_int_equal(backup_file_seal(k, &h, "{\"m\":1}", 7, dump, out), 0);
    assert_int_equal(h.dump_len, n);
    unlink(dump);
}

/* open_into opens in with k; on success checks manifest and dump equal what was sealed. */
static int
open_into(const struct kek *k, const char *in, const struct buf *plain)
{
    char dump[300];
    struct buf m = BUF_INIT, got = BUF_INIT;
    struct backup_header h;
    path_of(dump, sizeof dump, "dump.out");
    unlink(dump);
    int rc = backup_file_open(k, in, &m, dump, &h);
    if (rc == 0) {
        assert_string_equal(m.data, "{\"m\":1}");
        read_file(dump, &got);
        assert_int_equal(got.len, plain->len);
        assert_memory_equal(got.data, plain->data, plain->len);
        assert_int_equal(h.schema_version, 16);
        assert_int_equal(h.driver, BACKUP_SQLITE);
        assert_int_equal(h.created_ms, 1234);
        unlink(dump);
    } else {
        assert_int_not_equal(access(dump, F_OK), 0); /* nothing left behind */
    }
    buf_release(&m);
    buf_release(&got);
    return rc;
}

static void
test_round_trips(void **state)
{
    (void)state;
    struct kek k;
    struct buf plain = BUF_INIT;
    char out[300];
    const size_t sizes[] = { 0, 1, BACKUP_CHUNK, BACKUP_CHUNK + 1, 3 * BACKUP_CHUNK + 17 };
    kek_of(&k, 7);
    path_of(out, sizeof out, "b.jybak");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        seal(&k, sizes[i], out, &plain);
        assert_int_equal(open_into(&k, out, &plain), 0);
        buf_release(&plain);
    }
    unlink(out);
}

/* mutate writes a copy of file with fn applied and returns the restore result. */
static int
damaged(const struct kek *k, const char *file, const struct buf *plain, size_t at, int how)
{
    struct buf b = BUF_INIT;
    char bad[300];
    path_of(bad, sizeof bad, "bad.jybak");
    read_file(file, &b);
    if (how == 0) {          /* flip one bit */
        b.data[at] ^= 0x10;
    } else if (how == 1) {   /* cut the tail from at */
        b.len = at;
    } else if (how == 2) {   /* one extra byte */
        buf_addch(&b, 'x');
    }
    write_file(bad, b.data, b.len);
    buf_release(&b);
    int rc = open_into(k, bad, plain);
    unlink(bad);
    return rc;
}

static void
test_damage_refused(void **state)
{
    (void)state;
    struct kek k, other;
    struct buf plain = BUF_INIT, b = BUF_INIT;
    char out[300], bad[300];
    /* two full chunks and a short one; chunk i (i >= 1) starts at 120 + 8 + 7 + 32 + (i-1) * (8 + CHUNK + 32) */
    const size_t c1 = BACKUP_HEADER_LEN + 8 + 7 + 32, step = 8 + BACKUP_CHUNK + 32;
    kek_of(&k, 7);
    kek_of(&other, 9);
    path_of(out, sizeof out, "d.jybak");
    seal(&k, 2 * BACKUP_CHUNK + 100, out, &plain);
    assert_int_equal(open_into(&k, out, &plain), 0);
    assert_int_equal(damaged(&k, out, &plain, 0, 0), ERR_INVALID);         /* the magic */
    assert_int_equal(damaged(&k, out, &plain, 13, 0), ERR_CRYPTO);         /* the driver */
    assert_int_equal(damaged(&k, out, &plain, 60, 0), ERR_CRYPTO);         /* the digest */
    assert_int_equal(damaged(&k, out, &plain, 100, 0), ERR_CRYPTO);        /* the header tag */
    assert_int_equal(damaged(&k, out, &plain, BACKUP_HEADER_LEN + 9, 0), ERR_CRYPTO); /* manifest ciphertext */
    assert_int_equal(damaged(&k, out, &plain, c1 + 2, 0), ERR_CRYPTO);     /* a length */
    assert_int_equal(damaged(&k, out, &plain, c1 + 7, 0), ERR_CRYPTO);     /* the flags */
    assert_int_equal(damaged(&k, out, &plain, c1 + 8 + 5000, 0), ERR_CRYPTO);       /* ciphertext */
    assert_int_equal(damaged(&k, out, &plain, c1 + 8 + BACKUP_CHUNK + 3, 0), ERR_CRYPTO); /* a tag */
    assert_int_equal(damaged(&k, out, &plain, c1 + step, 1), ERR_CRYPTO);  /* the last chunks cut */
    assert_int_equal(damaged(&k, out, &plain, c1 + 2 * step - 1, 1), ERR_CRYPTO);
    assert_int_equal(damaged(&k, out, &plain, 0, 2), ERR_CRYPTO);          /* a byte appended */
    assert_int_equal(open_into(&other, out, &plain), ERR_CRYPTO);          /* another key file */

    /* chunks 1 and 2 swapped (both full size) */
    read_file(out, &b);
    char *tmp = malloc(step);
    assert_non_null(tmp);
    memcpy(tmp, b.data + c1, step);
    memmove(b.data + c1, b.data + c1 + step, step);
    memcpy(b.data + c1 + step, tmp, step);
    free(tmp);
    path_of(bad, sizeof bad, "swap.jybak");
    write_file(bad, b.data, b.len);
    assert_int_equal(open_into(&k, bad, &plain), ERR_CRYPTO);
    unlink(bad);

    /* nothing of the plaintext is in the file */
    assert_null(memmem(b.data, b.len, plain.data + 4096, 64));
    buf_release(&b);
    buf_release(&plain);
    unlink(out);
}

static void
test_never_overwrites(void **state)
{
    (void)state;
    struct kek k;
    struct backup_header h = { .driver = BACKUP_SQLITE };
    char out[300], dump[300];
    kek_of(&k, 3);
    path_of(out, sizeof out, "exists.jybak");
    path_of(dump, sizeof dump, "exists.in");
    write_file(out, "keep", 4);
    write_file(dump, "x", 1);
    assert_int_equal(backup_file_seal(&k, &h, "{}", 2, dump, out), ERR_CONFLICT);
    struct buf b = BUF_INIT;
    read_file(out, &b);
    assert_int_equal(b.len, 4);
    buf_release(&b);
    unlink(out);
    unlink(dump);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_damage_refused),
        cmocka_unit_test(test_never_overwrites),
    };
    snprintf(g_dir, sizeof g_dir, "%s/jy-backup-file-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return 1;
    int rc = cmocka_run_group_tests_name("backup_file", tests, NULL, NULL);
    rmdir(g_dir);
    return rc;
}
