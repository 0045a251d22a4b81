/* domain/platform/write_group.c - fold a group-commit group's audit entries, outbox events
 * and parts (counters), written once at the group's close (contract in write_group.h).
 */
#include "domain/platform/write_group.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/vec.h"
#include "db/db_writer.h"
#include "domain/platform/audit.h"
#include "push/outbox.h"

#define WRITE_GROUP_PARTS 4

struct write_group {
    struct arena arena;
    struct {
        const struct write_group_part *part;
        void *state;
    } parts[WRITE_GROUP_PARTS];
    size_t n_parts;
    struct outbox_new *events;
    size_t n_events, cap_events;
    struct audit_entry *audit;
    size_t n_audit, cap_audit;
};

static int
write_group_open(struct db *db, void *ctx, void **group)
{
    (void)db;
    (void)ctx;
    *group = xcalloc(1, sizeof(struct write_group));
    return 0;
}

static void
write_group_free(struct write_group *g)
{
    for (size_t i = 0; i < g->n_parts; i++)
        g->parts[i].part->release(g->parts[i].state);
    xfree(g->events);
    xfree(g->audit);
    arena_release(&g->arena);
    xfree(g);
}

/* write_group_flush writes parts, events and audit entries, in the lock order. */
static int
write_group_flush(struct db *db, const struct keyring *kr, struct write_group *g)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < g->n_parts; i++)
        rc = g->parts[i].part->flush(db, g->parts[i].state);
    if (!rc && g->n_events)
        rc = outbox_lock(db);
    if (!rc && g->n_events)
        rc = outbox_append_many(db, g->events, g->n_events);
    if (!rc && g->n_audit)
        rc = audit_append_entries(db, kr, g->audit, g->n_audit);
    return rc;
}

static int
write_group_close(struct db *db, void *ctx, void *group, bool failed)
{
    struct write_group *g = group;
    int rc = failed ? 0 : write_group_flush(db, ctx, g);
    write_group_free(g);
    return rc;
}

void
write_group_hooks(const struct keyring *kr, struct db_writer_hooks *hooks)
{
    *hooks = (struct db_writer_hooks){ write_group_open, write_group_close, (void *)kr };
}

void *
write_group_part(struct write_group *g, const struct write_group_part *part)
{
    for (size_t i = 0; i < g->n_parts; i++) {
        if (g->parts[i].part == part)
            return g->parts[i].state;
    }
    if (g->n_parts == WRITE_GROUP_PARTS)
        abort(); /* a fixed set of areas registers parts: a programming error */
    g->parts[g->n_parts].part = part;
    g->parts[g->n_parts].state = part->make();
    return g->parts[g->n_parts++].state;
}

void
write_group_event(struct write_group *g, const char *topic, const char *subdistrict, const char *payload)
{
    VEC_ROOM(g->events, g->n_events, g->cap_events);
    g->events[g->n_events++] = (struct outbox_new){ arena_strdup(&g->arena, topic),
                                                           arena_strdup(&g->arena, subdistrict ? subdistrict : ""),
                                                           arena_strdup(&g->arena, payload) };
}

void
write_group_audit(struct write_group *g, const struct actor *a, const char *action, const char *target,
                  const char *result, const char *detail)
{
    struct audit_entry e;
    audit_entry_init(&e, a, action, target, result, detail);
    e.actor = arena_strdup(&g->arena, e.actor);
    e.role = arena_strdup(&g->arena, e.role);
    e.ip = arena_strdup(&g->arena, e.ip);
    e.action = arena_strdup(&g->arena, e.action);
    e.target = arena_strdup(&g->arena, e.target);
    e.result = arena_strdup(&g->arena, e.result);
    e.request_id = arena_strdup(&g->arena, e.request_id);
    e.detail = arena_strdup(&g->arena, e.detail);
    VEC_ROOM(g->audit, g->n_audit, g->cap_audit);
    g->audit[g->n_audit++] = e;
}

struct arena *
write_group_arena(struct write_group *g)
{
    return &g->arena;
}
