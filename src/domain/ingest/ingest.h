/* domain/ingest/ingest.h - validated, idempotent, batched ingest of upstream records (R2.1-R2.6).
 *
 * Every resource that upstream systems push (sites, plans, planned, actuals, samples,
 * transports, results, check-ins) is an ingest kind: a parse function that validates one
 * JSON object into a record, and a store function that writes one record. ingest_run takes
 * one object or an array of them and:
 *   1. parses every item; a bad item is REJECTED with the field and a reason, never fixed
 *      and never sinking the batch;
 *   2. in ONE transaction stores every valid item; a (source, external_id) seen before is a
 *      DUPLICATE (not stored twice); counters and outbox events the kinds accumulated are
 *      flushed; one audit entry records the batch; commit. Acknowledged means committed;
 *      a storage error fails the whole batch and nothing is acknowledged.
 *   3. after the commit, push/ is woken to deliver the new outbox events.
 * Write scope: an actor bound to a subdistrict (subdistrict account or scoped token) may
 * only write records of that subdistrict; kinds check it with ingest_in_scope.
 *
 * Lock order inside the transaction: outbox head, then audit head (ingest_run does both in
 * that order; any other path that takes both must too).
 *
 * The end of this header also holds what the modules of upstream resources share beyond
 * their kinds: row helpers for their reads, and the steps of a change made outside
 * ingest_run (update, delete, correction) in the same lock order.
 */
#ifndef JY_DOMAIN_INGEST_H
#define JY_DOMAIN_INGEST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"

#define INGEST_BATCH_MAX 10000 /* items in one request (documented in the API) */

enum ingest_status { INGEST_ACCEPTED, INGEST_DUPLICATE, INGEST_REJECTED };

struct ingest_outcome {
    enum ingest_status status;
    int64_t id;         /* accepted: the new row id */
    const char *field;  /* rejected: the offending field (static or arena) */
    char reason[160];   /* rejected: English reason; never contains personal data */
    int code;           /* rejected: 0 (= ERR_INVALID, a bad record), ERR_CONFLICT (a good
                         * record the resource's state refuses, e.g. a locked plan) or
                         * ERR_FORBIDDEN (its source belongs to another writer) */
};

struct ingest;

struct ingest_kind {
    const char *name;   /* resource name, e.g. "samples": audit action "<name>.ingest" */
    size_t record_size; /* bytes of the kind's record struct */
    size_t state_size;  /* bytes of per-batch state the kind may use (0 = none) */
    /* parse: validate obj into rec (zeroed). Strings may point into obj (alive for the
     * batch) or into ingest_arena. Return 0, or the ERR_INVALID of ingest_reject. */
    int (*parse)(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out);
    /* store: write one parsed record inside the open transaction; set out->id. Return 0,
     * ERR_CONFLICT for a duplicate (source, external_id), ERR_INVALID (after ingest_reject)
     * for a rule that needs the database (e.g. unknown site), anything else fails the batch.
     * On PostgreSQL any failed statement aborts the transaction, so a store must never let
     * a constraint fail: insert with "ON CONFLICT (source, external_id) DO NOTHING RETURNING
     * id" (no row = duplicate) and check references before writing. */
    int (*store)(struct ingest *ing, void *rec, struct ingest_outcome *out);
    /* finish (may be NULL): after all stores, inside the transaction (aggregate events). */
    int (*finish)(struct ingest *ing);
    /* release (may be NULL): frees what the state holds outside the arena; called by
     * ingest_run at the end whether finish ran or not (a failed write skips finish), so it
     * must be safe after finish. */
    void (*release)(struct ingest *ing);
};

/* ingest_run ingests items (one JSON object, or an array of at most INGEST_BATCH_MAX).
 * *outcomes (xmalloc'd, free with xfree) gets one entry per item in order; *accepted the
 * count stored. Returns ERR_INVALID for a malformed batch (not an object/array, too many
 * items), ERR_DB etc. when the transaction failed (nothing was stored). */
int ingest_run(struct app *app, struct db *db, const struct actor *a, const struct ingest_kind *kind,
               json_t *items, struct ingest_outcome **outcomes, size_t *n, size_t *accepted);
/* ingest_submit is ingest_run for request handlers: with app->writer set (serve), step 2
 * runs through the group-commit writer (db/db_writer.h) - the request's transaction is one
 * savepoint of a group that commits with one fsync, and the reply waits for that commit;
 * without a writer it is ingest_run. With the writer's write_group hooks (serve) the
 * request's counters, events and audit entry are folded into the group and written once
 * per group at its close (domain/platform/write_group.h): a failure there fails the whole
 * group. The caller must hold no transaction on db (the writer
 * would wait for it on SQLite). Parsing and validation stay on the caller's thread. */
int ingest_submit(struct app *app, struct db *db, const struct actor *a, const struct ingest_kind *kind,
                  json_t *items, struct ingest_outcome **outcomes, size_t *n, size_t *accepted);

/* Context accessors for kinds. */
struct db *ingest_db(struct ingest *ing);
struct app *ingest_app(struct ingest *ing);
const struct actor *ingest_actor(struct ingest *ing);
struct arena *ingest_arena(struct ingest *ing);
void *ingest_state(struct ingest *ing);
int64_t ingest_now(struct ingest *ing);

/* ingest_reject marks out rejected with field and a reason; returns ERR_INVALID. */
int ingest_reject(struct ingest_outcome *out, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ingest_is_code: does s[0..n) hold only [A-Za-z0-9._:-], the characters of codes? (For
 * codes a kind reads itself, e.g. out of an array.) */
bool ingest_is_code(const char *s, size_t n);

/* Field readers for parse functions. Each returns 0 or ERR_INVALID after ingest_reject
 * naming the field. required=false: an absent or null field leaves *out untouched. */
/* ingest_known_keys rejects an object holding a key not in known (NULL-terminated). */
int ingest_known_keys(json_t *obj, const char *const *known, struct ingest_outcome *out);
#define INGEST_SOURCE_MAX 64
#define INGEST_OWNER_MAX 32
/* Source binding (issue 12): a `source` belongs to the first token or account that writes
 * with it (table ingest_sources, owner "token:N" / "user:N"); ingest_run rejects the items
 * of any other writer that names it (outcome code ERR_FORBIDDEN, field "source"), so a
 * writer's idempotency keys cannot pre-claim another source's records. The console
 * (ACTOR_SYSTEM) is trusted and binds nothing; it may bind a source ahead of its first use.
 * ingest_source_owner writes the owner name of actor a (ERR_NOT_FOUND for the console);
 * ingest_source_bind binds source to owner when unbound and reports whether owner holds it. */
int ingest_source_owner(const struct actor *a, char out[INGEST_OWNER_MAX]);
int ingest_source_bind(struct db *db, const char *source, const char *owner, int64_t now, bool *mine);
/* ingest_source reads "source" and "external_id" (1..64 bytes of [A-Za-z0-9._:-]). */
int ingest_source(json_t *obj, const char **source, const char **external_id, struct ingest_outcome *out);
/* ingest_text: a string of 1..max bytes, valid UTF-8, no control characters. */
int ingest_text(json_t *obj, const char *key, bool required, size_t max, const char **s, struct ingest_outcome *out);
/* ingest_code: 1..max bytes of [A-Za-z0-9._:-] (codes: tube, site, box, plan numbers). */
int ingest_code(json_t *obj, const char *key, bool required, size_t max, const char **s, struct ingest_outcome *out);
/* ingest_enum: one of values (NULL-terminated list). */
int ingest_enum(json_t *obj, const char *key, bool required, const char *const *values, const char **s,
                struct ingest_outcome *out);
/* ingest_int: an integer in [min, max]. */
int ingest_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *v,
               struct ingest_outcome *out);
/* ingest_time: RFC 3339 with offset, or integer ms since the epoch; after 2019-01-01 and
 * not more than 10 minutes in the future (relative to now_ms). */
int ingest_time(json_t *obj, const char *key, bool required, int64_t now_ms, int64_t *ms,
                struct ingest_outcome *out);
/* ingest_coord reads lon/lat (WGS-84 degrees) into micro-degrees; both or neither; the
 * point must be inside the service box (Beijing: lon 115.4..117.6, lat 39.4..41.1). */
int ingest_coord(json_t *obj, const char *lon_key, const char *lat_key, bool required, int64_t *lon_e6,
                 int64_t *lat_e6, struct ingest_outcome *out);
/* ingest_idno: a national ID number, normalised (cosmetic fixes and 15->18 accepted); an
 * invalid one is rejected with its status code (bad_checksum, bad_date …), never fixed. */
int ingest_idno(json_t *obj, const char *key, char out_id[19], struct ingest_outcome *out);
/* ingest_subdistrict: a known subdistrict code (9 digits). */
int ingest_subdistrict(struct ingest *ing, json_t *obj, const char *key, bool required, const char **code,
                       struct ingest_outcome *out);

/* Lookups cached for the batch. ERR_INVALID (rejected, naming field) when unknown. */
struct ingest_site {
    int64_t id;
    const char *code, *subdistrict, *community; /* community may be "" */
};
int ingest_site(struct ingest *ing, const char *field, const char *code, struct ingest_site *site,
                struct ingest_outcome *out);
int ingest_plan(struct ingest *ing, const char *field, const char *plan_no, int64_t *plan_id,
                struct ingest_outcome *out);
/* ingest_in_scope: ERR_INVALID (rejected: "outside your subdistrict") unless the actor may
 * write records of subdistrict. */
int ingest_in_scope(struct ingest *ing, const char *field, const char *subdistrict, struct ingest_outcome *out);

/* ingest_seal encrypts text (ad = "table.column") into the batch arena. */
int ingest_seal(struct ingest *ing, const char *ad, const char *text, const uint8_t **blob, size_t *len);
/* ingest_blind is the blind index of a normalised value in domain ("idno"). */
int64_t ingest_blind(struct ingest *ing, const char *domain, const char *value);
/* ingest_blind_idno is a normalised ID number's index for both index slots (crypto/field.h
 * blind_index_slots; issue 12 blind-index rotation): the writer stores both. */
int ingest_blind_idno(struct ingest *ing, const char *value, int64_t out[2], bool has[2]);

/* Counters, accumulated in memory and upserted once per key at the end of the batch. */
int ingest_count_scan(struct ingest *ing, int64_t plan_id, const char *subdistrict, const char *community,
                      int64_t site_id, int64_t at_ms, int64_t delta);
enum ingest_plan_col { STAT_PLANNED, STAT_ACTUAL_REPORTED, STAT_ACTUAL_CORRECTED, STAT_SAMPLED };
int ingest_count_plan(struct ingest *ing, int64_t plan_id, const char *subdistrict, const char *industry,
                      enum ingest_plan_col col, int64_t delta);
int ingest_gauge(struct ingest *ing, const char *name, const char *subdistrict, int64_t delta);
/* ingest_event queues an outbox event (payload reference stolen; must hold no personal
 * data); written in the transaction, delivered after commit. subdistrict may be "". */
int ingest_event(struct ingest *ing, const char *topic, const char *subdistrict, json_t *payload);
/* ingest_insert_step steps st, an "INSERT … ON CONFLICT (source, external_id) DO NOTHING
 * RETURNING id" with its parameters bound, and reads the new row's id into out->id;
 * ERR_CONFLICT when it returned no row (the record was stored before: a duplicate). */
int ingest_insert_step(struct db_stmt *st, struct ingest_outcome *out);

/* Rows: the bind, column, LIKE and array helpers that the modules of upstream resources
 * share are in db/db_value.h and core/vec.h. ---------------------------------------------- */

/* Changes outside ingest_run (updates, deletes, corrections): one transaction the caller
 * begins, then row lock, the change, gauges, outbox_lock and ingest_emit, and last
 * ingest_audit_commit; the lock order above holds. On any error the caller rolls back. */
/* ingest_lock_row runs sql, a no-op UPDATE of the row whose id is ?1, to take its row lock
 * (PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers), so a read that
 * follows stays stable until commit. ERR_NOT_FOUND when sql matched no row. */
int ingest_lock_row(struct db *db, const char *sql, int64_t id);
/* ingest_gauge_add adds delta to gauge name of subdistrict at once, inside the caller's
 * transaction (kinds use ingest_gauge, flushed at the end of the batch). */
int ingest_gauge_add(struct db *db, const char *name, const char *subdistrict, int64_t delta);
/* ingest_emit appends one outbox event of topic for subdistrict at once; the caller holds
 * the outbox head (outbox_lock). payload: reference stolen, no personal data; NULL is
 * ERR_INTERNAL. */
int ingest_emit(struct db *db, const char *topic, const char *subdistrict, json_t *payload);
/* ingest_emit_moved is ingest_emit for a record that may have changed subdistrict: the
 * event goes to subdistrict to, and also to from when it differs (the old subdistrict's
 * readers see the record leave). Same contract otherwise. */
int ingest_emit_moved(struct db *db, const char *topic, const char *from, const char *to, json_t *payload);
/* ingest_audit_commit ends a change: appends the audit entry (action on target, result
 * "ok", detail may be NULL), commits, and wakes push/ for the events the change appended.
 * Non-zero: nothing was committed. */
int ingest_audit_commit(struct app *app, struct db *db, const struct actor *a, const char *action,
                        const char *target, const char *detail);

#endif
