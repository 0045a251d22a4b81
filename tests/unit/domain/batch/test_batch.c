/* tests/unit/domain/batch/test_batch.c - the batch lookup engine of domain/batch/batch.h and the
 * `jiayuan batch` command (R4.3-R4.7), on SQLite and PostgreSQL.
 *
 * One table of rows covers every status (ok, fixed in each spelling, converted_15,
 * bad_checksum, bad_date, excel_corrupted, empty, duplicate, not_an_id) and every result
 * case (tested in the count window, only in the far window, outside the window, never
 * sampled, latest sample still pending, a re-tested tube, a pooled tube, a blind-index
 * collision that must not count). The same rows go through CSV (UTF-8 with BOM, GBK) and
 * workbooks made with libxlsxwriter (shared strings, inline strings in constant_memory
 * mode, numeric ID cells, empty rows, a merged title row, an extra sheet in front). The
 * data is stored through the real ingest kinds (samples, results) except the collision,
 * which has to be forged with SQL. The command is run end to end on a small demo district
 * and its output read back with io/table.h and, when installed, LibreOffice; also on a list
 * written by openpyxl whose ID cells are formulas without cached values (issue 7). All ID
 * numbers are synthetic (region 110102, check digits computed here).
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "apptest.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/batch/batch.h"
#include "demo/demo.h"
#include "domain/ingest/ingest.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"
#include "io/table.h"

#define H 3600000LL
#define D 86400000LL
#define NOW (APPTEST_T0 + 30 * D + 10 * H) /* 2026-01-31 18:00 Asia/Shanghai */

/* idno_status_parse_test maps a 状态代码 cell back to its status (IDNO_NOT_AN_ID + 1 when
 * unknown, whose word is "未知" and never matches). */
static enum idno_status
idno_status_parse_test(struct str code)
{
    for (int i = 0; i <= IDNO_NOT_AN_ID; i++)
        if (str_eq_cstr(code, idno_status_code((enum idno_status)i)))
            return (enum idno_status)i;
    return (enum idno_status)(IDNO_NOT_AN_ID + 1);
}

static char tmpdir[64];

static const char *
tmp_path(const char *name)
{
    static char path[4][160];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

/* ---- people and data ---------------------------------------------------------------- */

enum { P1, P2, P3, P4, P5, P6, P7, P8, P9, NPEOPLE };
static char ids[NPEOPLE][19];
static char id15_p8[16];

static void
make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = idno_check_digit(first17);
    out[18] = '\0';
}

static void
people_init(void)
{
    char first17[40];
    for (int p = 0; p < NPEOPLE; p++) {
        snprintf(first17, sizeof first17, "1101021980010%1d%03d", 1 + p % 9, 10 + p);
        make_id(first17, ids[p]);
    }
    /* P7 has an X check digit (for the lowercase-x spelling) */
    for (int seq = 100; seq < 999; seq++) {
        snprintf(first17, sizeof first17, "11010219850505%03d", seq);
        if (idno_check_digit(first17) == 'X') {
            make_id(first17, ids[P7]);
            break;
        }
    }
    assert_int_equal(ids[P7][17], 'X');
    /* P8 is known by its 15-digit first-generation number 110102 800303 123 */
    snprintf(id15_p8, sizeof id15_p8, "%s", "110102800303123");
    make_id("11010219800303123", ids[P8]);
}

static void
site_insert(struct db *db, const char *code, const char *name)
{
    static const char sql[] =
        "INSERT INTO sites (code, name, type, subdistrict, lon_e6, lat_e6, source, external_id, created_at,"
        " updated_at) VALUES (?1, ?2, 'fixed', ?3, 116370000, 39910000, 'test', ?1, 1, 1)";
    struct db_stmt *st = NULL;
    bool row;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, code, strlen(code)), 0);
    assert_int_equal(db_bind_text(st, 2, name, strlen(name)), 0);
    assert_int_equal(db_bind_text(st, 3, APPTEST_SUBDISTRICT, strlen(APPTEST_SUBDISTRICT)), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

static void
ingest(struct apptest *at, const struct ingest_kind *kind, const char *text)
{
    json_error_t je;
    json_t *items = json_loads(text, 0, &je);
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    if (!items)
        fail_msg("bad test JSON: %s", je.text);
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, kind, items, &out, &n, &accepted), 0);
    for (size_t i = 0; i < n; i++)
        if (out[i].status != INGEST_ACCEPTED)
            fail_msg("item %zu not accepted: %s %s", i, out[i].field ? out[i].field : "", out[i].reason);
    json_decref(items);
    xfree(out);
}

static void
sample(struct apptest *at, int p, const char *tube, const char *site, int64_t at_ms)
{
    static int seq;
    char text[512];
    snprintf(text, sizeof text,
             "{\"source\":\"app\",\"external_id\":\"s%d\",\"id_number\":\"%s\",\"name\":\"测试%d\","
             "\"tube_code\":\"%s\",\"site_code\":\"%s\",\"collected_at\":%lld}",
             ++seq, ids[p], p, tube, site, (long long)at_ms);
    ingest(at, &sample_kind, text);
}

static void
result(struct apptest *at, const char *tube, const char *lab, const char *value, int64_t at_ms)
{
    static int seq;
    char text[512];
    snprintf(text, sizeof text,
             "{\"source\":\"lab\",\"external_id\":\"r%d\",\"tube_code\":\"%s\",\"institution\":\"%s\","
             "\"tested_at\":%lld,\"result\":\"%s\"}",
             ++seq, tube, lab, (long long)at_ms, value);
    ingest(at, &result_kind, text);
}

/* A sample row whose blind index is P1's but whose sealed ID is P9's: a collision. */
static void
forge_collision(struct apptest *at, int64_t at_ms)
{
    static const char sql[] =
        "INSERT INTO samples (source, external_id, person_bidx, id_number, name, tube_code, site_id, subdistrict,"
        " collected_at, created_at) SELECT 'forged', 'c1', ?1, ?2, ?3, 'TC', id, subdistrict, ?4, ?4"
        " FROM sites WHERE code = 'S1'";
    uint8_t sid[64], sname[64];
    size_t nid = 0, nname = 0;
    struct db_stmt *st = NULL;
    bool row;
    int64_t bidx = blind_index(&at->app.keys, "idno", ids[P1], 18);
    assert_int_equal(field_seal(&at->app.keys, "samples.id_number", ids[P9], 18, sid, sizeof sid, &nid), 0);
    assert_int_equal(field_seal(&at->app.keys, "samples.name", "碰撞", 6, sname, sizeof sname, &nname), 0);
    assert_int_equal(db_prepare(at->db, sql, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, bidx), 0);
    assert_int_equal(db_bind_blob(st, 2, sid, nid), 0);
    assert_int_equal(db_bind_blob(st, 3, sname, nname), 0);
    assert_int_equal(db_bind_i64(st, 4, at_ms), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

/* The data every engine test runs against; time is faked to NOW. */
static void
data_load(struct apptest *at)
{
    time_set_fake_ms(NOW);
    people_init();
    site_insert(at->db, "S1", "一号采样点");
    site_insert(at->db, "S2", "二号采样点");
    /* P1: three samples in the last 3 days (the newest pending), one 5 days ago */
    sample(at, P1, "T1a", "S1", NOW - 1 * H);
    sample(at, P1, "T1b", "S2", NOW - 25 * H);
    sample(at, P1, "T1c", "S1", NOW - 49 * H);
    sample(at, P1, "T1d", "S1", NOW - 5 * D);
    result(at, "T1b", "一号实验室", "negative", NOW - 20 * H);
    result(at, "T1c", "二号实验室", "negative", NOW - 45 * H);
    result(at, "T1d", "二号实验室", "negative", NOW - 5 * D + 6 * H);
    forge_collision(at, NOW - 2 * H);
    /* P2: only 10 days ago (the far window), positive */
    sample(at, P2, "T2", "S2", NOW - 10 * D);
    result(at, "T2", "一号实验室", "positive", NOW - 10 * D + 5 * H);
    /* P3: 20 days ago, outside every window */
    sample(at, P3, "T3", "S1", NOW - 20 * D);
    result(at, "T3", "一号实验室", "negative", NOW - 20 * D + 5 * H);
    /* P4: never sampled. P5: a tube tested twice (invalid, then negative on re-test) */
    sample(at, P5, "T5", "S1", NOW - 2 * H);
    result(at, "T5", "一号实验室", "invalid", NOW - 90 * 60000LL);
    result(at, "T5", "二号实验室", "negative", NOW - 60 * 60000LL);
    /* P6 and P7 pooled in one tube; P8 under its 18-digit number */
    sample(at, P6, "TP", "S2", NOW - 30 * H);
    sample(at, P7, "TP", "S2", NOW - 30 * H + 60000);
    result(at, "TP", "二号实验室", "positive", NOW - 26 * H);
    sample(at, P8, "T8", "S1", NOW - 3 * H);
    /* a result dated in the future (ingest refuses those; a clock changed since) is not
       reported */
    assert_int_equal(apptest_exec(at->db, "INSERT INTO results (source, external_id, tube_code, institution,"
                                          " tested_at, result, created_at) VALUES ('lab', 'future', 'T8', 'L',"
                                          " 1769860800000, 'negative', 1)"),
                     0);
    assert_true(1769860800000LL > NOW);
}

/* ---- the table of rows ------------------------------------------------------------- */

enum spell { SP_CLEAN, SP_SPACES, SP_FULLWIDTH, SP_APOS, SP_FORMULA, SP_LOWER_X, SP_ID15, SP_BADSUM, SP_BADDATE,
             SP_SCI, SP_ZEROTAIL, SP_EMPTY, SP_TEXT, SP_IDEO };

struct case_row {
    int person;            /* whose ID, -1 for none */
    enum spell spell;
    enum idno_status status;
    int first;             /* duplicate: index in this table of the first occurrence, else -1 */
};

static const struct case_row cases[] = {
    { P1, SP_CLEAN, IDNO_OK, -1 },
    { P2, SP_SPACES, IDNO_FIXED, -1 },
    { P3, SP_FULLWIDTH, IDNO_FIXED, -1 },
    { P4, SP_APOS, IDNO_FIXED, -1 },
    { P5, SP_FORMULA, IDNO_FIXED, -1 },
    { P6, SP_IDEO, IDNO_FIXED, -1 },
    { P7, SP_LOWER_X, IDNO_FIXED, -1 },
    { P8, SP_ID15, IDNO_CONVERTED_15, -1 },
    { P1, SP_SPACES, IDNO_DUPLICATE, 0 },
    { P1, SP_BADSUM, IDNO_BAD_CHECKSUM, -1 },
    { -1, SP_BADDATE, IDNO_BAD_DATE, -1 },
    { P1, SP_SCI, IDNO_EXCEL_CORRUPTED, -1 },
    { P1, SP_ZEROTAIL, IDNO_EXCEL_CORRUPTED, -1 },
    { -1, SP_EMPTY, IDNO_EMPTY, -1 },
    { -1, SP_TEXT, IDNO_NOT_AN_ID, -1 },
    { P8, SP_CLEAN, IDNO_DUPLICATE, 7 },
};
#define NCASES (sizeof cases / sizeof cases[0])

/* What each person's row must say with the default windows (14 days, 3 days). */
struct expect {
    bool found, tested;
    unsigned count;
    int64_t sampled_at, tested_at;
    const char *institution, *result, *site;
};

static struct expect
expect_of(int p)
{
    switch (p) {
    case P1: /* the collision (NOW - 2 h) does not count and is not the latest */
        return (struct expect){ true, true, 3, NOW - 1 * H, NOW - 20 * H, "一号实验室", "negative", "一号采样点" };
    case P2:
        return (struct expect){ true, true, 0, NOW - 10 * D, NOW - 10 * D + 5 * H, "一号实验室", "positive",
                                "二号采样点" };
    case P5:
        return (struct expect){ true, true, 1, NOW - 2 * H, NOW - 60 * 60000LL, "二号实验室", "negative",
                                "一号采样点" };
    case P6:
        return (struct expect){ true, true, 1, NOW - 30 * H, NOW - 26 * H, "二号实验室", "positive", "二号采样点" };
    case P7:
        return (struct expect){ true, true, 1, NOW - 30 * H + 60000, NOW - 26 * H, "二号实验室", "positive",
                                "二号采样点" };
    case P8:
        return (struct expect){ true, true, 1, NOW - 3 * H, 0, "", "", "一号采样点" };
    default: /* P3 (outside the windows), P4 (never sampled) */
        return (struct expect){ false, false, 0, 0, 0, "", "", "" };
    }
}

/* spell writes the cell text of case c. *number is set when the cell is a number in a
 * workbook (Excel's own storage): the ID shown in scientific notation, or the 15 digits. */
static void
spell(const struct case_row *c, char *out, size_t cap, bool *is_number, double *number)
{
    const char *id = c->person >= 0 ? ids[c->person] : "";
    *is_number = false;
    switch (c->spell) {
    case SP_CLEAN:
        snprintf(out, cap, "%s", id);
        break;
    case SP_SPACES:
        snprintf(out, cap, " %.6s %.8s %.4s ", id, id + 6, id + 14);
        break;
    case SP_FULLWIDTH: {
        static const char *const fw[] = { "０", "１", "２", "３", "４", "５", "６", "７", "８", "９" };
        size_t n = 0;
        for (int i = 0; i < 18; i++) {
            const char *s = id[i] == 'X' ? "Ｘ" : fw[id[i] - '0'];
            memcpy(out + n, s, strlen(s));
            n += strlen(s);
        }
        out[n] = '\0';
        break;
    }
    case SP_APOS:
        snprintf(out, cap, "'%s", id);
        break;
    case SP_FORMULA:
        snprintf(out, cap, "=\"%s\"", id);
        break;
    case SP_IDEO:
        snprintf(out, cap, "%.6s\u3000%s", id, id + 6);
        break;
    case SP_LOWER_X:
        snprintf(out, cap, "%.17sx", id);
        break;
    case SP_ID15:
        snprintf(out, cap, "%s", id15_p8);
        *is_number = true;
        *number = 110102800303123.0;
        break;
    case SP_BADSUM:
        snprintf(out, cap, "%.17s%c", id, id[17] == '1' ? '2' : '1');
        break;
    case SP_BADDATE: {
        char first17[40], bad[19];
        snprintf(first17, sizeof first17, "%s", "11010219800230011"); /* 30 February */
        make_id(first17, bad);
        snprintf(out, cap, "%s", bad);
        break;
    }
    case SP_SCI:
        snprintf(out, cap, "%.1s.%.14sE+17", id, id + 1);
        *is_number = true;
        *number = 110102198001010000.0;
        break;
    case SP_ZEROTAIL: {
        char first17[40];
        snprintf(first17, sizeof first17, "%.15s00", id);
        /* must not happen to be valid: the tail Excel zeroes after 15 digits */
        snprintf(out, cap, "%.15s000", id);
        assert_int_not_equal(idno_check_digit(first17), '0');
        break;
    }
    case SP_EMPTY:
        out[0] = '\0';
        break;
    case SP_TEXT:
        snprintf(out, cap, "%s", "待补充");
        break;
    }
}

/* ---- a sink that keeps what it was given ------------------------------------------- */

struct seen_row {
    enum batch_row_kind kind;
    uint64_t num, index, first_num;
    enum idno_status status;
    bool has_result;
    struct batch_result r;
    char institution[64], result[32], site[64];
    char id_cell[96];
    size_t ncells;
};

struct collect {
    struct seen_row rows[64];
    size_t n;
    bool began;
    struct batch_counts counts_at_begin;
    int fail_at; /* return 777 at this row (0 = never) */
};

static int
collect_begin(void *arg, const struct batch_stats *st)
{
    struct collect *c = arg;
    c->began = true;
    c->counts_at_begin = st->counts;
    return 0;
}

static int
collect_row(void *arg, const struct batch_row *r)
{
    struct collect *c = arg;
    assert_true(c->n < 64);
    if (c->fail_at && (int)c->n + 1 == c->fail_at)
        return 777;
    struct seen_row *s = &c->rows[c->n++];
    memset(s, 0, sizeof *s);
    s->kind = r->kind;
    s->num = r->num;
    s->index = r->index;
    s->first_num = r->first_num;
    s->status = r->status;
    s->ncells = r->ncells;
    if (r->id_col >= 0 && (size_t)r->id_col < r->ncells)
        snprintf(s->id_cell, sizeof s->id_cell, "%.*s", (int)r->cells[r->id_col].n, r->cells[r->id_col].p);
    if (r->result) {
        s->has_result = true;
        s->r = *r->result;
        snprintf(s->institution, sizeof s->institution, "%s", r->result->institution);
        snprintf(s->result, sizeof s->result, "%s", r->result->result);
        snprintf(s->site, sizeof s->site, "%s", r->result->site_name);
    }
    return 0;
}

/* check_rows asserts the data rows c saw match the case table (default windows). */
static void
check_rows(const struct collect *c, const struct batch_stats *st)
{
    uint64_t nums[NCASES];
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct seen_row *s = &c->rows[i];
        if (s->kind != BATCH_ROW_DATA)
            continue;
        assert_true(k < NCASES);
        const struct case_row *cr = &cases[k];
        nums[k] = s->num;
        assert_int_equal(s->index, k);
        if (s->status != cr->status)
            fail_msg("case %zu (row %llu): status %s, expected %s", k, (unsigned long long)s->num,
                     idno_status_code(s->status), idno_status_code(cr->status));
        if (cr->status == IDNO_DUPLICATE)
            assert_int_equal(s->first_num, nums[cr->first]);
        else
            assert_int_equal(s->first_num, 0);
        bool valid = cr->status == IDNO_OK || cr->status == IDNO_FIXED || cr->status == IDNO_CONVERTED_15 ||
                     cr->status == IDNO_DUPLICATE;
        assert_int_equal(s->has_result, valid);
        if (valid) {
            struct expect e = expect_of(cr->person);
            if (s->r.found != e.found || s->r.tested != e.tested || s->r.count != e.count ||
                s->r.sampled_at != e.sampled_at || s->r.tested_at != e.tested_at)
                fail_msg("case %zu (P%d): found %d tested %d count %u sampled %lld tested %lld", k,
                         cr->person + 1, s->r.found, s->r.tested, s->r.count,
                         (long long)(s->r.sampled_at ? s->r.sampled_at - NOW : 0),
                         (long long)(s->r.tested_at ? s->r.tested_at - NOW : 0));
            assert_string_equal(s->institution, e.institution);
            assert_string_equal(s->result, e.result);
            assert_string_equal(s->site, e.site);
        }
        k++;
    }
    assert_int_equal(k, NCASES);
    const struct batch_counts *n = &st->counts;
    assert_int_equal(n->rows, NCASES);
    assert_int_equal(n->valid, 8);
    assert_int_equal(n->duplicate, 2);
    assert_int_equal(n->invalid, 6);
    assert_int_equal(n->found, 6);
    assert_int_equal(n->not_found, 2);
    assert_int_equal(n->tested, 6);
    assert_int_equal(n->by_status[IDNO_FIXED], 6);
    assert_int_equal(n->by_status[IDNO_EXCEL_CORRUPTED], 2);
    assert_int_equal(n->valid + n->duplicate + n->invalid, n->rows);
    assert_true(c->began);
    assert_memory_equal(&c->counts_at_begin, n, sizeof *n);
    assert_int_equal(st->collisions, 1); /* the forged sample was opened and refused */
}

/* ---- inputs ------------------------------------------------------------------------ */

/* csv_text builds the CSV: a title line, the header, then one line per case (plus a blank
 * line, which counts as a record number but is not a row). */
static void
csv_text(struct buf *b, bool bom)
{
    char cell[128];
    bool num;
    double d;
    if (bom)
        buf_adds(b, "\xEF\xBB\xBF");
    buf_adds(b, "居民名单（测试）,,\r\n姓名,身份证号,联系电话\r\n");
    for (size_t i = 0; i < NCASES; i++) {
        spell(&cases[i], cell, sizeof cell, &num, &d);
        buf_printf(b, "测试%zu,\"", i);
        for (const char *p = cell; *p; p++) {
            if (*p == '"')
                buf_addch(b, '"');
            buf_addch(b, *p);
        }
        buf_printf(b, "\",1380000%04zu\r\n", i);
        if (i == 3)
            buf_adds(b, "\r\n");
    }
}

static void
to_gbk(const struct buf *in, struct buf *out)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char *src = in->data, *dst;
    size_t left = in->len, room = in->len * 2 + 16;
    buf_grow(out, room);
    dst = out->data;
    assert_int_not_equal(iconv(cd, &src, &left, &dst, &room), (size_t)-1);
    out->len = (size_t)(dst - out->data);
    out->data[out->len] = '\0';
    iconv_close(cd);
}

/* xlsx_write writes the cases as a workbook: an extra sheet in front without IDs, then a
 * merged title row, the header, the cases with two empty rows in between. */
static void
xlsx_write(const char *path, bool constant_memory)
{
    lxw_workbook_options o = { .constant_memory = constant_memory, .tmpdir = tmpdir };
    lxw_workbook *wb = workbook_new_opt(path, &o);
    assert_non_null(wb);
    lxw_worksheet *notes = workbook_add_worksheet(wb, "说明");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "名单");
    lxw_format *text = workbook_add_format(wb);
    format_set_num_format(text, "@");
    worksheet_write_string(notes, 0, 0, "填表说明：身份证号请填写18位", NULL);
    worksheet_write_string(notes, 1, 0, "联系人：街道办", NULL);
    if (constant_memory) /* merging needs the rows in memory: write the title plainly */
        worksheet_write_string(ws, 0, 0, "居民名单（测试）", NULL);
    else
        worksheet_merge_range(ws, 0, 0, 0, 2, "居民名单（测试）", NULL);
    worksheet_write_string(ws, 1, 0, "姓名", NULL);
    worksheet_write_string(ws, 1, 1, "公民身份号码", NULL);
    worksheet_write_string(ws, 1, 2, "联系电话", NULL);
    lxw_row_t r = 2;
    for (size_t i = 0; i < NCASES; i++, r++) {
        char cell[128], name[32], phone[32];
        bool num;
        double d;
        if (i == 4 || i == 9)
            r++; /* an empty row */
        spell(&cases[i], cell, sizeof cell, &num, &d);
        snprintf(name, sizeof name, "测试%zu", i);
        snprintf(phone, sizeof phone, "1380000%04zu", i);
        worksheet_write_string(ws, r, 0, name, NULL);
        if (num)
            worksheet_write_number(ws, r, 1, d, NULL);
        else if (cell[0])
            worksheet_write_string(ws, r, 1, cell, text);
        worksheet_write_string(ws, r, 2, phone, NULL);
    }
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
}

static void
file_read(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(b, chunk, n);
    fclose(f);
    assert_false(buf_error(b));
}

static void
run_mem(struct apptest *at, const void *p, size_t n, const struct batch_opts *opts, struct collect *c,
        struct batch_stats *st)
{
    struct batch_source src;
    struct batch_table_state state;
    struct batch_sink sink = { collect_begin, collect_row, c };
    struct buf why = BUF_INIT;
    batch_source_mem(&src, &state, p, n);
    int rc = batch_run(&at->app, at->db, &at->admin, &src, opts, &sink, NULL, st, &why);
    if (rc)
        fail_msg("batch_run: %s: %s", err_name(rc), why.data);
    buf_release(&why);
}

/* ---- tests -------------------------------------------------------------------------- */

static void
test_csv_utf8_bom(void **state)
{
    struct apptest *at = *state;
    struct buf b = BUF_INIT;
    struct collect c = { 0 };
    struct batch_stats st;
    struct batch_opts o = { .now_ms = NOW };

    data_load(at);
    csv_text(&b, true);
    run_mem(at, b.data, b.len, &o, &c, &st);
    check_rows(&c, &st);
    /* title, header and data rows in order, numbered as the user sees them */
    assert_int_equal(c.rows[0].kind, BATCH_ROW_TITLE);
    assert_int_equal(c.rows[1].kind, BATCH_ROW_HEADER);
    assert_int_equal(c.rows[1].num, 2);
    assert_int_equal(c.rows[2].num, 3);
    assert_int_equal(c.rows[6].num, 8); /* after the blank line */
    assert_int_equal(st.cols.id, 1);
    assert_int_equal(st.cols.header_row, 2);
    /* the sink sees the user's cell exactly as written */
    char expect[64];
    snprintf(expect, sizeof expect, " %.6s %.8s %.4s ", ids[P2], ids[P2] + 6, ids[P2] + 14);
    assert_string_equal(c.rows[3].id_cell, expect);
    /* one audit entry, counts only */
    assert_int_equal(apptest_count_audit(at->db, "batches.lookup", "batch", "ok"), 1);
    apptest_audit_intact(at);
    /* two threads: two lookup connections, the second pass parsed on a helper thread */
    struct db_pool *pool = NULL;
    struct collect c2 = { 0 };
    assert_int_equal(db_pool_new(dbtest_url(at->db), tmpdir, 1, &pool), 0);
    o.threads = 2;
    o.pool = pool;
    o.audit_target = "batch:2";
    run_mem(at, b.data, b.len, &o, &c2, &st);
    check_rows(&c2, &st);
    assert_int_equal(c2.n, c.n);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c2.rows[i].num, c.rows[i].num);
        assert_int_equal(c2.rows[i].ncells, c.rows[i].ncells);
        assert_string_equal(c2.rows[i].id_cell, c.rows[i].id_cell);
    }
    assert_int_equal(apptest_count_audit(at->db, "batches.lookup", "batch:2", "ok"), 1);
    db_pool_free(pool);
    buf_release(&b);
}

static void
test_csv_gbk(void **state)
{
    struct apptest *at = *state;
    struct buf utf8 = BUF_INIT, gbk = BUF_INIT;
    struct collect c = { 0 };
    struct batch_stats st;
    struct batch_opts o = { .now_ms = NOW };
    struct batch_source src;
    struct batch_table_state ts;
    struct batch_sink sink = { collect_begin, collect_row, &c };

    data_load(at);
    csv_text(&utf8, false);
    to_gbk(&utf8, &gbk);
    assert_false(str_is_utf8(gbk.data, gbk.len));
    /* through a file this time */
    FILE *f = fopen(tmp_path("gbk.csv"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(gbk.data, 1, gbk.len, f), gbk.len);
    fclose(f);
    batch_source_path(&src, &ts, tmp_path("gbk.csv"));
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, NULL, &st, NULL), 0);
    check_rows(&c, &st);
    /* cells arrive as UTF-8 */
    assert_string_equal(c.rows[2].id_cell, ids[P1]);
    buf_release(&utf8);
    buf_release(&gbk);
}

static void
test_xlsx(void **state, bool constant_memory)
{
    struct apptest *at = *state;
    struct buf b = BUF_INIT;
    struct collect c = { 0 };
    struct batch_stats st;
    struct batch_opts o = { .now_ms = NOW };

    data_load(at);
    xlsx_write(tmp_path("in.xlsx"), constant_memory);
    file_read(tmp_path("in.xlsx"), &b);
    run_mem(at, b.data, b.len, &o, &c, &st);
    check_rows(&c, &st);
    /* the sheet with IDs was chosen over the notes in front; sheet row numbers kept */
    assert_int_equal(c.rows[0].kind, BATCH_ROW_TITLE);
    assert_int_equal(c.rows[1].kind, BATCH_ROW_HEADER);
    assert_int_equal(c.rows[2].num, 3);
    assert_int_equal(c.rows[6].num, 8); /* the empty row before case 4 is skipped */
    /* numeric cells come as Excel stored them and are judged, never repaired */
    assert_string_equal(c.rows[9].id_cell, "110102800303123");
    assert_true(strchr(c.rows[2 + 11].id_cell, 'E') != NULL);
    buf_release(&b);
}

static void
test_xlsx_shared_strings(void **state)
{
    test_xlsx(state, false);
}

static void
test_xlsx_inline_strings(void **state)
{
    test_xlsx(state, true);
}

/* Windows: --days 1 counts one day; a 3-day window drops P2 (10 days ago). */
static void
test_windows(void **state)
{
    struct apptest *at = *state;
    struct buf b = BUF_INIT;
    struct collect c = { 0 };
    struct batch_stats st;
    struct batch_opts o = { .now_ms = NOW, .days_window = 3, .days_count = 1 };

    data_load(at);
    csv_text(&b, false);
    run_mem(at, b.data, b.len, &o, &c, &st);
    assert_int_equal(c.rows[2].status, IDNO_OK);
    assert_int_equal(c.rows[2].r.count, 1);   /* P1: only the pending sample of 1 h ago */
    assert_true(c.rows[2].r.tested);
    assert_string_equal(c.rows[2].result, "negative"); /* from the 25 h old sample */
    assert_int_equal(c.rows[2].r.tested_at, NOW - 20 * H);
    assert_false(c.rows[3].r.found);          /* P2 */
    assert_false(c.rows[3].r.tested);
    assert_int_equal(st.counts.found, 5);
    assert_int_equal(st.days_window, 3);
    assert_int_equal(st.days_count, 1);
    /* a count window longer than the test window: P2 counted over 12 days, not "tested" */
    memset(&c, 0, sizeof c);
    o = (struct batch_opts){ .now_ms = NOW, .days_window = 7, .days_count = 12 };
    run_mem(at, b.data, b.len, &o, &c, &st);
    assert_true(c.rows[3].r.found);
    assert_false(c.rows[3].r.tested);
    assert_int_equal(c.rows[3].r.count, 1);
    assert_int_equal(c.rows[2].r.count, 4); /* P1 over 12 days */
    buf_release(&b);
}

static int
cancel_at(void *arg, const char *stage, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    return strcmp(stage, arg) == 0 ? 4242 : 0;
}

static void
test_errors_and_cancel(void **state)
{
    struct apptest *at = *state;
    struct buf b = BUF_INIT, why = BUF_INIT;
    struct collect c = { 0 };
    struct batch_stats st;
    struct batch_opts o = { .now_ms = NOW };
    struct batch_source src;
    struct batch_table_state ts;
    struct batch_sink sink = { collect_begin, collect_row, &c };

    data_load(at);
    csv_text(&b, false);
    /* cancelled while looking up: the progress callback's value comes back, no audit */
    struct batch_progress p = { cancel_at, (void *)"lookup" };
    batch_source_mem(&src, &ts, b.data, b.len);
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, &p, &st, NULL), 4242);
    assert_int_equal(c.n, 0);
    assert_int_equal(apptest_count_audit(at->db, "batches.lookup", NULL, NULL), 0);
    /* cancelled while writing */
    p.arg = (void *)"write";
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, &p, &st, NULL), 4242);
    /* a sink that fails stops the run with its code */
    memset(&c, 0, sizeof c);
    c.fail_at = 5;
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, NULL, &st, NULL), 777);
    assert_int_equal(c.n, 4);
    /* counts only (no sink) */
    memset(&st, 0, sizeof st);
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, NULL, NULL, &st, NULL), 0);
    assert_int_equal(st.counts.found, 6);
    assert_int_equal(st.t.write_us, 0);
    /* options */
    o.days_count = BATCH_DAYS_MAX + 1;
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, NULL, NULL, &st, &why), ERR_INVALID);
    o = (struct batch_opts){ .now_ms = NOW, .threads = 2 }; /* threads without a pool */
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, NULL, NULL, &st, NULL), ERR_INVALID);
    /* no ID column: refused with a message that quotes nothing from the file */
    static const char no_id[] = "姓名,电话\r\n张三,13800000000\r\n李四,13900000000\r\n";
    buf_reset(&why);
    o = (struct batch_opts){ .now_ms = NOW };
    batch_source_mem(&src, &ts, no_id, sizeof no_id - 1);
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, NULL, &st, &why), ERR_INVALID);
    assert_string_equal(why.data, "no column of ID numbers found");
    /* not a table at all */
    static const char xls[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 an old .xls";
    buf_reset(&why);
    batch_source_mem(&src, &ts, xls, sizeof xls - 1);
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, &sink, NULL, &st, &why), ERR_INVALID);
    assert_true(why.len > 0);
    buf_release(&why);
    buf_release(&b);
}

/* Many people: several chunks, one and two lookup threads (two connections) agree. */
static void
test_chunks_and_threads(void **state)
{
    struct apptest *at = *state;
    enum { N = 1300 };
    struct buf in = BUF_INIT, items = BUF_INIT;
    struct batch_source src;
    struct batch_table_state ts;
    struct batch_stats st1, st2;
    struct db_pool *pool = NULL;
    char first17[40], id[19];

    time_set_fake_ms(NOW);
    site_insert(at->db, "S1", "一号采样点");
    buf_adds(&in, "身份证号\n");
    for (int i = 0; i < N; i++) {
        snprintf(first17, sizeof first17, "110102%04d0101%03d", 1950 + i / 1000, i % 1000);
        make_id(first17, id);
        buf_printf(&in, "%s\n", id);
        if (i % 3 == 2)
            continue; /* a third never sampled */
        if (items.len == 0)
            buf_addch(&items, '[');
        else
            buf_addch(&items, ',');
        buf_printf(&items,
                   "{\"source\":\"app\",\"external_id\":\"m%d\",\"id_number\":\"%s\",\"name\":\"某\","
                   "\"tube_code\":\"M%d\",\"site_code\":\"S1\",\"collected_at\":%lld}",
                   i, id, i / 10, (long long)(NOW - (i % 5) * D - H));
        if (i % 400 == 399 || i == N - 1) {
            buf_addch(&items, ']');
            ingest(at, &sample_kind, items.data);
            buf_reset(&items);
        }
    }
    if (items.len) {
        buf_addch(&items, ']');
        ingest(at, &sample_kind, items.data);
    }
    struct batch_opts o = { .now_ms = NOW };
    batch_source_mem(&src, &ts, in.data, in.len);
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, NULL, NULL, &st1, NULL), 0);
    assert_int_equal(st1.counts.valid, N);
    assert_int_equal(st1.counts.found, N - N / 3);
    /* count window 3 days: samples 0-2 days ago count (i % 5 < 3) */
    assert_int_equal(db_pool_new(dbtest_url(at->db), tmpdir, 2, &pool), 0);
    o.threads = 2;
    o.pool = pool;
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, NULL, NULL, &st2, NULL), 0);
    assert_memory_equal(&st1.counts, &st2.counts, sizeof st1.counts);
    assert_int_equal(st1.samples_read, st2.samples_read);
    db_pool_free(pool);
    buf_release(&in);
    buf_release(&items);
}

/* ---- the command, end to end ------------------------------------------------------- */

static int
run_cli(int (*fn)(int, char **), const char *const *args, int n)
{
    char *argv[24];
    for (int i = 0; i < n; i++)
        argv[i] = (char *)args[i];
    argv[n] = NULL;
    return fn(n, argv);
}

/* cli_var_setup makes the var folder var with a KEK for the test's database and loads a
 * demo district with params p into it (none when p is NULL). */
static void
cli_var_setup(struct apptest *at, const char *var, const struct demo_params *p)
{
    struct app app;
    struct cli_args a;
    const char *url = dbtest_url(at->db);
    {
        const char *args[] = { "init", "--var", var };
        assert_int_equal(run_cli(cli_keys, args, 3), 0);
    }
    const char *args[] = { "--var", var, "--db", url };
    assert_int_equal(cli_parse(4, (char **)args, (const char *const[]){ "var", "db", NULL }, NULL, &a), 0);
    assert_int_equal(cli_app_open(&app, &a, CLI_OPEN_KEYS, 1), 0);
    if (p) {
        struct db *db = db_pool_get(app.pool);
        assert_int_equal(demo_generate(&app, db, p, NULL, NULL), 0);
        db_pool_put(app.pool, db);
    }
    cli_app_close(&app);
}

static void
test_cli_end_to_end(void **state)
{
    struct apptest *at = *state;
    char var[160], in[160], out[160], csv[200], cmd[600];
    struct demo_params p = { 7, 400, 2, 3, 90, 1, 0 };
    const char *url = dbtest_url(at->db);

    snprintf(var, sizeof var, "%s/var", tmpdir);
    snprintf(in, sizeof in, "%s/list.xlsx", tmpdir);
    snprintf(out, sizeof out, "%s/out.xlsx", tmpdir);
    /* a var folder with a KEK, the database with a tiny demo district */
    cli_var_setup(at, var, &p);
    /* the list: residents 0..99 (ID as a number for resident 5), one outsider, one typo */
    lxw_workbook *wb = workbook_new(in);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Sheet1");
    worksheet_write_string(ws, 0, 0, "姓名", NULL);
    worksheet_write_string(ws, 0, 1, "身份证号码", NULL);
    worksheet_write_string(ws, 0, 2, "备注", NULL);
    char distinct[100][19];
    size_t ndistinct = 0;
    /* text the writer must escape and keep exactly: markup, a control character, spaces at
       the ends (a literal "_x0041_" is checked through CSV in test_cli_two_sheets) */
    static const char *const tricky[] = { "A&B<C>\x01 x ", " 前导空格" };
    for (int i = 0; i < 100; i++) {
        struct demo_person dp;
        demo_person_at(p.seed, (size_t)i, &dp);
        worksheet_write_string(ws, (lxw_row_t)(i + 1), 0, i == 10 ? tricky[0] : i == 11 ? tricky[1] : dp.name, NULL);
        if (i == 5)
            worksheet_write_number(ws, (lxw_row_t)(i + 1), 1, strtod(dp.id_number, NULL), NULL);
        else
            worksheet_write_string(ws, (lxw_row_t)(i + 1), 1, dp.id_number, NULL);
        bool dup = false;
        for (size_t j = 0; j < ndistinct; j++)
            dup |= strcmp(distinct[j], dp.id_number) == 0;
        if (!dup && i != 5)
            memcpy(distinct[ndistinct++], dp.id_number, 19);
    }
    char outsider[19], typo[19];
    make_id("44010619900101001", outsider);
    make_id("11010219900101001", typo);
    typo[17] = typo[17] == '4' ? '5' : '4';
    worksheet_write_string(ws, 101, 1, outsider, NULL);
    worksheet_write_string(ws, 102, 1, typo, NULL); /* wrong check digit */
    worksheet_write_string(ws, 102, 2, "备注文字", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    /* run the command */
    {
        const char *args[] = { in, "-o", out, "--days", "2", "--var", var, "--db", url };
        assert_int_equal(run_cli(cli_batch, args, 9), 0);
    }
    struct stat sb;
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_mode & 077, 0); /* 0600: it holds the user's list */

    /* read the output back */
    struct table *t = NULL;
    struct table_row row;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_path(out, &t, &why), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    static const char *const header[] = { "姓名", "身份证号码", "备注", "状态", "状态代码", "是否检测", "近2天检测次数",
                                          "最近采样时间", "最近检测时间", "检测机构", "最近结果", "采样点" };
    assert_int_equal(row.ncells, 12);
    for (int i = 0; i < 12; i++)
        assert_true(str_eq_cstr(row.cells[i], header[i]));
    size_t data = 0, tested = 0, dup = 0;
    for (;;) {
        assert_int_equal(table_next_row(t, &row), 0);
        if (!row.cells)
            break;
        data++;
        assert_true(row.ncells >= 5);
        /* 状态 in words, 状态代码 the stable code right after it (issue 14) */
        const struct str status = row.cells[4];
        assert_true(str_eq_cstr(row.cells[3], idno_status_word(idno_status_parse_test(status))));
        if (data == 11 || data == 12)
            assert_true(str_eq_cstr(row.cells[0], tricky[data - 11]));
        if (data <= 100 && data != 6) {
            assert_true(str_eq_cstr(status, "ok") || str_eq_cstr(status, "duplicate"));
            dup += str_eq_cstr(status, "duplicate");
            assert_true(row.ncells >= 6);
            tested += str_eq_cstr(row.cells[5], "是");
            if (str_eq_cstr(row.cells[5], "是")) {
                assert_int_equal(row.ncells, 12);
                assert_int_equal(row.cells[7].n, 19); /* "YYYY-MM-DD HH:MM:SS" */
                assert_int_equal(row.cells[7].p[4], '-');
                assert_int_equal(row.cells[7].p[13], ':');
            }
        } else if (data == 6) {
            assert_true(str_eq_cstr(status, "excel_corrupted"));
            assert_true(str_eq_cstr(row.cells[3], "被Excel改坏"));
            assert_int_equal(row.ncells, 5); /* no result columns for a rejected ID */
        } else if (data == 101) {
            assert_true(str_eq_cstr(status, "ok"));
            assert_true(str_eq_cstr(row.cells[3], "正常"));
            assert_true(str_eq_cstr(row.cells[5], "否"));
            assert_true(str_eq_cstr(row.cells[6], "0"));
        } else {
            assert_true(str_eq_cstr(status, "bad_checksum"));
            assert_true(str_eq_cstr(row.cells[3], "校验位错误"));
            assert_true(str_eq_cstr(row.cells[2], "备注文字"));
            /* the ID went out as text, exactly as the user typed it */
            assert_true(str_eq_cstr(row.cells[1], typo));
        }
    }
    table_close(t);
    assert_int_equal(data, 102);
    assert_int_equal(dup, 99 - ndistinct);
    /* 90% coverage over 3 rounds: nearly everyone tested */
    assert_true(tested >= ndistinct * 8 / 10);

    /* LibreOffice opens it */
    if (system("command -v libreoffice >/dev/null 2>&1") != 0) {
        buf_release(&why);
        print_message("libreoffice is not installed: the LibreOffice check was skipped\n");
        return;
    }
    snprintf(cmd, sizeof cmd,
             "cd '%s' && HOME='%s' timeout 180 libreoffice --headless --convert-to "
             "'csv:Text - txt - csv (StarCalc):44,34,76,1' --outdir '%s' '%s' >/dev/null 2>&1",
             tmpdir, tmpdir, tmpdir, out);
    assert_int_equal(system(cmd), 0);
    snprintf(csv, sizeof csv, "%s/out.csv", tmpdir);
    struct buf text = BUF_INIT;
    file_read(csv, &text);
    /* LibreOffice quotes text cells; none of ours holds a quote: drop them */
    size_t kept = 0;
    for (size_t i = 0; i < text.len; i++)
        if (text.data[i] != '"')
            text.data[kept++] = text.data[i];
    text.len = kept;
    text.data[kept] = '\0';
    size_t lines = 0;
    for (size_t i = 0; i < text.len; i++)
        lines += text.data[i] == '\n';
    assert_int_equal(lines, 103);
    if (!strstr(text.data, "状态,状态代码,是否检测,近2天检测次数,最近采样时间"))
        fail_msg("LibreOffice gave:\n%.600s", text.data);
    char want[96];
    snprintf(want, sizeof want, "%s,备注文字,校验位错误,bad_checksum", typo);
    assert_non_null(strstr(text.data, want));
    assert_non_null(strstr(text.data, ",被Excel改坏,excel_corrupted"));
    assert_non_null(strstr(text.data, "A&B<C>"));
    assert_non_null(strstr(text.data, " 前导空格,"));
    snprintf(want, sizeof want, "%s,,正常,ok,否,0", outsider);
    assert_non_null(strstr(text.data, want));
    snprintf(want, sizeof want, "%s,,正常,ok,", distinct[0]);
    assert_non_null(strstr(text.data, want));
    buf_release(&text);
    buf_release(&why);
}

/* `jiayuan batch` on a list written by openpyxl (issue 7): ID cells that are ="…" or
 * =T("…") formulas without cached values are read as Excel shows them and reported
 * `fixed`; an uncached =A1&B1 is `formula`, never `empty`. */
static void
test_cli_formulas(void **state)
{
    struct apptest *at = *state;
    char var[160], in[160], out[160], tsv[160], py[160], cmd[800], a[19], b[19], c[19];
    const char *url = dbtest_url(at->db);

    snprintf(var, sizeof var, "%s/var", tmpdir);
    snprintf(in, sizeof in, "%s/script.xlsx", tmpdir);
    snprintf(out, sizeof out, "%s/script_out.xlsx", tmpdir);
    snprintf(tsv, sizeof tsv, "%s/script.tsv", tmpdir);
    snprintf(py, sizeof py, "%s/tsv2xlsx.py", tmpdir);
    cli_var_setup(at, var, NULL);
    make_id("11010219800101001", a);
    make_id("11010219900202002", b);
    make_id("11010220000303003", c);
    FILE *f = fopen(tsv, "wb");
    assert_non_null(f);
    fprintf(f, "姓名\t身份证号\n甲\t=\"%s\"\n乙\t=T(\"%s\")\n丙\t%s\n丁\t=A1&B1\n戊\t\t备注\n", a, b, c);
    assert_int_equal(fclose(f), 0);
    f = fopen(py, "wb");
    assert_non_null(f);
    fputs("import sys, openpyxl\n"
          "wb = openpyxl.Workbook()\n"
          "for line in open(sys.argv[1], encoding='utf-8').read().splitlines():\n"
          "    wb.active.append([c if c else None for c in line.split('\\t')])\n"
          "wb.save(sys.argv[2])\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s'", py, tsv, in);
    if (system(cmd) != 0)
        fail_msg("/usr/bin/python3 with python3-openpyxl is needed (run scripts/bootstrap): %s", cmd);

    const char *args[] = { in, "-o", out, "--var", var, "--db", url };
    assert_int_equal(run_cli(cli_batch, args, 7), 0);

    struct table *t = NULL;
    struct table_row row;
    static const char *const want[] = { "fixed", "fixed", "ok", "formula", "empty" };
    static const char *const want_word[] = { "已修正格式", "已修正格式", "正常", "公式无缓存值", "空" };
    const char *const want_id[] = { a, b, c, "", "" };
    assert_int_equal(table_open_path(out, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);                 /* the header */
    assert_true(str_eq_cstr(row.cells[3], "状态"));
    assert_true(str_eq_cstr(row.cells[4], "状态代码"));
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(table_next_row(t, &row), 0);
        assert_non_null(row.cells);
        assert_true(row.ncells >= 5);
        if (!str_eq_cstr(row.cells[4], want[i]))
            fail_msg("row %zu: status %.*s, wanted %s", i + 2, (int)row.cells[4].n, row.cells[4].p, want[i]);
        assert_true(str_eq_cstr(row.cells[3], want_word[i]));
        assert_true(str_eq_cstr(row.cells[1], want_id[i]));      /* written out as read */
    }
    assert_int_equal(table_next_row(t, &row), 0);
    assert_null(row.cells);
    table_close(t);
}

/* More rows than an Excel sheet holds: the output goes on in a second sheet, under the
 * header again. */
static void
test_cli_two_sheets(void **state)
{
    struct apptest *at = *state;
    enum { N = 1048600 };
    char var[160], in[160], out[160];
    const char *url = dbtest_url(at->db);

    snprintf(var, sizeof var, "%s/var", tmpdir);
    snprintf(in, sizeof in, "%s/big.csv", tmpdir);
    snprintf(out, sizeof out, "%s/big.xlsx", tmpdir);
    cli_var_setup(at, var, NULL);
    FILE *f = fopen(in, "wb");
    assert_non_null(f);
    fputs("身份证号,备注\n", f);
    for (int i = 0; i < N; i++)
        if (i == N - 1)
            fputs("110102199001010014,_x0041_\n", f); /* Excel's escape, literally */
        else
            fprintf(f, "x,%d\n", i);
    fclose(f);
    const char *args[] = { in, "-o", out, "--var", var, "--db", url };
    assert_int_equal(run_cli(cli_batch, args, 7), 0);

    struct table *t = NULL;
    struct table_row row;
    assert_int_equal(table_open_path(out, &t, NULL), 0);
    assert_int_equal(table_sheet_count(t), 2);
    size_t n = 0;
    while (table_next_row(t, &row) == 0 && row.cells)
        n++;
    table_close(t);
    assert_int_equal(n, 1048576); /* the first sheet: full */
    /* the second sheet: the header and the remaining rows, read through libzip */
    int zerr = 0;
    zip_t *z = zip_open(out, ZIP_RDONLY, &zerr);
    assert_non_null(z);
    zip_stat_t zs;
    assert_int_equal(zip_stat(z, "xl/worksheets/sheet2.xml", 0, &zs), 0);
    char *xml = xcalloc(1, (size_t)zs.size + 1);
    zip_file_t *zf = zip_fopen(z, "xl/worksheets/sheet2.xml", 0);
    assert_non_null(zf);
    assert_int_equal(zip_fread(zf, xml, zs.size), (zip_int64_t)zs.size);
    zip_fclose(zf);
    zip_close(z);
    size_t rows = 0;
    for (const char *p = xml; (p = strstr(p, "<row ")); p++)
        rows++;
    assert_int_equal(rows, 1 + (N - (1048576 - 1))); /* the header again, then the rest */
    assert_non_null(strstr(xml, "状态"));
    assert_non_null(strstr(xml, "110102199001010014"));
    assert_non_null(strstr(xml, "<t>_x005F_x0041_</t>")); /* so Excel shows it as written */
    xfree(xml);
}

static int
suite_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_domain_batch.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int
test_setup(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", tmpdir);
    if (system(cmd) != 0)
        return -1;
    return apptest_setup(state);
}

#define BTEST(fn) cmocka_unit_test_setup_teardown(fn, test_setup, apptest_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        BTEST(test_csv_utf8_bom),        BTEST(test_csv_gbk),          BTEST(test_xlsx_shared_strings),
        BTEST(test_xlsx_inline_strings), BTEST(test_windows),          BTEST(test_errors_and_cancel),
        BTEST(test_chunks_and_threads),  BTEST(test_cli_end_to_end),  BTEST(test_cli_two_sheets),
        BTEST(test_cli_formulas),
    };
    suite_setup(NULL);
    int failed = apptest_run("batch", tests, sizeof tests / sizeof tests[0]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return failed;
}
