/* tests/unit/domain/testing/test_review.c - the review of reported figures of
 * domain/testing/review.h and progress.h (R1.4-R1.6, issue 10): every transition of the
 * correction state machine and every refused one, the round lock over reports, proposals
 * and decisions, the scope of the corrections list and of planned vs actual, the audit
 * entries and outbox events of each step; on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/testing/actual.h"
#include "domain/testing/plan.h"
#include "domain/testing/progress.h"
#include "domain/testing/review.h"
#include "domain/testing/sample.h"
#include "domain/testing/site.h"

#define NOW APPTEST_NOW
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define COMM_A "110102001004"
#define COMM_B "110102001007"

struct fx {
    struct actor u1, u2, dist, viewer;
    int64_t a1, a2, a3; /* reports: SUB1 site S1-A industry C 120; SUB1 no site 30; SUB2 40 */
};
static struct fx fx_;
static struct arena g_arena = ARENA_INIT; /* the rows propose and decide return; released per test */

static json_t *
actual_obj(const char *ext, const char *sub, const char *site, const char *industry, int64_t count)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "sub-app", "external_id", ext, "plan_no", "P-1",
                          "subdistrict", sub, "count", (json_int_t)count, "reported_at", (json_int_t)(NOW - 60000));
    if (site)
        json_object_set_new(o, "site_code", json_string(site));
    if (industry)
        json_object_set_new(o, "industry", json_string(industry));
    return o;
}

static void
user(struct apptest *at, const char *name, enum role role, const char *sub, struct actor *a)
{
    apptest_actor(at, apptest_user(at, name, role, sub, NULL, NULL), a);
}

/* setup makes plan P-1 over SUB1 and SUB2, sites S1-A (SUB1, COMM_A), S1-B (SUB1, COMM_B),
 * S2-A (SUB2), the accounts, and three reports. */
static struct fx *
setup(struct apptest *at)
{
    struct fx *fx = &fx_;
    static const struct {
        const char *code, *sub, *comm;
    } sites[] = { { "S1-A", SUB1, COMM_A }, { "S1-B", SUB1, COMM_B }, { "S2-A", SUB2, NULL } };
    memset(fx, 0, sizeof *fx);
    time_set_fake_ms(NOW);
    apptest_accept(at, &plan_kind, apptest_plan_obj("P-1", "p1", "[\"" SUB1 "\",\"" SUB2 "\"]"));
    for (size_t i = 0; i < 3; i++) {
        json_t *o = apptest_site_obj(sites[i].code, sites[i].sub);
        if (sites[i].comm)
            json_object_set_new(o, "community", json_string(sites[i].comm));
        apptest_accept(at, &site_kind, o);
    }
    user(at, "sub1", ROLE_SUBDISTRICT, SUB1, &fx->u1);
    user(at, "sub2", ROLE_SUBDISTRICT, SUB2, &fx->u2);
    user(at, "district", ROLE_DISTRICT, NULL, &fx->dist);
    user(at, "viewer", ROLE_VIEWER, NULL, &fx->viewer);
    fx->a1 = apptest_accept(at, &actual_kind, actual_obj("a1", SUB1, "S1-A", "C", 120));
    fx->a2 = apptest_accept(at, &actual_kind, actual_obj("a2", SUB1, NULL, NULL, 30));
    fx->a3 = apptest_accept(at, &actual_kind, actual_obj("a3", SUB2, "S2-A", NULL, 40));
    return fx;
}

/* corrected reads stat_plan.actual_corrected of (P-1, sub, industry ''). */
static int64_t
corrected(struct db *db, const char *sub)
{
    return apptest_i64_text(db, "SELECT actual_corrected FROM stat_plan WHERE industry = '' AND subdistrict = ?1", sub);
}

static int64_t
events(struct db *db, const char *action)
{
    char like[64];
    snprintf(like, sizeof like, "%%\"action\":\"%s\"%%", action);
    return apptest_i64_text(db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", like);
}

static int
propose(struct apptest *at, const struct actor *a, int64_t id, int64_t value, struct actual_correction *c)
{
    return actual_correct(&at->app, at->db, a, id, value, "复核 REVIEW-REASON", &g_arena, c, apptest_why());
}

static int
decide(struct apptest *at, const struct actor *a, int64_t id, bool approve, const char *comment,
       struct actual_correction *c)
{
    return correction_decide(&at->app, at->db, a, id, approve, comment, &g_arena, c, apptest_why());
}

static void
test_state_machine(void **state)
{
    struct apptest *at = *state;
    struct fx *fx = setup(at);
    struct actual_correction p, c, d;
    struct actor scoped;

    /* proposed by the subdistrict: nothing moves yet */
    assert_int_equal(propose(at, &fx->u1, fx->a1, 100, &p), 0);
    assert_string_equal(p.state, "proposed");
    assert_string_equal(p.decided_by, "");
    assert_int_equal(corrected(at->db, SUB1), 150);
    /* while pending: a second proposal and a direct correction are conflicts */
    assert_int_equal(propose(at, &fx->u1, fx->a1, 90, NULL), ERR_CONFLICT);
    assert_non_null(strstr(apptest_why_text(), "pending"));
    assert_int_equal(propose(at, &fx->dist, fx->a1, 90, NULL), ERR_CONFLICT);
    /* a proposal for another report is independent */
    assert_int_equal(propose(at, &fx->u1, fx->a2, 35, &d), 0);

    /* who may not decide: subdistrict accounts (even their own), viewers, scoped system */
    assert_int_equal(decide(at, &fx->u1, p.id, true, NULL, NULL), ERR_FORBIDDEN);
    assert_int_equal(decide(at, &fx->u1, p.id, false, "no", NULL), ERR_FORBIDDEN);
    assert_int_equal(decide(at, &fx->viewer, p.id, true, NULL, NULL), ERR_FORBIDDEN);
    apptest_scoped(at, SUB1, &scoped);
    assert_int_equal(decide(at, &scoped, p.id, true, NULL, NULL), ERR_FORBIDDEN);
    assert_int_equal(decide(at, &fx->dist, p.id + 1000, true, NULL, NULL), ERR_NOT_FOUND);
    /* rejecting needs a comment */
    assert_int_equal(decide(at, &fx->dist, p.id, false, NULL, NULL), ERR_INVALID);
    assert_int_equal(decide(at, &fx->dist, p.id, false, "", NULL), ERR_INVALID);
    assert_int_equal(decide(at, &fx->dist, p.id, false, "a\x01", NULL), ERR_INVALID);

    /* approve: the effective value and the counters follow */
    time_set_fake_ms(NOW + 5000);
    assert_int_equal(decide(at, &fx->dist, p.id, true, "同意 REVIEW-COMMENT", &c), 0);
    assert_string_equal(c.state, "approved");
    assert_string_equal(c.decided_by, "district");
    assert_int_equal(c.decided_at, NOW + 5000);
    assert_int_equal(corrected(at->db, SUB1), 130);
    /* decided is final */
    assert_int_equal(decide(at, &fx->dist, p.id, true, NULL, NULL), ERR_CONFLICT);
    assert_non_null(strstr(apptest_why_text(), "approved already"));
    assert_int_equal(decide(at, &fx->dist, p.id, false, "x", NULL), ERR_CONFLICT);

    /* reject the other: nothing moves, the proposal stays with its decision */
    assert_int_equal(decide(at, &fx->dist, d.id, false, "与扫码记录不符", &c), 0);
    assert_string_equal(c.state, "rejected");
    assert_string_equal(c.comment, "与扫码记录不符");
    assert_int_equal(corrected(at->db, SUB1), 130);
    assert_int_equal(decide(at, &fx->dist, d.id, false, "again", NULL), ERR_CONFLICT);
    assert_int_equal(decide(at, &fx->dist, d.id, true, NULL, NULL), ERR_CONFLICT);
    /* after a decision the report takes a new proposal; a system actor bound to a
     * subdistrict proposes too (only the unscoped one corrects directly) */
    assert_int_equal(propose(at, &scoped, fx->a2, 31, &d), 0);
    assert_string_equal(d.state, "proposed");
    assert_string_equal(d.actor, "system:tester");
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM actual_corrections", 0), 3);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM actual_corrections WHERE state = 'proposed'", 0), 1);

    /* audited and pushed; reasons and comments on neither */
    assert_int_equal(apptest_count_audit(at->db, "actuals.propose", NULL, "ok"), 3);
    assert_int_equal(apptest_count_audit(at->db, "corrections.approve", NULL, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "corrections.reject", NULL, "ok"), 1);
    assert_int_equal(events(at->db, "proposed"), 3);
    assert_int_equal(events(at->db, "approved"), 1);
    assert_int_equal(events(at->db, "rejected"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%REVIEW-%"), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE detail LIKE ?1", "%REVIEW-%"), 0);
    apptest_audit_intact(at);
    arena_release(&g_arena);
}

static void
test_lock(void **state)
{
    struct apptest *at = *state;
    struct fx *fx = setup(at);
    struct actual_correction p, q;
    struct ingest_outcome o;
    struct arena arena = ARENA_INIT;
    struct plan plan;
    int64_t locked_at = 0;

    assert_int_equal(propose(at, &fx->u1, fx->a1, 100, &p), 0);
    /* only the district locks */
    assert_int_equal(plan_lock(&at->app, at->db, &fx->u1, "P-1", true, NULL, apptest_why()), ERR_FORBIDDEN);
    assert_int_equal(plan_lock(&at->app, at->db, &fx->viewer, "P-1", true, NULL, apptest_why()), ERR_FORBIDDEN);
    assert_int_equal(plan_lock(&at->app, at->db, &fx->dist, "P-9", true, NULL, apptest_why()), ERR_NOT_FOUND);
    assert_int_equal(plan_lock(&at->app, at->db, &fx->dist, "P-1", false, NULL, apptest_why()), ERR_CONFLICT);
    time_set_fake_ms(NOW + 1000);
    assert_int_equal(plan_lock(&at->app, at->db, &fx->dist, "P-1", true, &locked_at, apptest_why()), 0);
    assert_int_equal(locked_at, NOW + 1000);
    assert_int_equal(plan_get(at->db, &fx->u1, "P-1", &arena, &plan), 0);
    assert_int_equal(plan.locked_at, NOW + 1000);
    assert_string_equal(plan.locked_by, "district");
    assert_int_equal(plan_lock(&at->app, at->db, &fx->dist, "P-1", true, NULL, apptest_why()), ERR_CONFLICT);

    /* locked: proposals, direct corrections, approvals, rejections and new reports refused */
    assert_int_equal(propose(at, &fx->u1, fx->a2, 1, NULL), ERR_CONFLICT);
    assert_non_null(strstr(apptest_why_text(), "locked"));
    assert_int_equal(propose(at, &fx->dist, fx->a3, 1, NULL), ERR_CONFLICT);
    assert_int_equal(decide(at, &fx->dist, p.id, true, NULL, NULL), ERR_CONFLICT);
    assert_int_equal(decide(at, &fx->dist, p.id, false, "x", NULL), ERR_CONFLICT);
    o = apptest_put(at, &at->admin, &actual_kind, actual_obj("a9", SUB1, NULL, NULL, 5));
    assert_int_equal(o.status, INGEST_REJECTED);
    assert_int_equal(o.code, ERR_CONFLICT);
    assert_string_equal(o.field, "plan_no");
    o = apptest_put(at, &at->admin, &plan_planned_kind,
                    json_pack("{s:s, s:s, s:s, s:s, s:i}", "source", "gov", "external_id", "q1", "plan_no", "P-1",
                              "subdistrict", SUB1, "count", 10));
    assert_int_equal(o.status, INGEST_REJECTED);
    assert_int_equal(o.code, ERR_CONFLICT);
    /* a retry of a report stored before the lock is still a duplicate */
    o = apptest_put(at, &at->admin, &actual_kind, actual_obj("a1", SUB1, "S1-A", "C", 120));
    assert_int_equal(o.status, INGEST_DUPLICATE);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM actuals", 0), 3);
    assert_int_equal(corrected(at->db, SUB1), 150);

    /* unlocked: allowed again, the pending proposal can be decided */
    assert_int_equal(plan_lock(&at->app, at->db, &fx->u1, "P-1", false, NULL, apptest_why()), ERR_FORBIDDEN);
    assert_int_equal(plan_lock(&at->app, at->db, &fx->dist, "P-1", false, &locked_at, apptest_why()), 0);
    assert_int_equal(locked_at, 0);
    assert_int_equal(plan_lock(&at->app, at->db, &fx->dist, "P-1", false, NULL, apptest_why()), ERR_CONFLICT);
    assert_int_equal(decide(at, &fx->dist, p.id, true, NULL, NULL), 0);
    assert_int_equal(propose(at, &fx->u1, fx->a2, 1, &q), 0);
    assert_int_equal(apptest_put(at, &at->admin, &actual_kind, actual_obj("a9", SUB1, NULL, NULL, 5)).status,
                     INGEST_ACCEPTED);
    assert_int_equal(corrected(at->db, SUB1), 135);

    assert_int_equal(apptest_count_audit(at->db, "plans.lock", NULL, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "plans.unlock", NULL, "ok"), 1);
    assert_int_equal(events(at->db, "locked"), 1);
    assert_int_equal(events(at->db, "unlocked"), 1);
    apptest_audit_intact(at);
    arena_release(&arena);
    arena_release(&g_arena);
}

static void
test_list_scope(void **state)
{
    struct apptest *at = *state;
    struct fx *fx = setup(at);
    struct arena arena = ARENA_INIT;
    struct actual_correction *items = NULL, p;
    struct correction_query q = { .limit = 10 };
    size_t n = 0;
    int64_t total = 0;
    struct actual x;

    assert_int_equal(propose(at, &fx->u1, fx->a1, 100, &p), 0);
    assert_int_equal(propose(at, &fx->u2, fx->a3, 44, NULL), 0);
    assert_int_equal(decide(at, &fx->dist, p.id, true, NULL, NULL), 0);
    /* another subdistrict's report and correction are not found */
    assert_int_equal(propose(at, &fx->u2, fx->a1, 1, NULL), ERR_NOT_FOUND);
    assert_int_equal(actual_get(at->db, &fx->u2, fx->a1, &arena, &x), ERR_NOT_FOUND);

    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(total, 2);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].subdistrict, SUB1);
    assert_string_equal(items[0].plan_no, "P-1");
    assert_string_equal(items[0].industry, "C");
    assert_string_equal(items[1].subdistrict, SUB2);
    assert_string_equal(items[1].state, "proposed");
    /* a subdistrict sees its own only, whatever it filters */
    assert_int_equal(correction_list(at->db, &fx->u1, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].subdistrict, SUB1);
    q.subdistrict = SUB2;
    assert_int_equal(correction_list(at->db, &fx->u1, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(total, 0);
    assert_int_equal(n, 0);
    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(total, 1);
    q.subdistrict = NULL;
    q.state = "proposed";
    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].subdistrict, SUB2);
    q.state = "approved";
    q.plan_no = "P-2";
    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(total, 0);
    q.state = "pending";
    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), ERR_INVALID);
    /* paging */
    q = (struct correction_query){ .limit = 1 };
    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(n, 1);
    q.after = items[0].id;
    assert_int_equal(correction_list(at->db, &fx->dist, &q, &arena, &items, &n, &total, apptest_why()), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].subdistrict, SUB2);
    arena_release(&arena);
    arena_release(&g_arena);
}

static void
add_sample(struct apptest *at, int seq, const char *site)
{
    char first17[18], id[19], ext[16];
    unsigned u = (unsigned)seq;
    snprintf(first17, sizeof first17, "110102%04u%02u%02u%03u", 1980 + u % 10, u % 12 + 1, u % 28 + 1, u % 1000);
    snprintf(id, sizeof id, "%s%c", first17, idno_check_digit(first17));
    snprintf(ext, sizeof ext, "s%d", seq);
    apptest_accept(at, &sample_kind,
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "app", "external_id", ext,
                             "id_number", id, "name", "张三", "tube_code", "T-1", "site_code", site, "plan_no", "P-1",
                             "collected_at", (json_int_t)(NOW - 3600000)));
}

static void
add_planned(struct apptest *at, const char *ext, const char *sub, const char *comm, const char *industry, int count)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i}", "source", "gov", "external_id", ext, "plan_no", "P-1",
                          "subdistrict", sub, "count", count);
    if (comm)
        json_object_set_new(o, "community", json_string(comm));
    if (industry)
        json_object_set_new(o, "industry", json_string(industry));
    apptest_accept(at, &plan_planned_kind, o);
}

static void
test_progress(void **state)
{
    struct apptest *at = *state;
    struct fx *fx = setup(at);
    struct arena arena = ARENA_INIT;
    struct progress_row *r = NULL;
    struct actual_correction p;
    struct plan plan;
    enum progress_by by;
    size_t n = 0;

    add_planned(at, "q1", SUB1, COMM_A, "C", 200);
    add_planned(at, "q2", SUB1, COMM_B, NULL, 100);
    add_planned(at, "q3", SUB2, NULL, NULL, 50);
    for (int i = 0; i < 5; i++)
        add_sample(at, i, i < 3 ? "S1-A" : "S2-A");
    assert_int_equal(propose(at, &fx->u1, fx->a1, 100, &p), 0);
    assert_int_equal(decide(at, &fx->dist, p.id, true, NULL, NULL), 0);
    assert_int_equal(propose(at, &fx->u1, fx->a2, 999, NULL), 0); /* pending: not counted */
    assert_int_equal(plan_get(at->db, &fx->dist, "P-1", &arena, &plan), 0);

    assert_int_equal(progress_parse_by("community", &by), 0);
    assert_int_equal(by, PROGRESS_COMMUNITY);
    assert_int_equal(progress_parse_by("site", &by), ERR_INVALID);

    /* by subdistrict: the district sees both side by side */
    assert_int_equal(plan_progress(at->db, &fx->dist, plan.id, PROGRESS_SUBDISTRICT, &arena, &r, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].subdistrict, SUB1);
    assert_string_equal(r[0].subdistrict_name, "西长安街街道");
    assert_int_equal(r[0].planned, 300);
    assert_int_equal(r[0].reported, 150);
    assert_int_equal(r[0].corrected, 130);
    assert_int_equal(r[0].sampled, 3);
    assert_int_equal(r[0].difference, 297);
    assert_int_equal(r[0].completion_bp, 100); /* 3 / 300 */
    assert_string_equal(r[1].subdistrict, SUB2);
    assert_int_equal(r[1].planned, 50);
    assert_int_equal(r[1].corrected, 40);
    assert_int_equal(r[1].sampled, 2);
    assert_int_equal(r[1].completion_bp, 400);
    /* a subdistrict sees its own row only */
    assert_int_equal(plan_progress(at->db, &fx->u2, plan.id, PROGRESS_SUBDISTRICT, &arena, &r, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].subdistrict, SUB2);

    /* by community: planned by its community, reports by their site's, scans by theirs */
    assert_int_equal(plan_progress(at->db, &fx->dist, plan.id, PROGRESS_COMMUNITY, &arena, &r, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(r[0].subdistrict, SUB1);
    assert_string_equal(r[0].code, ""); /* the report without a site */
    assert_int_equal(r[0].reported, 30);
    assert_int_equal(r[0].corrected, 30);
    assert_string_equal(r[1].code, COMM_A);
    assert_string_equal(r[1].name, "府右街南社区居委会");
    assert_int_equal(r[1].planned, 200);
    assert_int_equal(r[1].reported, 120);
    assert_int_equal(r[1].corrected, 100);
    assert_int_equal(r[1].sampled, 3);
    assert_int_equal(r[1].difference, 197);
    assert_string_equal(r[2].code, COMM_B);
    assert_int_equal(r[2].planned, 100);
    assert_int_equal(r[2].sampled, 0);
    assert_int_equal(r[2].completion_bp, 0);
    assert_string_equal(r[3].subdistrict, SUB2);
    assert_int_equal(r[3].planned, 50);
    assert_int_equal(r[3].sampled, 2);
    assert_int_equal(plan_progress(at->db, &fx->u1, plan.id, PROGRESS_COMMUNITY, &arena, &r, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r[i].subdistrict, SUB1);

    /* by industry: scans carry no industry, so the basis is the corrected count */
    assert_int_equal(plan_progress(at->db, &fx->dist, plan.id, PROGRESS_INDUSTRY, &arena, &r, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].subdistrict, SUB1);
    assert_string_equal(r[0].code, "C");
    assert_true(r[0].name[0] != '\0');
    assert_int_equal(r[0].planned, 200);
    assert_int_equal(r[0].reported, 120);
    assert_int_equal(r[0].corrected, 100);
    assert_int_equal(r[0].sampled, -1);
    assert_int_equal(r[0].difference, 100);
    assert_int_equal(r[0].completion_bp, 5000);
    assert_string_equal(progress_basis(PROGRESS_INDUSTRY), "corrected");
    assert_int_equal(plan_progress(at->db, &fx->u2, plan.id, PROGRESS_INDUSTRY, &arena, &r, &n), 0);
    assert_int_equal(n, 0);
    arena_release(&arena);
    arena_release(&g_arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_state_machine),
        APPTEST(test_lock),
        APPTEST(test_list_scope),
        APPTEST(test_progress),
    };
    return apptest_run("domain_review", tests, sizeof tests / sizeof tests[0]);
}
