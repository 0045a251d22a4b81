/* crypto/sealed_tmp.h - a sealed temporary file: an upload or an export that is too large to
 * hold in memory, kept on disk only as ciphertext (issue 12, S1, S6).
 *
 * The file has no name: it is created with O_TMPFILE in the given folder (or opened with a
 * random name and unlinked at once where the file system lacks O_TMPFILE), mode 0600, so
 * nothing is left behind when the process ends or the request is aborted, and nothing can be
 * opened by path. Every byte is encrypted with SM4-CTR under an ephemeral key drawn for this
 * one file and held only in memory (wiped on close); each 64 KiB chunk carries an HMAC-SM3
 * tag (over its index, length and ciphertext) under a second ephemeral key, kept in memory
 * too. A chunk read back is checked before it is decrypted, so a flipped byte, a swapped or
 * cut chunk gives ERR_CRYPTO, never altered plaintext. CTR lets any byte range be read
 * without decrypting what comes before it (random access for the workbook reader).
 *
 * Life cycle: sealed_tmp_new, any number of sealed_tmp_write (appends), sealed_tmp_seal,
 * then any number of sealed_tmp_pread; sealed_tmp_free at any point. One thread at a time.
 * Memory: one plaintext chunk, one ciphertext chunk and SM3_LEN bytes of tag per chunk
 * (33 KiB of tags for a 65 MiB upload).
 */
#ifndef JY_CRYPTO_SEALED_TMP_H
#define JY_CRYPTO_SEALED_TMP_H
#include <stddef.h>
#include <stdint.h>

#define SEALED_TMP_CHUNK ((size_t)64 << 10)

struct sealed_tmp;

/* sealed_tmp_new creates an empty sealed file in dir (which must exist): 0, ERR_IO (the
 * folder cannot take the file) or ERR_CRYPTO (no randomness). */
int sealed_tmp_new(const char *dir, struct sealed_tmp **out);
/* sealed_tmp_write appends p[0..n): 0, ERR_IO (disk full, write error), ERR_CRYPTO, or
 * ERR_INVALID after sealed_tmp_seal. */
int sealed_tmp_write(struct sealed_tmp *s, const void *p, size_t n);
/* sealed_tmp_seal writes the last partial chunk; the file is read-only afterwards. Sealing
 * twice is fine. */
int sealed_tmp_seal(struct sealed_tmp *s);
/* sealed_tmp_size returns the plaintext bytes written. */
uint64_t sealed_tmp_size(const struct sealed_tmp *s);
/* sealed_tmp_pread copies up to n plaintext bytes from offset off into p and sets *got
 * (less than n only at the end; 0 at or past the end). ERR_INVALID before the seal,
 * ERR_CRYPTO when a chunk fails its tag (the file was altered), ERR_IO on a read error. */
int sealed_tmp_pread(struct sealed_tmp *s, void *p, size_t n, uint64_t off, size_t *got);
/* sealed_tmp_fd is the descriptor of the ciphertext file (tests look at its contents
 * through /proc; never read plaintext from it). */
int sealed_tmp_fd(const struct sealed_tmp *s);
/* sealed_tmp_free closes the file (its blocks are freed by the kernel) and wipes the keys
 * and buffers; NULL is fine. */
void sealed_tmp_free(struct sealed_tmp *s);

#endif
