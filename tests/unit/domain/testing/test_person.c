/* tests/unit/domain/testing/test_person.c - the personal test-result query of domain/testing/person.h (R4.1,
 * R4.2; S1 masked by default, S6 audited by blind index), on SQLite and PostgreSQL.
 *
 * One person sampled six times over three weeks through the real ingest kinds: tests with
 * a negative and a positive result, one still pending, one tube tested twice (the later
 * test wins), one sample tombstoned with sample_delete, one older than the default window.
 * Beside them: another person, and two rows written by direct SQL that carry the person's
 * blind index but a different sealed ID (a 64-bit index collision) or a sealed ID under
 * the wrong associated data; neither may come back. Checked: the window (1..90 days), every
 * spelling of the same ID giving the same answer, the idno status of rejected IDs, name
 * and ID masking, the pii.reveal rule with its reason, and the audit trail (one entry per
 * lookup or reveal, by blind index, never the number or the name).
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
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"

#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define NOW (APPTEST_T0 + 30 * DAY + 10 * HOUR) /* 2026-01-31 10:00 UTC */
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

/* The person: born 1990-03-07, check digit X (so "x" and the 15-digit form apply). */
#define P_ID "11010219900307123X"
#define P_ID15 "110102900307123"
#define P_MASKED "110102********123X"
#define P_NAME "\xe5\xbc\xa0\xe4\xb8\x89"   /* 张三 */
#define P_NAME_MASKED "\xe5\xbc\xa0*"         /* 张* */
#define P_PHONE "13900139000"
/* Someone else, with a valid ID of their own. */
#define Q_ID "110102198501011235"
#define Q_NAME "\xe6\x9d\x8e\xe5\x9b\x9b" /* 李四 */
#define REASON "hotline ticket 2026-0131-7: resident asks for the certificate"

/* The fixture's samples of the person, newest first (the expected order). */
struct world {
    int64_t a, b, c, d, e, f; /* d is tombstoned; f is 20 days old */
    int64_t q;                /* the other person's sample */
    int64_t bidx;
    char target[40];          /* "blind:<16 hex>" */
};

static void
site_insert(struct db *db, const char *code, const char *name, const char *sub)
{
    static const char sql[] =
        "INSERT INTO sites (code, name, type, subdistrict, lon_e6, lat_e6, source, external_id, created_at,"
        " updated_at) VALUES (?1, ?2, 'fixed', ?3, 116370000, 39910000, 'test', ?1, 1, 1)";
    struct db_stmt *st = NULL;
    bool row;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, code, strlen(code)), 0);
    assert_int_equal(db_bind_text(st, 2, name, strlen(name)), 0);
    assert_int_equal(db_bind_text(st, 3, sub, strlen(sub)), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

static int64_t
site_id(struct db *db, const char *code)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;
    assert_int_equal(db_prepare(db, "SELECT id FROM sites WHERE code = ?1", &st), 0);
    assert_int_equal(db_bind_text(st, 1, code, strlen(code)), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    return v;
}

/* ingest1 ingests one record as the operator and returns the new row's id. */
static int64_t
ingest1(struct apptest *at, const struct ingest_kind *kind, json_t *obj)
{
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    int64_t id;
    assert_non_null(obj);
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, kind, obj, &out, &n, &accepted), 0);
    json_decref(obj);
    assert_int_equal(n, 1);
    if (out[0].status != INGEST_ACCEPTED)
        fail_msg("ingest: status %d field '%s' reason '%s'", out[0].status, out[0].field ? out[0].field : "",
                 out[0].reason);
    id = out[0].id;
    xfree(out);
    return id;
}

static int64_t
sample_add(struct apptest *at, const char *ext, const char *id, const char *name, const char *tube,
           const char *site, int64_t at_ms)
{
    return ingest1(at, &sample_kind,
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "app", "external_id", ext,
                             "id_number", id, "name", name, "phone", P_PHONE, "tube_code", tube, "site_code", site,
                             "collected_at", (json_int_t)at_ms));
}

static void
result_add(struct apptest *at, const char *ext, const char *tube, const char *inst, const char *result,
           int64_t tested_at)
{
    ingest1(at, &result_kind,
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "source", "lab", "external_id", ext, "tube_code", tube,
                      "institution", inst, "tested_at", (json_int_t)tested_at, "result", result));
}

/* raw_sample writes a samples row by hand: person_bidx as given, id_number sealed under
 * id_ad (the correct ad is "samples.id_number"), the name sealed correctly. */
static void
raw_sample(struct apptest *at, const char *ext, int64_t bidx, const char *id, const char *id_ad,
           const char *name, const char *tube, int64_t site, int64_t at_ms)
{
    static const char sql[] =
        "INSERT INTO samples (source, external_id, person_bidx, id_number, name, tube_code, site_id,"
        " subdistrict, collected_at, created_at) VALUES ('raw', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
    uint8_t sid[FIELD_SEALED_LEN(IDNO_LEN)], sname[FIELD_SEALED_LEN(64)];
    size_t nid = 0, nname = 0;
    struct db_stmt *st = NULL;
    bool row;
    assert_int_equal(field_seal(&at->app.keys, id_ad, id, strlen(id), sid, sizeof sid, &nid), 0);
    assert_int_equal(field_seal(&at->app.keys, "samples.name", name, strlen(name), sname, sizeof sname, &nname), 0);
    assert_int_equal(db_prepare(at->db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, ext, strlen(ext)), 0);
    assert_int_equal(db_bind_i64(st, 2, bidx), 0);
    assert_int_equal(db_bind_blob(st, 3, sid, nid), 0);
    assert_int_equal(db_bind_blob(st, 4, sname, nname), 0);
    assert_int_equal(db_bind_text(st, 5, tube, strlen(tube)), 0);
    assert_int_equal(db_bind_i64(st, 6, site), 0);
    assert_int_equal(db_bind_text(st, 7, SUB1, strlen(SUB1)), 0);
    assert_int_equal(db_bind_i64(st, 8, at_ms), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

/* seed builds the world at NOW (the fake clock stays there). */
static void
seed(struct apptest *at, struct world *w)
{
    memset(w, 0, sizeof *w);
    time_set_fake_ms(NOW);
    site_insert(at->db, "S-A", "Site A", SUB1);
    site_insert(at->db, "S-B", "Site B", SUB2);

    /* the person's samples, given in no particular order */
    w->c = sample_add(at, "c", P_ID, P_NAME, "T-C", "S-B", NOW - 70 * HOUR);
    w->a = sample_add(at, "a", P_ID, P_NAME, "T-A", "S-A", NOW - 20 * HOUR);
    w->e = sample_add(at, "e", P_ID, P_NAME, "T-E", "S-A", NOW - 130 * HOUR);
    w->b = sample_add(at, "b", P_ID, P_NAME, "T-B", "S-A", NOW - 50 * HOUR);
    w->d = sample_add(at, "d", P_ID, P_NAME, "T-D", "S-A", NOW - 100 * HOUR);
    w->f = sample_add(at, "f", P_ID, P_NAME, "T-F", "S-B", NOW - 20 * DAY);
    w->q = sample_add(at, "q", Q_ID, Q_NAME, "T-Q", "S-A", NOW - 10 * HOUR);

    result_add(at, "ra", "T-A", "Lab One", "negative", NOW - 16 * HOUR);
    /* T-B: no result yet (pending) */
    result_add(at, "rc", "T-C", "Lab Two", "positive", NOW - 60 * HOUR);
    result_add(at, "rd", "T-D", "Lab One", "positive", NOW - 96 * HOUR);
    /* T-E: the retest is recorded FIRST, the earlier test after it: the later test wins */
    result_add(at, "re2", "T-E", "Lab Two", "positive", NOW - 110 * HOUR);
    result_add(at, "re1", "T-E", "Lab One", "negative", NOW - 126 * HOUR);
    result_add(at, "rf", "T-F", "Lab One", "negative", NOW - 20 * DAY + 5 * HOUR);
    result_add(at, "rq", "T-Q", "Lab One", "positive", NOW - 8 * HOUR);
    result_add(at, "rx", "T-X", "Lab One", "positive", NOW - 2 * HOUR);

    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, w->d), 0);

    w->bidx = blind_index(&at->app.keys, "idno", P_ID, IDNO_LEN);
    assert_true(w->bidx != 0);
    snprintf(w->target, sizeof w->target, "blind:%016llx", (unsigned long long)w->bidx);
    /* a blind-index collision: the person's index, someone else's sealed ID, the newest row */
    raw_sample(at, "collide", w->bidx, Q_ID, "samples.id_number", Q_NAME, "T-X", site_id(at->db, "S-A"),
               NOW - 1 * HOUR);
    /* the person's own ID, but sealed for another column: it does not open as an ID */
    raw_sample(at, "wrong-ad", w->bidx, P_ID, "samples.phone", Q_NAME, "T-X", site_id(at->db, "S-A"),
               NOW - 2 * HOUR);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM samples WHERE person_bidx = ?1", w->bidx), 8);
}

static int
lookup(struct apptest *at, const struct actor *a, const char *id, int days, bool reveal, const char *reason,
       struct arena *arena, struct person_history *h, const char **why)
{
    int rc = person_lookup(&at->app, at->db, a, id, days, reveal, reason, arena, h, apptest_why());
    *why = apptest_why_text();
    return rc;
}

/* why_names_status: why is the reason given for an ID whose idno status is code. */
static bool
why_names_status(const char *why, const char *code)
{
    char want[96];
    snprintf(want, sizeof want, "'id_number' is not a valid ID number (%s)", code);
    return strcmp(why, want) == 0;
}

/* expect_ids asserts that h lists exactly the sample ids in order. */
static void
expect_ids(const struct person_history *h, const int64_t *ids, size_t n)
{
    if (h->ntests != n) {
        for (size_t i = 0; i < h->ntests; i++)
            print_error("  got sample %lld (tube %s)\n", (long long)h->tests[i].sample_id, h->tests[i].tube_code);
        fail_msg("%zu tests, expected %zu", h->ntests, n);
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(h->tests[i].sample_id, ids[i]);
}

static void
district(struct apptest *at, struct actor *a)
{
    apptest_actor(at, apptest_user(at, "dora", ROLE_DISTRICT, NULL, NULL, NULL), a);
}

static void
subdistrict(struct apptest *at, struct actor *a)
{
    apptest_actor(at, apptest_user(at, "sam", ROLE_SUBDISTRICT, SUB1, NULL, NULL), a);
}

/* The default window, every field of every test, masking, and what is left out. */
static void
test_history(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora;
    const char *why;

    seed(at, &w);
    district(at, &dora);
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);
    {
        const int64_t want[] = { w.a, w.b, w.c, w.e };
        expect_ids(&h, want, 4);
    }
    assert_false(h.revealed);
    assert_string_equal(h.id_number, P_MASKED);
    assert_string_equal(h.name, P_NAME_MASKED);

    /* negative at Site A */
    assert_int_equal(h.tests[0].sampled_at, NOW - 20 * HOUR);
    assert_string_equal(h.tests[0].site_code, "S-A");
    assert_string_equal(h.tests[0].site_name, "Site A");
    assert_string_equal(h.tests[0].tube_code, "T-A");
    assert_string_equal(h.tests[0].institution, "Lab One");
    assert_int_equal(h.tests[0].tested_at, NOW - 16 * HOUR);
    assert_string_equal(h.tests[0].result, "negative");
    /* pending: no result yet */
    assert_int_equal(h.tests[1].sampled_at, NOW - 50 * HOUR);
    assert_string_equal(h.tests[1].tube_code, "T-B");
    assert_int_equal(h.tests[1].tested_at, 0);
    assert_string_equal(h.tests[1].result, "");
    assert_string_equal(h.tests[1].institution, "");
    /* positive, sampled in the other subdistrict */
    assert_string_equal(h.tests[2].site_code, "S-B");
    assert_string_equal(h.tests[2].site_name, "Site B");
    assert_string_equal(h.tests[2].institution, "Lab Two");
    assert_int_equal(h.tests[2].tested_at, NOW - 60 * HOUR);
    assert_string_equal(h.tests[2].result, "positive");
    /* retested: the later test (recorded first) wins, with its institution and time */
    assert_string_equal(h.tests[3].tube_code, "T-E");
    assert_string_equal(h.tests[3].institution, "Lab Two");
    assert_int_equal(h.tests[3].tested_at, NOW - 110 * HOUR);
    assert_string_equal(h.tests[3].result, "positive");

    /* the other person sees only their own sample, not the person's (nor the collision row
     * that holds their sealed ID under the person's blind index) */
    assert_int_equal(lookup(at, &dora, Q_ID, PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);
    {
        const int64_t want[] = { w.q };
        expect_ids(&h, want, 1);
    }
    assert_string_equal(h.name, "\xe6\x9d\x8e*");
    assert_string_equal(h.tests[0].result, "positive");

    /* someone never sampled: no tests, no name, the masked number */
    assert_int_equal(lookup(at, &dora, "110105198506121088", PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why),
                     0);
    assert_int_equal(h.ntests, 0);
    assert_string_equal(h.name, "");
    assert_string_equal(h.id_number, "110105********1088");
    arena_release(&arena);
}

/* days: 1..90, out of range ERR_INVALID ("days"), each window exactly what it covers. */
static void
test_window(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora;
    const char *why;

    seed(at, &w);
    district(at, &dora);
    {
        const int64_t want[] = { w.a };
        assert_int_equal(lookup(at, &dora, P_ID, 1, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 1);
    }
    {
        const int64_t want[] = { w.a };
        assert_int_equal(lookup(at, &dora, P_ID, 2, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 1);
    }
    {
        const int64_t want[] = { w.a, w.b, w.c };
        assert_int_equal(lookup(at, &dora, P_ID, 3, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 3);
        assert_int_equal(lookup(at, &dora, P_ID, 5, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 3);
    }
    {
        const int64_t want[] = { w.a, w.b, w.c, w.e };
        assert_int_equal(lookup(at, &dora, P_ID, 6, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 4);
        assert_int_equal(lookup(at, &dora, P_ID, 19, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 4);
    }
    {
        const int64_t want[] = { w.a, w.b, w.c, w.e, w.f };
        assert_int_equal(lookup(at, &dora, P_ID, 21, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 5);
        assert_string_equal(h.tests[4].result, "negative");
        assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_MAX, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 5);
    }
    /* the window follows the clock: ten days on, 14 days reach back to NOW - 4 days */
    time_set_fake_ms(NOW + 10 * DAY);
    {
        const int64_t want[] = { w.a, w.b, w.c };
        assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);
        expect_ids(&h, want, 3);
        assert_int_equal(lookup(at, &dora, P_ID, 10, false, NULL, &arena, &h, &why), 0);
        assert_int_equal(h.ntests, 0);
        assert_string_equal(h.id_number, P_MASKED);
    }
    time_set_fake_ms(NOW);
    {
        static const int bad[] = { 0, -1, -14, PERSON_DAYS_MAX + 1, 365, 1 << 30 };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            int rc = lookup(at, &dora, P_ID, bad[i], false, NULL, &arena, &h, &why);
            if (rc != ERR_INVALID || !strstr(why, "'days'"))
                fail_msg("days=%d: rc %s why '%s'", bad[i], err_name(rc), why ? why : "(null)");
            assert_int_equal(h.ntests, 0);
        }
    }
    /* refused windows are not lookups: only the ten answered ones are audited */
    assert_int_equal(apptest_count_audit(at->db, "people.lookup", w.target, "ok"), 10);
    arena_release(&arena);
}

/* Every spelling of the same ID gives the same answer (and the same audit target). */
static void
test_spellings(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora;
    const char *why;
    static const char *const spellings[] = {
        P_ID,
        "11010219900307123x",                                   /* lowercase x */
        " 11010219900307123X ",                                 /* spaces around */
        "110102 19900307 123X",                                 /* spaces inside */
        "110102\t19900307\t123x",                               /* tabs */
        "\xc2\xa0" "110102\xe3\x80\x80" "19900307123X\xc2\xa0", /* NBSP, ideographic space */
        "\xef\xbb\xbf" "11010219900307123X",                    /* a BOM / zero-width no-break space */
        /* full-width digits and Ｘ */
        "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x92\xef\xbc\x91\xef\xbc\x99"
        "\xef\xbc\x99\xef\xbc\x90\xef\xbc\x90\xef\xbc\x93\xef\xbc\x90\xef\xbc\x97\xef\xbc\x91\xef\xbc\x92"
        "\xef\xbc\x93\xef\xbc\xb8",
        "\xef\xbc\x91\xef\xbc\x91" "0102199003071\xef\xbc\x92\xef\xbc\x93\xef\xbd\x98", /* mixed, full-width ｘ */
        P_ID15,                                                 /* 15-digit, born 1990 */
        " 110102 900307 123 ",                                  /* 15-digit with spaces */
        "=\"11010219900307123X\"",                              /* Excel formula text */
        "=\"110102900307123\"",
        "'11010219900307123X",                                  /* Excel text apostrophe */
        "\"11010219900307123x\"",                               /* quoted */
    };
    int64_t first_ids[8];
    size_t first_n = 0;

    seed(at, &w);
    district(at, &dora);
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        int rc = lookup(at, &dora, spellings[i], PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why);
        if (rc)
            fail_msg("spelling %zu: rc %s why '%s'", i, err_name(rc), why ? why : "(null)");
        assert_string_equal(h.id_number, P_MASKED);
        assert_string_equal(h.name, P_NAME_MASKED);
        if (i == 0) {
            first_n = h.ntests;
            for (size_t k = 0; k < h.ntests; k++)
                first_ids[k] = h.tests[k].sample_id;
            assert_int_equal(first_n, 4);
        } else {
            expect_ids(&h, first_ids, first_n);
        }
        /* revealed, each spelling comes back as the one canonical number */
        rc = lookup(at, &dora, spellings[i], PERSON_DAYS_DEFAULT, true, REASON, &arena, &h, &why);
        if (rc)
            fail_msg("spelling %zu (reveal): rc %s why '%s'", i, err_name(rc), why ? why : "(null)");
        assert_string_equal(h.id_number, P_ID);
        assert_string_equal(h.name, P_NAME);
        expect_ids(&h, first_ids, first_n);
    }
    /* one blind index for all of them */
    assert_int_equal(apptest_count_audit(at->db, "people.lookup", w.target, "ok"),
                     (int64_t)(sizeof spellings / sizeof spellings[0]));
    assert_int_equal(apptest_count_audit(at->db, "people.reveal", w.target, "ok"),
                     (int64_t)(sizeof spellings / sizeof spellings[0]));
    arena_release(&arena);
}

/* Invalid IDs: ERR_INVALID with the idno status code in *why, nothing answered. */
static void
test_invalid_ids(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora;
    const char *why;
    static const struct {
        const char *in, *why;
    } cases[] = {
        { "110102199003071231", "bad_checksum" },    /* the check digit is X */
        { "110102199003071232", "bad_checksum" },
        { "11010219900307124X", "bad_checksum" },
        { "110102199002301232", "bad_date" },        /* 30 February, check digit right */
        { "110105203001011231", "bad_date" },        /* born in 2030 */
        { "110102901307123", "bad_date" },           /* 15 digits, month 13 */
        { "1.10102E+17", "excel_corrupted" },
        { "1.10102199003071E+17", "excel_corrupted" },
        { "110102199003071000", "excel_corrupted" }, /* the tail Excel zeroes */
        { "110102199003071230.0", "excel_corrupted" },
        { "", "empty" },
        { "   ", "empty" },
        { "\xe3\x80\x80", "empty" },
        { "=\"\"", "empty" },
        { "abc", "not_an_id" },
        { "12345", "not_an_id" },
        { "1101021990030712", "not_an_id" },         /* 16 digits */
        { "1101021990030712X3", "not_an_id" },       /* X not last */
        { "110102-19900307-123X", "not_an_id" },
        { P_NAME, "not_an_id" },
        { "11010219900307123X 11010219900307123X", "not_an_id" },
    };

    seed(at, &w);
    district(at, &dora);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int reveal = 0; reveal <= 1; reveal++) {
            int rc = lookup(at, &dora, cases[i].in, PERSON_DAYS_DEFAULT, reveal, REASON, &arena, &h, &why);
            if (rc != ERR_INVALID || !why_names_status(why, cases[i].why))
                fail_msg("case %zu (reveal %d): rc %s why '%s', expected '%s'", i, reveal, err_name(rc),
                         why ? why : "(null)", cases[i].why);
            assert_int_equal(h.ntests, 0);
            assert_string_equal(h.id_number, "");
            assert_false(h.revealed);
        }
    }
    /* an invalid ID is checked before the window */
    assert_int_equal(lookup(at, &dora, "abc", 0, false, NULL, &arena, &h, &why), ERR_INVALID);
    assert_true(why_names_status(why, "not_an_id"));
    arena_release(&arena);
}

static void
test_mask_name(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "\xe5\xbc\xa0", "\xe5\xbc\xa0*" },                                               /* 张 -> 张* */
        { "\xe5\xbc\xa0\xe4\xb8\x89", "\xe5\xbc\xa0*" },                                   /* 张三 -> 张* */
        { "\xe6\x9d\x8e\xe5\xb0\x8f\xe6\x98\x8e", "\xe6\x9d\x8e**" },                      /* 李小明 -> 李** */
        { "\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c", "\xe6\xac\xa7***" },         /* 欧阳娜娜 -> 欧*** */
        { "\xf0\xaa\x9a\xa5\xe6\x98\x8e", "\xf0\xaa\x9a\xa5*" },                           /* 𪚥明: 4-byte first */
        { "\xe7\x8e\x8b\xf0\xaa\x9a\xa5", "\xe7\x8e\x8b*" },                               /* 王𪚥: 4-byte second */
        { "Tom", "T**" },
        { "A", "A*" },
        { "Li Lei", "L*****" },
        { "\xc3\x89lise", "\xc3\x89****" },                                                /* Élise */
        { "", "" },
    };
    char out[64];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'Z', sizeof out);
        person_mask_name(cases[i].in, out, sizeof out);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("case %zu: got '%s', expected '%s'", i, out, cases[i].out);
    }
    /* the mask never holds more of the name than its first character */
    person_mask_name("\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c", out, sizeof out);
    assert_null(strstr(out, "\xe9\x98\xb3"));
    assert_null(strstr(out, "\xe5\xa8\x9c"));
}

/* pii.reveal: refused without the permission, needs a reason, gives full values. */
static void
test_reveal(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora, sam;
    const char *why;
    char reason[202];

    seed(at, &w);
    district(at, &dora);
    subdistrict(at, &sam);

    /* a subdistrict officer looks up a person sampled anywhere (also in SUB2), masked */
    assert_int_equal(lookup(at, &sam, P_ID, PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);
    {
        const int64_t want[] = { w.a, w.b, w.c, w.e };
        expect_ids(&h, want, 4);
    }
    assert_string_equal(h.tests[2].site_code, "S-B");
    assert_string_equal(h.id_number, P_MASKED);
    assert_string_equal(h.name, P_NAME_MASKED);
    assert_false(h.revealed);
    /* ... but may not reveal, reason or not */
    assert_int_equal(lookup(at, &sam, P_ID, PERSON_DAYS_DEFAULT, true, REASON, &arena, &h, &why), ERR_FORBIDDEN);
    assert_int_equal(h.ntests, 0);
    assert_null(strstr(h.id_number, "19900307"));
    assert_int_equal(lookup(at, &sam, P_ID, PERSON_DAYS_DEFAULT, true, NULL, &arena, &h, &why), ERR_FORBIDDEN);
    assert_int_equal(h.ntests, 0);

    /* the district may, with a reason of 1..200 bytes of clean text */
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, NULL, &arena, &h, &why), ERR_INVALID);
    assert_non_null(strstr(why, "'reason'"));
    assert_int_equal(h.ntests, 0);
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, "", &arena, &h, &why), ERR_INVALID);
    assert_non_null(strstr(why, "'reason'"));
    memset(reason, 'r', 201);
    reason[201] = '\0';
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, reason, &arena, &h, &why), ERR_INVALID);
    assert_non_null(strstr(why, "'reason'"));
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, "line\nbreak", &arena, &h, &why),
                     ERR_INVALID);
    assert_non_null(strstr(why, "'reason'"));
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, "bad \xff utf-8", &arena, &h, &why),
                     ERR_INVALID);
    assert_non_null(strstr(why, "'reason'"));
    /* issue 12: no phone number and no ID number, also spaced, dashed or in full-width digits */
    static const char *const leaky[] = {
        "caller 13800138000 asked",      "caller 138-0013-8000 asked",  "caller 138 0013 8000",
        "id 1101 0519 4912 3100 1X",      "id 110105-19491231-002X",     "tel 010-6512.3456",
        "号码１３８００１３８０００",        "id 110105194912310",
    };
    for (size_t i = 0; i < sizeof leaky / sizeof *leaky; i++) {
        if (lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, leaky[i], &arena, &h, &why) != ERR_INVALID)
            fail_msg("reason '%s' accepted", leaky[i]);
        assert_non_null(strstr(why, "'reason'"));
    }
    static const char *const fine[] = { "ticket 4711 of 2022-03-15", "12345 hotline, case 20220315", "room 1-2-3" };
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++)
        if (lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, fine[i], &arena, &h, &why) != 0)
            fail_msg("reason '%s' refused", fine[i]);
    reason[200] = '\0';
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, reason, &arena, &h, &why), 0);
    assert_true(h.revealed);

    assert_int_equal(lookup(at, &dora, P_ID15, PERSON_DAYS_DEFAULT, true, REASON, &arena, &h, &why), 0);
    assert_true(h.revealed);
    assert_string_equal(h.id_number, P_ID);
    assert_string_equal(h.name, P_NAME);
    {
        const int64_t want[] = { w.a, w.b, w.c, w.e };
        expect_ids(&h, want, 4);
    }
    /* the collision row (newest, name 李四) did not lend its name */
    assert_null(strstr(h.name, Q_NAME));
    /* a reason without reveal changes nothing */
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, false, REASON, &arena, &h, &why), 0);
    assert_false(h.revealed);
    assert_string_equal(h.id_number, P_MASKED);
    assert_string_equal(h.name, P_NAME_MASKED);
    /* five reveals succeeded (three with the clean reasons of issue 12), two lookups; refused
     * attempts answered nothing */
    assert_int_equal(apptest_count_audit(at->db, "people.reveal", w.target, "ok"), 5);
    assert_int_equal(apptest_count_audit(at->db, "people.lookup", w.target, "ok"), 2);
    arena_release(&arena);
}

/* The blind index is confirmed by opening the sealed ID: rows that share the person's
 * index but hold another ID (or an ID that does not open as one) are not theirs. */
static void
test_blind_index_collision(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora;
    const char *why;

    seed(at, &w);
    district(at, &dora);
    /* eight rows carry the index: six ingested (one tombstoned), two written by hand; the
     * two by hand are the newest and in the window, with a positive result on their tube */
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM samples WHERE person_bidx = ?1 AND deleted_at = 0",
                                 w.bidx),
                     7);
    for (int reveal = 0; reveal <= 1; reveal++) {
        assert_int_equal(lookup(at, &dora, P_ID, 1, reveal, REASON, &arena, &h, &why), 0);
        {
            const int64_t want[] = { w.a };
            expect_ids(&h, want, 1);
        }
        assert_string_equal(h.tests[0].tube_code, "T-A");
        assert_string_equal(h.tests[0].result, "negative");
        assert_string_equal(h.name, reveal ? P_NAME : P_NAME_MASKED);
        for (size_t i = 0; i < h.ntests; i++)
            assert_string_not_equal(h.tests[i].tube_code, "T-X");
    }
    arena_release(&arena);
}

/* entry_holds: does any field of e hold needle? */
static bool
entry_holds(const struct audit_entry *e, const char *needle)
{
    const char *fields[] = { e->actor, e->role, e->ip, e->action, e->target, e->result, e->request_id, e->detail };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i] && strstr(fields[i], needle))
            return true;
    return false;
}

/* Every lookup and reveal is audited by blind index; no audit row holds the number, any
 * spelling of it, or the name. */
static void
test_audit(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor dora, sam;
    struct audit_query q = { .limit = 1000 };
    struct audit_entry *items = NULL;
    size_t n = 0, lookups = 0, reveals = 0;
    int64_t total = 0;
    const char *why;
    static const char *const needles[] = { P_ID, "11010219900307123x", P_ID15, "19900307", "0307123",
                                           P_NAME, Q_ID, Q_NAME, P_PHONE, NULL };

    seed(at, &w);
    district(at, &dora);
    subdistrict(at, &sam);
    assert_int_equal(lookup(at, &sam, P_ID, PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);
    assert_int_equal(lookup(at, &sam, P_ID15, 3, false, NULL, &arena, &h, &why), 0);
    assert_int_equal(lookup(at, &dora, "=\"11010219900307123x\"", 7, false, NULL, &arena, &h, &why), 0);
    assert_int_equal(lookup(at, &dora, P_ID, PERSON_DAYS_DEFAULT, true, REASON, &arena, &h, &why), 0);
    assert_int_equal(lookup(at, &dora, Q_ID, PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);
    /* never sampled: audited all the same */
    assert_int_equal(lookup(at, &dora, "110105198506121088", PERSON_DAYS_DEFAULT, false, NULL, &arena, &h, &why), 0);

    assert_int_equal(audit_list(at->db, &q, &arena, &items, &n, &total), 0);
    assert_int_equal((int64_t)n, total);
    for (size_t i = 0; i < n; i++) {
        const struct audit_entry *e = &items[i];
        for (size_t k = 0; needles[k]; k++)
            if (entry_holds(e, needles[k]))
                fail_msg("audit row %lld (%s) holds personal datum %zu", (long long)e->id, e->action, k);
        if (strcmp(e->action, "people.lookup") != 0 && strcmp(e->action, "people.reveal") != 0)
            continue;
        /* target "blind:" + 16 lowercase hex digits */
        assert_int_equal(strlen(e->target), 22);
        assert_memory_equal(e->target, "blind:", 6);
        for (size_t k = 6; k < 22; k++)
            assert_non_null(strchr("0123456789abcdef", e->target[k]));
        assert_string_equal(e->result, "ok");
        if (strcmp(e->action, "people.reveal") == 0) {
            reveals++;
            assert_string_equal(e->target, w.target);
            assert_string_equal(e->actor, "dora");
            assert_string_equal(e->detail, REASON);
        } else {
            lookups++;
        }
    }
    assert_int_equal(lookups, 5);
    assert_int_equal(reveals, 1);
    assert_int_equal(apptest_count_audit(at->db, "people.lookup", w.target, "ok"), 3);
    assert_int_equal(apptest_count_audit(at->db, "people.reveal", w.target, "ok"), 1);
    {
        char qtarget[40];
        snprintf(qtarget, sizeof qtarget, "blind:%016llx",
                 (unsigned long long)blind_index(&at->app.keys, "idno", Q_ID, IDNO_LEN));
        assert_int_equal(apptest_count_audit(at->db, "people.lookup", qtarget, "ok"), 1);
    }
    /* the subdistrict officer's lookups are theirs */
    {
        size_t by_sam = 0;
        for (size_t i = 0; i < n; i++)
            by_sam += strcmp(items[i].action, "people.lookup") == 0 && strcmp(items[i].actor, "sam") == 0;
        assert_int_equal(by_sam, 2);
    }
    assert_true(apptest_audit_intact(at) > 0);
    arena_release(&arena);
}

/* A refused reveal is an access-control event like the router's 403s (api/gate.c audits
 * "access.denied"): it must leave a trace by blind index, with result "denied". */
static void
test_refused_reveal_audited(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct world w;
    struct actor sam;
    const char *why;
    int64_t before = 0, after = 0;

    seed(at, &w);
    subdistrict(at, &sam);
    before = apptest_i64(at->db, "SELECT COUNT(*) FROM audit_log", 0);
    assert_int_equal(lookup(at, &sam, P_ID, PERSON_DAYS_DEFAULT, true, REASON, &arena, &h, &why), ERR_FORBIDDEN);
    after = apptest_i64(at->db, "SELECT COUNT(*) FROM audit_log", 0);
    if (after == before)
        fail_msg("a reveal refused for want of pii.reveal left no audit entry (expected \"people.reveal\""
                 " on the blind index with result \"denied\")");
    assert_int_equal(apptest_count_audit(at->db, "people.reveal", w.target, "denied"), 1);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_history),    APPTEST(test_window),
        APPTEST(test_spellings),  APPTEST(test_invalid_ids),
        APPTEST(test_mask_name),  APPTEST(test_reveal),
        APPTEST(test_blind_index_collision),
        APPTEST(test_audit),      APPTEST(test_refused_reveal_audited),
    };
    return apptest_run("person", tests, sizeof tests / sizeof tests[0]);
}
