/* domain/platform/backup_file.h - the sealed backup file format (issue 12; S1, S7, O2).
 *
 * A backup file is a header and a sequence of sealed chunks. It holds a manifest (JSON:
 * the driver, the schema version and the digest of every table of the snapshot) and the
 * database dump (a SQLite database file, or `pg_dump -Fc` output). Neither is stored in
 * the clear: every chunk is SM4-CTR encrypted and tagged with HMAC-SM3.
 *
 * The backup key is NOT a data key of the database: both subkeys are derived by HKDF-SM3
 * from the key file's MAC key (struct kek) with the file's random nonce as salt and the
 * labels "jiayuan backup-enc v1" / "jiayuan backup-mac v1". So a backup opens only with
 * the key file of the deployment (which must be kept apart from the backups), every file
 * has keys of its own, and knowing a data key does not open a backup.
 *
 * Layout (integers big-endian):
 *    0  "JYBACKUP"            8  version (1)        12 driver (1 sqlite, 2 postgres)
 *   16  schema version       20  0                  24 created (ms since the epoch)
 *   32  dump length (bytes)  40  nonce[16]          56 digest[32]  88 header tag[32]
 *  120  chunks: u32 length (at most BACKUP_CHUNK), u32 flags (1 manifest, 2 last),
 *       ciphertext, tag[32]
 * digest = SM3(manifest || dump), the figure that is printed and audited. header tag =
 * HMAC-SM3(mac key, bytes 0..88). chunk i's tag = HMAC-SM3(mac key, bytes 0..56 | u64 i |
 * length | flags | ciphertext); its IV is nonce[0..8] | u32 i | 0. Chunk 0 is the manifest
 * (flag 1) and the dump follows; the last chunk carries flag 2. A flipped byte, a chunk
 * removed, moved or taken from another file, a cut tail or a wrong key file all fail.
 */
#ifndef JY_DOMAIN_BACKUP_FILE_H
#define JY_DOMAIN_BACKUP_FILE_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "crypto/keys.h"

#define BACKUP_HEADER_LEN 120
#define BACKUP_CHUNK ((size_t)1 << 20)
#define BACKUP_MANIFEST_MAX ((size_t)1 << 20)

enum backup_driver { BACKUP_SQLITE = 1, BACKUP_POSTGRES = 2 };

struct backup_header {
    uint32_t version;
    uint32_t driver;          /* enum backup_driver */
    uint32_t schema_version;
    int64_t created_ms;
    uint64_t dump_len;
    uint8_t nonce[16];
    uint8_t digest[SM3_LEN];  /* SM3 of manifest || dump */
};

/* backup_file_seal writes a new backup file at out_path (mode 0600, never over an existing
 * file: ERR_CONFLICT) from manifest[0..manifest_len) and the file dump_path. h supplies
 * driver, schema_version and created_ms; the nonce, dump_len and digest are filled in.
 * ERR_IO on a read or write failure (out_path is then removed), ERR_TOO_LARGE when the
 * manifest is over BACKUP_MANIFEST_MAX. */
int backup_file_seal(const struct kek *kek, struct backup_header *h, const char *manifest,
                     size_t manifest_len, const char *dump_path, const char *out_path);
/* backup_file_open checks and decrypts the backup file in_path: the manifest is appended
 * to manifest (text), the dump written to a new file dump_path (mode 0600), the header
 * returned in h. Nothing is trusted before its tag is checked. ERR_CRYPTO when anything
 * fails to authenticate (tampering, truncation, a wrong key file), ERR_INVALID when it is
 * not a backup file of a known version, ERR_IO on a read/write failure; on any failure
 * dump_path is removed. */
int backup_file_open(const struct kek *kek, const char *in_path, struct buf *manifest,
                     const char *dump_path, struct backup_header *h);

#endif
