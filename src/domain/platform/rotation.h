/* domain/platform/rotation.h - data-key rotation: re-seal every sealed value under the newest
 * data key, in chunks, resumable, audited (issue 12 "key rotation"; S1 key management, S6).
 *
 * rotation_begin adds a new data-key generation (keystore_add_generation), makes it the one
 * new values are sealed with and records a job in key_rotations (migration 0023); when a job
 * is unfinished already it returns that one instead (so running it again resumes). Serving
 * nodes pick the new key up within their poll period or on SIGHUP (keystore_refresh).
 *
 * rotation_run works the job: for every table of rotation_tables (every sealed column of the
 * schema) it reads rows in primary-key order from the position stored in
 * key_rotation_progress, opens each value whose envelope names another key, seals it under
 * the job's key and writes it back only if the column still holds the value read (a
 * concurrent write wins: it is sealed with the new key already or caught by the next pass);
 * rows, position and counters are committed in the same transaction, one chunk each, so a
 * kill -9 loses at most the chunk in flight, and the next run continues from the stored key.
 * A pass that re-sealed something is followed by another one (values written by nodes that
 * had not picked up the new key yet); a pass that re-sealed nothing finishes the job if it
 * began ROTATION_GRACE_MS after the job (when every node has loaded the key), else the job
 * waits out the rest of the grace and makes one more pass. Values
 * that do not open (damaged, crypto.integrity_failure) are counted and left as they are.
 * Audited: keys.rotate.start, keys.rotate.table (each table of each pass, with its
 * counters), keys.rotate.finish; keys.retire.
 *
 * rotation_count_key counts the sealed values whose envelope names key id (a full scan):
 * rotation_retire refuses (ERR_CONFLICT) unless it is 0 and no job is unfinished, then
 * retires the key (keystore_retire) and audits it.
 *
 * The blind-index key is not rotated here: see docs/ops/key-rotation.md ("blind-index key").
 */
#ifndef JY_DOMAIN_ROTATION_H
#define JY_DOMAIN_ROTATION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/keyring.h"
#include "db/db.h"
#include "domain/platform/app.h"

#define ROTATION_CHUNK_ROWS 1000
#define ROTATION_MAX_PASSES 5
/* Serving nodes load a new key within 10 s (cli/serve.c polls data_keys); a pass that began
 * later than this after the job began cannot miss a value sealed under an older key. */
#define ROTATION_GRACE_MS 15000

/* One table with sealed columns: its primary key (k2 NULL for one column) and its columns
 * with the associated data each is sealed with (one ending in ':' is followed by the row's k1,
 * as the TOTP secret's "users.totp_secret:<user id>"). */
struct rotation_table {
    const char *name, *k1, *k2;
    const char *cols[5];
    const char *ads[5];
};
extern const struct rotation_table rotation_tables[];
extern const size_t rotation_tables_count;

/* Row MACs under a data key (results: crypto/rowmac.h) cannot be recomputed here - their
 * input is an upper layer's - so a caller that has them passes remac: it re-MACs, in one
 * transaction, up to limit rows after *after (row id order) whose mac names another key than
 * to_key, checking each old mac first (a row that fails stays as it is: damaged), advances
 * *after and sets *scanned (0: none left). rotation_run runs it to the end in every pass after
 * the sealed tables, so the finishing pass (after the grace) leaves no mac under an old key;
 * rotation_count_key counts those macs too (rotation_scan.c rotation_mac_counts), so a key is not retired
 * while a mac names it. */
typedef int (*rotation_remac_fn)(struct app *app, struct db *db, uint32_t to_key, size_t limit, int64_t *after,
                                 size_t *scanned);

struct rotation_opts {
    size_t chunk_rows; /* rows per transaction; 0 = ROTATION_CHUNK_ROWS */
    size_t max_chunks; /* stop after this many chunks (test hook, --max-chunks); 0 = no limit */
    rotation_remac_fn remac; /* optional, see above */
};

struct rotation_state {
    int64_t id;        /* 0: no job ever */
    uint32_t to_key;
    int pass;
    int64_t started_at, finished_at; /* finished_at 0 while it runs */
    int64_t pass_started_at;
    bool stopped;      /* rotation_run stopped at max_chunks (or after ROTATION_MAX_PASSES) */
    int64_t chunks;    /* chunks this run committed */
};

/* rotation_begin: see above. The new key is in app->keys on return; st describes the job. */
int rotation_begin(struct app *app, struct db *db, const char *kek_path, struct rotation_state *st);
/* rotation_run: see above. ERR_NOT_FOUND when no job is unfinished. */
int rotation_run(struct app *app, struct db *db, const struct rotation_opts *o, struct rotation_state *st);
/* rotation_latest reads the newest job into st (st->id 0 when none). */
int rotation_latest(struct db *db, struct rotation_state *st);
/* rotation_print writes the keys, the newest job and its per-table progress to f. */
int rotation_print(struct app *app, struct db *db, FILE *f);
/* rotation_count_key: see above. */
int rotation_count_key(struct db *db, uint32_t id, int64_t *count);
/* rotation_retire: see above. kek is needed to wrap what the retired key keeps. */
int rotation_retire(struct app *app, struct db *db, const struct kek *kek, uint32_t id, int64_t *in_use);

#endif
