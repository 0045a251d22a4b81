/* domain/platform/rotation_index.h - blind-index key rotation for ID numbers: a new index
 * generation, the next index slot filled from the sealed values, then one switch (issue 12
 * "a blind-index key rotation that re-indexes; progress, resumable after kill -9, audited";
 * S1 key management). docs/ops/key-rotation.md, "Blind-index key rotation".
 *
 * Every ID-number index column has two slots (migration 0032: `<col>` and `<col>_b`);
 * index_keys (0031) names the generation each holds. Writers fill both slots, each with the
 * newest generation it holds (crypto/field.h blind_index_slots); lookups read the current
 * generation's slot. index_rotation_begin adds generation G+1, state 'next', in the slot the
 * current generation does not use (keystore_index_add) and records a job (key_rotations kind
 * 'index', to_key = G+1) with per-table progress; an unfinished job is resumed instead. It
 * refuses (ERR_BUSY) within ROTATION_GRACE_MS of the previous switch (a node may still read
 * the slot the new generation is about to overwrite).
 *
 * index_rotation_run fills the next slot of every row of index_rotation_tables: in primary
 * key order from the stored position, chunk by chunk (one transaction each, progress in the
 * same one), it opens the sealed ID number, computes its index under G+1 and writes it where
 * it differs, only if the sealed value is still the one read (compare-and-swap: a concurrent
 * write wins and is caught by the next pass). Passes repeat like rotation_run's until one
 * writes nothing and began ROTATION_GRACE_MS after the job (every node then writes G+1 into
 * the slot itself); then one transaction makes G+1 current and G old (keystore_index_switch).
 * Both slots stay complete throughout - writers keep the old slot too - so lookups are the
 * same before, during and after, whichever slot a node reads. Values that do not open are
 * counted (damaged) and left as they are. Audited: keys.index.start, keys.index.table,
 * keys.index.finish (target index_key:<gen>).
 */
#ifndef JY_DOMAIN_ROTATION_INDEX_H
#define JY_DOMAIN_ROTATION_INDEX_H
#include <stddef.h>

#include "domain/platform/rotation.h"

/* One table with an ID-number index: its two slot columns and the sealed ID column. */
struct index_rotation_table {
    const char *name;
    const char *select[2]; /* id, sealed, slot column; after ?1, LIMIT ?2 */
    const char *update[2]; /* slot column = ?1 WHERE id = ?2 AND sealed = ?3 */
    const char *ad;        /* the sealed column's associated data */
};
extern const struct index_rotation_table index_rotation_tables[];
extern const size_t index_rotation_tables_count;

/* index_rotation_begin / index_rotation_run: see above. st->to_key is the generation. The
 * options are rotation_run's (remac is not used). ERR_NOT_FOUND from run: no job unfinished. */
int index_rotation_begin(struct app *app, struct db *db, const char *kek_path, struct rotation_state *st);
int index_rotation_run(struct app *app, struct db *db, const char *kek_path, const struct rotation_opts *o,
                       struct rotation_state *st);
/* index_rotation_latest reads the newest index job into st (st->id 0 when none). */
int index_rotation_latest(struct db *db, struct rotation_state *st);
/* index_rotation_print writes the newest index job and its per-table progress to f
 * ("index rotation none" when there was none); `keys status` after rotation_print. */
int index_rotation_print(struct db *db, FILE *f);

#endif
