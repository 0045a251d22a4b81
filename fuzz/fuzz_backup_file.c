/* fuzz/fuzz_backup_file.c - libFuzzer target for the backup file reader
 * (domain/platform/backup_file.c, issue 12).
 *
 * The first input byte picks the mode. Even: the rest is given to backup_file_open as a
 * backup file - it must fail cleanly (random bytes never authenticate) and leave no dump
 * behind. Odd: the rest is sealed as a dump, one byte of the sealed file (chosen by the
 * input) is flipped or the file cut there, and the result opened: it must either be
 * refused with nothing left behind, or - only when nothing was changed - give back the
 * exact bytes. Files live in a private temporary folder.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "domain/platform/backup_file.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], in_path[96], dump_path[96], out_path[96];

static void
put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f);
    FUZZ_CHECK(n == 0 || fwrite(p, 1, n, f) == n);
    fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kek k;
    struct buf m = BUF_INIT;
    struct backup_header h = { .driver = BACKUP_SQLITE };
    int rc;

    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/jy-fuzz-backup-XXXXXX");
        FUZZ_CHECK(mkdtemp(dir));
        snprintf(in_path, sizeof in_path, "%s/in", dir);
        snprintf(dump_path, sizeof dump_path, "%s/dump", dir);
        snprintf(out_path, sizeof out_path, "%s/out", dir);
    }
    memset(&k, 0x5a, sizeof k);
    if (size == 0)
        return 0;
    unlink(in_path), unlink(dump_path), unlink(out_path);
    if (!(data[0] & 1)) {
        put(in_path, data + 1, size - 1);
        rc = backup_file_open(&k, in_path, &m, out_path, &h);
        FUZZ_CHECK(rc == ERR_CRYPTO || rc == ERR_INVALID);
        FUZZ_CHECK(access(out_path, F_OK) != 0);
    } else {
        size_t at = size > 3 ? (size_t)data[1] << 8 | data[2] : 0;
        bool cut = size > 3 && (data[3] & 1);
        put(dump_path, data + 1, size - 1);
        FUZZ_CHECK(backup_file_seal(&k, &h, "{}", 2, dump_path, in_path) == 0);
        FILE *f = fopen(in_path, "r+b");
        FUZZ_CHECK(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        bool changed = at < (size_t)len;
        if (changed && cut) {
            FUZZ_CHECK(ftruncate(fileno(f), (off_t)at) == 0);
        } else if (changed) {
            int c;
            fseek(f, (long)at, SEEK_SET);
            c = getc(f);
            fseek(f, (long)at, SEEK_SET);
            putc(c ^ 0x01, f);
        }
        fclose(f);
        rc = backup_file_open(&k, in_path, &m, out_path, &h);
        if (changed) {
            FUZZ_CHECK(rc == ERR_CRYPTO || rc == ERR_INVALID);
            FUZZ_CHECK(access(out_path, F_OK) != 0);
        } else {
            FUZZ_CHECK(rc == 0 && m.len == 2 && h.dump_len == size - 1);
        }
    }
    buf_release(&m);
    return 0;
}
