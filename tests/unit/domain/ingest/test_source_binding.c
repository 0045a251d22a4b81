/* tests/unit/domain/ingest/test_source_binding.c - ingest sources bound to their writer (issue 12,
 * R2.1-R2.6, S6): a writer cannot use another writer's `source`, so its idempotency keys
 * cannot pre-claim that source's records and make them vanish as "duplicate"; on SQLite and
 * PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/ingest/ingest.h"
#include "domain/testing/site.h"

static json_t *
site_obj(const char *source, const char *code, const char *ext)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", source, "external_id", ext, "code", code,
                     "name", "西长安街核酸点", "type", "fixed", "subdistrict", APPTEST_SUBDISTRICT, "lon", 116.38, "lat",
                     39.9);
}

static void
writer(struct actor *a, enum actor_kind kind, int64_t id)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->id = id;
    a->role = kind == ACTOR_USER ? ROLE_DISTRICT : ROLE_NONE;
    a->perms = PERM_SET(PERM_BIT_SITES_READ) | PERM_SET(PERM_BIT_SITES_WRITE);
    snprintf(a->name, sizeof a->name, "%s:%lld", kind == ACTOR_USER ? "user" : "token", (long long)id);
    str_copy(a->ip, sizeof a->ip, "127.0.0.1");
}

static void
test_foreign_source_refused(void **state)
{
    struct apptest *at = *state;
    struct actor lab, rogue, clerk;
    struct ingest_outcome r, *out = NULL;
    size_t n = 0, accepted = 0;

    time_set_fake_ms(APPTEST_T0);
    writer(&lab, ACTOR_TOKEN, 11);
    writer(&rogue, ACTOR_TOKEN, 12);
    writer(&clerk, ACTOR_USER, 3);

    /* the first writer of "city" owns it */
    r = apptest_put(at, &lab, &site_kind, site_obj("city", "C-1", "e1"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM ingest_sources WHERE source = 'city'"
                                         " AND owner = 'token:11'", 0), 1);
    /* another token cannot pre-claim the next record of "city" */
    r = apptest_put(at, &rogue, &site_kind, site_obj("city", "C-2", "e2"));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_int_equal(r.code, ERR_FORBIDDEN);
    assert_string_equal(r.field, "source");
    assert_string_equal(r.reason, "the source 'city' belongs to another writer");
    /* nor replay an existing key to read it as a duplicate */
    r = apptest_put(at, &clerk, &site_kind, site_obj("city", "C-1", "e1"));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_int_equal(r.code, ERR_FORBIDDEN);
    /* so the real source's record still goes in */
    r = apptest_put(at, &lab, &site_kind, site_obj("city", "C-2", "e2"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    /* the rogue has a source of its own */
    r = apptest_put(at, &rogue, &site_kind, site_obj("rogue-feed", "R-1", "e2"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    /* in a batch only the foreign items are refused */
    json_t *batch = json_pack("[o, o]", site_obj("rogue-feed", "R-2", "e3"), site_obj("city", "C-3", "e3"));
    assert_int_equal(ingest_run(&at->app, at->db, &rogue, &site_kind, batch, &out, &n, &accepted), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    assert_int_equal(out[1].status, INGEST_REJECTED);
    assert_int_equal(out[1].code, ERR_FORBIDDEN);
    xfree(out);
    json_decref(batch);
    /* the console is trusted and binds nothing */
    r = apptest_put(at, &at->admin, &site_kind, site_obj("city", "C-4", "e4"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    r = apptest_put(at, &at->admin, &site_kind, site_obj("console-only", "K-1", "e1"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM ingest_sources WHERE source = 'console-only'", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sites", 0), 6); /* C-1, C-2, R-1, R-2, C-4, K-1 */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_foreign_source_refused),
    };
    return apptest_run("domain_ingest_source_binding", tests, sizeof tests / sizeof tests[0]);
}
