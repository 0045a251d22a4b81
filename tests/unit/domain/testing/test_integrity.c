/* tests/unit/domain/testing/test_integrity.c - a flipped byte in a sample's sealed ID number
 * is an integrity failure, never "not found" (issue 12, S-evidence; S1, S5), on SQLite and
 * PostgreSQL: the personal lookup answers damaged, a batch lookup writes 数据损坏 / damaged
 * in 状态 and keeps the person out of not_found, /metrics counts the failure and the audit
 * log holds an "integrity.failure" entry (by blind index, never the number). An intact
 * sample of another person in the same run still reads as found.
 *
 * The assertions use only what existed before the fix (batch_row_text's 状态代码 column,
 * the counts, the audit table, metrics_format's text), so the suite failed on the unfixed
 * tree: the damaged person read as not found, nothing was counted or audited.
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
#include "domain/batch/batch.h"
#include "domain/testing/person.h"
#include "domain/testing/sample.h"
#include "http/metrics.h"

#define D 86400000LL
#define NOW (APPTEST_T0 + 30 * D)

static char id_damaged[19], id_intact[19];

static void
make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = idno_check_digit(first17);
    out[18] = '\0';
}

static void
sample(struct apptest *at, const char *ext, const char *id, const char *tube)
{
    char text[512];
    json_error_t je;
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    snprintf(text, sizeof text,
             "[{\"source\":\"app\",\"external_id\":\"%s\",\"id_number\":\"%s\",\"name\":\"测试\","
             "\"tube_code\":\"%s\",\"site_code\":\"S1\",\"collected_at\":%lld}]",
             ext, id, tube, (long long)(NOW - D));
    json_t *items = json_loads(text, 0, &je);
    assert_non_null(items);
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, &sample_kind, items, &out, &n, &accepted), 0);
    assert_int_equal(accepted, 1);
    json_decref(items);
    xfree(out);
}

/* flip_byte flips one ciphertext byte of the sealed ID number of sample external_id ext,
 * as a disk fault or a tamperer would: the row keeps its blind index. */
static void
flip_byte(struct apptest *at, const char *ext)
{
    static const char sql_get[] = "SELECT id_number FROM samples WHERE external_id = ?1";
    static const char sql_set[] = "UPDATE samples SET id_number = ?2 WHERE external_id = ?1";
    uint8_t blob[256];
    size_t n = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(db_prepare(at->db, sql_get, &st), 0);
    assert_int_equal(db_bind_text(st, 1, ext, strlen(ext)), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const void *p = db_col_blob(st, 0, &n);
    assert_true(n > FIELD_OVERHEAD && n <= sizeof blob);
    memcpy(blob, p, n);
    db_done(st);
    blob[1 + 4 + 16 + 3] ^= 0x01; /* a ciphertext byte (after version, key id, IV) */
    assert_int_equal(db_prepare(at->db, sql_set, &st), 0);
    assert_int_equal(db_bind_text(st, 1, ext, strlen(ext)), 0);
    assert_int_equal(db_bind_blob(st, 2, blob, n), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

/* metric_value reads jiayuan_integrity_failures_total from the /metrics text (-1: absent). */
static long long
metric_value(void)
{
    struct buf b = BUF_INIT;
    long long v = -1;
    metrics_format(&b, 0);
    const char *p = strstr(b.data, "\njiayuan_integrity_failures_total ");
    if (p)
        v = strtoll(p + strlen("\njiayuan_integrity_failures_total "), NULL, 10);
    buf_release(&b);
    return v;
}

static void
load(struct apptest *at)
{
    static const char sql_site[] =
        "INSERT INTO sites (code, name, type, subdistrict, lon_e6, lat_e6, source, external_id, created_at,"
        " updated_at) VALUES ('S1', '一号采样点', 'fixed', '" APPTEST_SUBDISTRICT "', 116370000, 39910000,"
        " 'test', 'S1', 1, 1)";
    time_set_fake_ms(NOW);
    make_id("11010219800101001", id_damaged);
    make_id("11010219800101002", id_intact);
    assert_int_equal(apptest_exec(at->db, sql_site), 0);
    sample(at, "d1", id_damaged, "T1");
    sample(at, "i1", id_intact, "T2");
    flip_byte(at, "d1");
}

static void
test_person_lookup_damaged(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    load(at);
    long long before = metric_value();
    assert_true(before >= 0);
    assert_int_equal(person_lookup(&at->app, at->db, &at->admin, id_damaged, 14, false, NULL, &arena, &h,
                                   apptest_why()),
                     0);
    assert_int_equal(h.ntests, 0);
    assert_int_equal(h.damaged, 1); /* not "never tested": damaged data */
    assert_true(metric_value() > before);
    int64_t bidx = blind_index(&at->app.keys, "idno", id_damaged, 18);
    char target[40];
    snprintf(target, sizeof target, "blind:%016llx", (unsigned long long)bidx);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", target, "failed"), 1);
    /* the intact person is untouched: no failure counted, no integrity entry */
    long long mid = metric_value();
    assert_int_equal(person_lookup(&at->app, at->db, &at->admin, id_intact, 14, false, NULL, &arena, &h,
                                   apptest_why()),
                     0);
    assert_int_equal(h.ntests, 1);
    assert_int_equal(h.damaged, 0);
    assert_int_equal(metric_value(), mid);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", NULL, NULL), 1);
    arena_release(&arena);
}

struct seen {
    char code[2][24], tested[2][24];
    size_t n;
};

static int
seen_row(void *arg, const struct batch_row *r)
{
    struct seen *s = arg;
    struct batch_text tb;
    struct str out[BATCH_RESULT_COLS];
    if (r->kind != BATCH_ROW_DATA)
        return 0;
    assert_true(s->n < 2);
    batch_row_text(r, &tb, out);
    snprintf(s->code[s->n], sizeof s->code[0], "%.*s", (int)out[BATCH_COL_STATUS_CODE].n, out[BATCH_COL_STATUS_CODE].p);
    snprintf(s->tested[s->n], sizeof s->tested[0], "%.*s", (int)out[BATCH_COL_TESTED].n, out[BATCH_COL_TESTED].p);
    s->n++;
    return 0;
}

static void
test_batch_damaged(void **state)
{
    struct apptest *at = *state;
    struct buf csv = BUF_INIT;
    struct batch_table_state ts;
    struct batch_source src;
    struct batch_stats st;
    struct seen seen = { 0 };
    struct batch_sink sink = { NULL, seen_row, &seen };
    struct batch_opts o = { .audit_target = "batch:7" };
    load(at);
    long long before = metric_value();
    buf_printf(&csv, "姓名,身份证号\r\n甲,%s\r\n乙,%s\r\n", id_damaged, id_intact);
    batch_source_mem(&src, &ts, csv.data, csv.len);
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, NULL, &st, apptest_why()), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.code[0], "damaged");
    assert_string_equal(seen.tested[0], "数据损坏");
    assert_string_equal(seen.code[1], "ok");
    assert_string_equal(seen.tested[1], "是");
    assert_int_equal(st.counts.valid, 2);
    assert_int_equal(st.counts.found, 1);
    assert_int_equal(st.counts.not_found, 0); /* the damaged person is not "not found" */
    assert_int_equal(st.collisions, 0);
    assert_true(metric_value() > before);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", "batch:7", "failed"), 1);
    buf_release(&csv);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_person_lookup_damaged),
        APPTEST(test_batch_damaged),
    };
    return apptest_run("integrity", tests, sizeof tests / sizeof tests[0]);
}
