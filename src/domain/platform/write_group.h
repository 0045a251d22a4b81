/* domain/platform/write_group.h - what the writes of one group-commit group fold together
 * (issue 13; db/db_writer.h, architecture §3).
 *
 * The group-commit writer runs many requests' writes in one transaction. Rows that every
 * request would otherwise update - the audit chain head, the outbox head, counter rows -
 * are touched ONCE per group here: a write stages its contributions in the group (memory
 * only, copied), and the group's close writes them just before the commit:
 *   1. the parts, in the order the group first used them (ingest's counters: one upsert per
 *      key, in key order);
 *   2. the outbox events, in staging order, under one outbox_lock;
 *   3. the audit entries, in staging order: one chain-head read, one HMAC per entry, one
 *      head update (audit_append_entries).
 * That is the lock order of domain/ingest/ingest.h (counters, outbox head, audit head).
 * A write must stage only once it cannot fail any more (staging itself cannot fail): the
 * writer rolls a failed write back to its savepoint, and what it staged would outlive it.
 * A failure at close fails the whole group (nothing of it is stored, every caller is told).
 *
 * Who uses it: app->writer is started with write_group_hooks (cli/app.c); the write
 * functions given to it (ingest_submit's store, audit_record_via) take the group argument
 * as a struct write_group * (NULL: no folding, they write directly).
 * Not thread-safe: a group lives on the writer's thread.
 */
#ifndef JY_DOMAIN_PLATFORM_WRITE_GROUP_H
#define JY_DOMAIN_PLATFORM_WRITE_GROUP_H
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"

struct db;
struct db_writer_hooks;
struct write_group;

/* A part: per-group state another area folds (e.g. counters). make returns an empty state
 * (never NULL); flush writes it inside the group's transaction (0 or ERR_*); release frees
 * it (after flush, or when the group failed). */
struct write_group_part {
    const char *name;
    void *(*make)(void);
    int (*flush)(struct db *db, void *state);
    void (*release)(void *state);
};

/* write_group_hooks fills hooks for db_writer_start (db/db_writer.h); kr (the audit key)
 * must outlive the writer. */
void write_group_hooks(const struct keyring *kr, struct db_writer_hooks *hooks);

/* write_group_part returns part's state in g, made at its first use. */
void *write_group_part(struct write_group *g, const struct write_group_part *part);
/* write_group_event stages one outbox event (strings copied; payload: JSON text without
 * personal data; subdistrict "" is district-wide). */
void write_group_event(struct write_group *g, const char *topic, const char *subdistrict, const char *payload);
/* write_group_audit stages one audit entry, as audit_append would write it now (strings
 * copied; the timestamp is taken now). */
void write_group_audit(struct write_group *g, const struct actor *a, const char *action, const char *target,
                       const char *result, const char *detail);
/* write_group_arena: memory that lives until the group closed (for parts' strings). */
struct arena *write_group_arena(struct write_group *g);

#endif
