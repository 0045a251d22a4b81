/* tests/unit/domain/batch/test_batch_job.c - batches as stored objects, domain/batch/batch_job.h, and the
 * worker's scheduling, domain/batch/batch_worker.h (R4.3-R4.7); on SQLite and PostgreSQL.
 *
 * A small demo district (demo/demo.h) gives real samples; uploads are CSV and .xlsx
 * built here (the .xlsx with io/xlsxw.h: a merged-title row above the header). Checked:
 * the rows are stored sealed (no ID number or name in any stored byte, blind index on
 * valid rows only), the upload is refused cleanly and leaves nothing behind, the run's
 * counts agree with the personal lookup of every ID, exports keep the user's columns and
 * title row, append 状态 and the result columns and filter not-found / invalid rows,
 * re-run, delete (also while running), stop (queued again), restart recovery, scope (every
 * function answers "not found" to another subdistrict), audit entries with counts only,
 * the round-robin rule, and real worker threads on a connection pool finishing batches
 * of two subdistricts; and a list written by openpyxl whose ID cells are formulas without
 * cached values (issue 7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/batch/batch_job.h"
#include "domain/batch/batch_worker.h"
#include "demo/demo.h"
#include "domain/testing/person.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define SEED 7
#define NPEOPLE 30

struct fixture {
    struct apptest *at;
    struct actor sub1, sub2, district;
    char dir[64];
};

static void
fixture_init(struct fixture *fx, struct apptest *at)
{
    struct demo_params p = { SEED, 700, 1, 2, 90, 1, 0 };
    memset(fx, 0, sizeof *fx);
    fx->at = at;
    assert_int_equal(demo_generate(&at->app, at->db, &p, NULL, NULL), 0);
    apptest_actor(at, apptest_user(at, "sub_one", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &fx->sub1);
    apptest_actor(at, apptest_user(at, "sub_two", ROLE_SUBDISTRICT, SUB2, NULL, NULL), &fx->sub2);
    apptest_actor(at, apptest_user(at, "dist", ROLE_DISTRICT, NULL, NULL, NULL), &fx->district);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/jy-batchjob-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
}

static void
fixture_release(struct fixture *fx)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal(system(cmd), 0);
}

/* person k of the upload: residents 3, 10, 17 … (distinct IDs: one per birth date). */
static void
person(size_t k, struct demo_person *p)
{
    demo_person_at(SEED, 7 * k + 3, p);
}

/* An ID number of nobody in the district (region 440106), valid. */
static void
outsider(char out[19])
{
    memcpy(out, "44010619850505123", 17);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

/* The CSV of test 1: NPEOPLE residents (one written with spaces and lowercase x), an
 * outsider, a wrong check digit, an empty ID, a duplicate. */
static void
make_csv(struct buf *b)
{
    struct demo_person p;
    char out[19];
    buf_adds(b, "序号,姓名,身份证号,电话\r\n");
    for (size_t k = 0; k < NPEOPLE; k++) {
        person(k, &p);
        if (k == 5) /* dirty: spaces inside */
            buf_printf(b, "%zu,%s,%.6s %.8s %.4s,%s\r\n", k + 1, p.name, p.id_number, p.id_number + 6,
                       p.id_number + 14, p.phone);
        else
            buf_printf(b, "%zu,%s,%s,%s\r\n", k + 1, p.name, p.id_number, p.phone);
    }
    outsider(out);
    buf_printf(b, "31,外地人,%s,13900000000\r\n", out);
    person(0, &p);
    char bad[19];
    memcpy(bad, p.id_number, 19);
    bad[17] = bad[17] == '1' ? '2' : '1';
    if (idno_check_digit(bad) == bad[17])
        bad[17] = bad[17] == '3' ? '4' : '3';
    buf_printf(b, "32,错号,%s,\r\n", bad);
    buf_adds(b, "33,无号,,\r\n");
    person(1, &p);
    buf_printf(b, "34,%s,%s,\r\n", p.name, p.id_number);
}

static int64_t
count_rows(struct db *db, const char *sql, int64_t id)
{
    return apptest_i64(db, sql, id);
}

/* read_table reads a written .xlsx back: rows as "a|b|c" lines. */
static void
read_table(const char *path, struct buf *out)
{
    struct table *t = NULL;
    struct table_row row;
    struct buf why = BUF_INIT;
    int rc = table_open_path(path, &t, &why);
    if (rc)
        fail_msg("cannot read back %s: %s", path, why.data);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        for (size_t c = 0; c < row.ncells; c++) {
            if (c)
                buf_addch(out, '|');
            buf_add(out, row.cells[c].p, row.cells[c].n);
        }
        buf_addch(out, '\n');
    }
    assert_int_equal(rc, 0);
    table_close(t);
    buf_release(&why);
}

static size_t
count_lines(const char *s, const char *needle)
{
    size_t n = 0;
    const char *line = s;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (!needle || apptest_memmem(line, len, needle, strlen(needle)))
            n++;
        line += len + (eol ? 1 : 0);
    }
    return n;
}

static void
run_one(struct apptest *at, int64_t id)
{
    assert_int_equal(batch_job_claim(at->db, id), 0);
    assert_int_equal(batch_job_run(&at->app, at->db, id, NULL), 0);
}

static void
test_create_run_export(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct buf csv = BUF_INIT, why = BUF_INIT, got = BUF_INIT;
    struct batch_job job, other, *items = NULL;
    struct demo_person p;
    struct arena arena = ARENA_INIT;
    size_t n = 0;
    int64_t next = 0;
    char path[128];
    uint64_t written = 0;

    fixture_init(&fx, at);
    make_csv(&csv);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "名单（第1批）.csv", csv.data, csv.len, 0, &job, &why), 0);
    assert_string_equal(job.status, "queued");
    assert_string_equal(job.file_name, "名单（第1批）.csv");
    assert_string_equal(job.format, "csv");
    assert_string_equal(job.subdistrict, SUB1);
    assert_int_equal(job.counts.rows, NPEOPLE + 4);
    assert_int_equal(job.nrows, NPEOPLE + 5);
    assert_int_equal(job.ncols, 4);
    assert_int_equal(job.col_id, 2);
    assert_int_equal(job.col_name, 1);
    assert_int_equal(job.header_row, 1);
    assert_int_equal(job.days_count, BATCH_DAYS_COUNT_DEFAULT);

    /* stored sealed: no ID, name or phone in any stored byte; blind index on valid rows */
    assert_int_equal(count_rows(at->db, "SELECT COUNT(*) FROM batch_rows WHERE batch_id = ?1", job.id), NPEOPLE + 5);
    assert_int_equal(count_rows(at->db, "SELECT COUNT(*) FROM batch_rows WHERE batch_id = ?1 AND id_bidx IS NOT NULL",
                                job.id),
                     NPEOPLE + 2); /* residents, the outsider, the duplicate */
    {
        struct db_stmt *st = NULL;
        bool row = false;
        assert_int_equal(db_prepare(at->db, "SELECT cells FROM batch_rows WHERE batch_id = ?1", &st), 0);
        assert_int_equal(db_bind_i64(st, 1, job.id), 0);
        while (!db_step(st, &row) && row) {
            size_t bn = 0;
            const void *blob = db_col_blob(st, 0, &bn);
            for (size_t k = 0; k < NPEOPLE; k++) {
                person(k, &p);
                assert_false(apptest_memmem(blob, bn, p.id_number, 18));
                assert_false(apptest_memmem(blob, bn, p.name, strlen(p.name)));
                assert_false(apptest_memmem(blob, bn, p.phone, 11));
            }
        }
        db_done(st);
    }

    /* scope: the other subdistrict sees nothing, the district sees it */
    assert_int_equal(batch_job_get(at->db, &fx.sub2, job.id, &other), ERR_NOT_FOUND);
    assert_int_equal(batch_job_rerun(&at->app, at->db, &fx.sub2, job.id, 0, &other, NULL), ERR_NOT_FOUND);
    assert_int_equal(batch_job_delete(&at->app, at->db, &fx.sub2, job.id), ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/x.xlsx", fx.dir);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub2, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL),
                     ERR_NOT_FOUND);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(batch_job_list(at->db, &fx.sub2, NULL, 10, 0, &items, &n, &next), 0);
    assert_int_equal(n, 0);
    xfree(items);
    assert_int_equal(batch_job_list(at->db, &fx.district, NULL, 10, 0, &items, &n, &next), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, job.id);
    xfree(items);
    {
        /* the filter (issue 14): a scoped actor keeps its own subdistrict whatever it asks;
         * the district narrows by subdistrict, uploader, status and created_at */
        struct batch_filter f = { .subdistrict = job.subdistrict };
        int64_t total = -1;
        assert_int_equal(batch_job_list(at->db, &fx.sub2, &f, 10, 0, &items, &n, &next), 0);
        assert_int_equal(n, 0);
        xfree(items);
        assert_int_equal(batch_job_count(at->db, &fx.district, &f, &total), 0);
        assert_int_equal(total, 1);
        f.uploader = job.username;
        f.from = job.created_at;
        f.to = job.created_at + 1;
        assert_int_equal(batch_job_count(at->db, &fx.district, &f, &total), 0);
        assert_int_equal(total, 1);
        f.to = job.created_at;
        assert_int_equal(batch_job_count(at->db, &fx.district, &f, &total), 0);
        assert_int_equal(total, 0);
        f = (struct batch_filter){ .status = "failed" };
        assert_int_equal(batch_job_list(at->db, &fx.district, &f, 10, 0, &items, &n, &next), 0);
        assert_int_equal(n, 0);
        xfree(items);
        f = (struct batch_filter){ .uploader = "nobody" };
        assert_int_equal(batch_job_count(at->db, &fx.district, &f, &total), 0);
        assert_int_equal(total, 0);
    }
    assert_int_equal(batch_job_get(at->db, &fx.district, job.id, &other), 0);

    /* no export before the run */
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL),
                     ERR_CONFLICT);

    run_one(at, job.id);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, job.id, &job), 0);
    assert_string_equal(job.status, "done");
    assert_int_equal(job.progress_ppm, BATCH_PROGRESS_ONE);
    assert_int_equal(job.runs, 1);
    assert_int_equal(job.counts.rows, NPEOPLE + 4);
    assert_int_equal(job.counts.valid, NPEOPLE + 1);
    assert_int_equal(job.counts.invalid, 2);
    assert_int_equal(job.counts.duplicate, 1);
    assert_int_equal(job.counts.by_status[IDNO_FIXED], 1);
    assert_int_equal(job.counts.by_status[IDNO_BAD_CHECKSUM], 1);
    assert_int_equal(job.counts.by_status[IDNO_EMPTY], 1);
    assert_int_equal(job.counts.found + job.counts.not_found, job.counts.valid);

    /* found agrees with the personal lookup of every ID */
    uint64_t found = 0;
    for (size_t k = 0; k < NPEOPLE; k++) {
        struct person_history h;
        person(k, &p);
        assert_int_equal(person_lookup(&at->app, at->db, &at->admin, p.id_number, BATCH_DAYS_WINDOW_DEFAULT, false,
                                       NULL, &arena, &h, apptest_why()),
                         0);
        found += h.ntests > 0;
    }
    assert_true(found > NPEOPLE / 2); /* the demo samples ~90% a round */
    assert_int_equal(job.counts.found, found);
    assert_int_equal(job.counts.not_found, NPEOPLE + 1 - found);

    /* exports */
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    assert_int_equal(written, NPEOPLE + 4);
    read_table(path, &got);
    assert_true(str_has_prefix(str_of(got.data), "序号|姓名|身份证号|电话|状态|状态代码|是否检测|近3天检测次数|最近采样时间|"));
    assert_int_equal(count_lines(got.data, NULL), NPEOPLE + 5);
    person(0, &p);
    assert_non_null(strstr(got.data, p.id_number)); /* the user's own cells come back */
    assert_int_equal(count_lines(got.data, "|校验位错误|bad_checksum"), 1);
    assert_int_equal(count_lines(got.data, "|duplicate|"), 1);
    assert_int_equal(count_lines(got.data, "|empty"), 1);
    assert_int_equal(count_lines(got.data, "|fixed|"), 1);
    assert_int_equal(count_lines(got.data, "|是|") + count_lines(got.data, "|否|"), NPEOPLE + 2);
    buf_reset(&got);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_NOT_FOUND, XLSXW_PATH(path),
                                      &written),
                     0);
    assert_int_equal(written, job.counts.not_found);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, NULL), 1 + job.counts.not_found);
    assert_non_null(strstr(got.data, "外地人"));
    buf_reset(&got);
    /* the district exports another's batch once it is shared (issue 12: owner-only cells) */
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.district, job.id, BATCH_EXPORT_INVALID, XLSXW_PATH(path), &written),
                     ERR_FORBIDDEN);
    assert_int_equal(batch_job_share(&at->app, at->db, &fx.sub1, job.id, true, &other), 0);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.district, job.id, BATCH_EXPORT_INVALID, XLSXW_PATH(path),
                                      &written),
                     0);
    assert_int_equal(written, 2);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, NULL), 3);
    assert_int_equal(count_lines(got.data, "错号"), 1);
    assert_int_equal(count_lines(got.data, "无号"), 1);
    unlink(path);

    /* audit: counts only */
    assert_int_equal(apptest_count_audit(at->db, "batches.upload", NULL, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "batches.lookup", NULL, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "batches.export", NULL, "ok"), 3);
    apptest_audit_intact(at);
    {
        struct db_stmt *st = NULL;
        bool row = false;
        assert_int_equal(db_prepare(at->db, "SELECT COALESCE(target, ''), COALESCE(detail, '') FROM audit_log"
                                            " WHERE action LIKE 'batches.%'", &st), 0);
        while (!db_step(st, &row) && row) {
            size_t tn = 0, dn = 0;
            const char *t = db_col_text(st, 0, &tn), *d = db_col_text(st, 1, &dn);
            assert_true(str_has_prefix(str_of(t), "batch:"));
            person(0, &p);
            assert_false(apptest_memmem(d, dn, p.id_number, 18));
            assert_false(apptest_memmem(d, dn, "名单", strlen("名单"))); /* not even the file name */
        }
        db_done(st);
    }
    arena_release(&arena);
    buf_release(&csv);
    buf_release(&why);
    buf_release(&got);
    fixture_release(&fx);
}

static void
test_xlsx_title_rows(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct xlsxw *w = NULL;
    struct demo_person p;
    struct batch_job job;
    struct buf why = BUF_INIT, got = BUF_INIT;
    char in[128], out[128];
    FILE *f;
    long size;
    char *data;

    fixture_init(&fx, at);
    snprintf(in, sizeof in, "%s/in.xlsx", fx.dir);
    snprintf(out, sizeof out, "%s/out.xlsx", fx.dir);
    assert_int_equal(xlsxw_open(in, "名单", NULL, &w), 0);
    struct xlsxw_cell title[] = { XLSXW_TEXT_CELL(STR_LIT("西长安街街道 核酸检测名单")) };
    struct xlsxw_cell head[] = { XLSXW_TEXT_CELL(STR_LIT("姓名")), XLSXW_TEXT_CELL(STR_LIT("身份证号码（必填）")),
                                 XLSXW_TEXT_CELL(STR_LIT("备注")) };
    assert_int_equal(xlsxw_row(w, title, 1), 0);
    assert_int_equal(xlsxw_row(w, head, 3), 0);
    for (size_t k = 0; k < 5; k++) {
        person(k, &p);
        struct xlsxw_cell row[] = { XLSXW_TEXT_CELL(str_of(p.name)), XLSXW_TEXT_CELL(str_of(p.id_number)),
                                    XLSXW_TEXT_CELL(STR_LIT("社区")) };
        assert_int_equal(xlsxw_row(w, row, 3), 0);
    }
    /* Excel ruined this one: an 18-digit number kept as a float */
    struct xlsxw_cell ruined[] = { XLSXW_TEXT_CELL(STR_LIT("科学")), XLSXW_NUMBER_CELL(1.10102199003077e17) };
    assert_int_equal(xlsxw_row(w, ruined, 2), 0);
    assert_int_equal(xlsxw_close(w), 0);
    f = fopen(in, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    data = xmalloc((size_t)size);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);

    assert_int_equal(batch_job_create(&at->app, at->db, &fx.district, "名单.xlsx", data, (size_t)size, 7, &job, &why), 0);
    assert_string_equal(job.format, "xlsx");
    assert_string_equal(job.subdistrict, "");
    assert_int_equal(job.header_row, 2);
    assert_int_equal(job.counts.rows, 6);
    assert_int_equal(job.days_count, 7);
    run_one(at, job.id);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, job.id, &job), ERR_NOT_FOUND); /* district's own */
    assert_int_equal(batch_job_get(at->db, &fx.district, job.id, &job), 0);
    assert_int_equal(job.counts.by_status[IDNO_EXCEL_CORRUPTED], 1);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.district, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(out), NULL), 0);
    read_table(out, &got);
    /* the title row first, as it was; the header with ours appended (N = 7 days) */
    assert_true(str_has_prefix(str_of(got.data), "西长安街街道 核酸检测名单\n姓名|身份证号码（必填）|备注|状态|状态代码|是否检测|近7天检测次数|"));
    assert_int_equal(count_lines(got.data, NULL), 8);
    assert_int_equal(count_lines(got.data, "|excel_corrupted"), 1);
    assert_int_equal(count_lines(got.data, "|社区|正常|ok|"), 5);
    xfree(data);
    buf_release(&why);
    buf_release(&got);
    fixture_release(&fx);
}

/* openpyxl_from_tsv turns a TSV file into an .xlsx with openpyxl (/usr/bin/python3 with
 * python3-openpyxl, installed by scripts/bootstrap): cells starting with '=' become
 * formulas without cached values, as scripts write them. */
static void
openpyxl_from_tsv(const char *dir, const char *tsv, const char *xlsx)
{
    char py[160], cmd[640];
    snprintf(py, sizeof py, "%s/tsv2xlsx.py", dir);
    FILE *f = fopen(py, "wb");
    assert_non_null(f);
    fputs("import sys, openpyxl\n"
          "wb = openpyxl.Workbook()\n"
          "for line in open(sys.argv[1], encoding='utf-8').read().splitlines():\n"
          "    wb.active.append([c if c else None for c in line.split('\\t')])\n"
          "wb.save(sys.argv[2])\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s'", py, tsv, xlsx);
    if (system(cmd) != 0)
        fail_msg("/usr/bin/python3 with python3-openpyxl is needed (run scripts/bootstrap): %s", cmd);
}

/* A list written by a script (issue 7): ID cells that are ="…" formulas without cached
 * values are fixed and looked up, an uncached =A1&B1 is "formula", never "empty"; the
 * stored rows keep the cell kinds, so the run (which reads them back) agrees. */
static void
test_formula_cells(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct demo_person p;
    struct batch_job job;
    struct buf why = BUF_INIT, got = BUF_INIT, tsv = BUF_INIT, data = BUF_INIT;
    char path[128], in[128], out[128];

    fixture_init(&fx, at);
    snprintf(path, sizeof path, "%s/in.tsv", fx.dir);
    snprintf(in, sizeof in, "%s/in.xlsx", fx.dir);
    snprintf(out, sizeof out, "%s/out.xlsx", fx.dir);
    buf_adds(&tsv, "姓名\t身份证号\n");
    for (size_t k = 0; k < 5; k++) {
        person(k, &p);
        buf_printf(&tsv, "%s\t=\"%s\"\n", p.name, p.id_number);
    }
    buf_adds(&tsv, "拼接\t=A1&B1\n空号\t\t备注\n");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(tsv.data, 1, tsv.len, f), tsv.len);
    assert_int_equal(fclose(f), 0);
    openpyxl_from_tsv(fx.dir, path, in);
    f = fopen(in, "rb");
    assert_non_null(f);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&data, chunk, n);
    fclose(f);

    assert_int_equal(batch_job_create(&at->app, at->db, &fx.district, "脚本.xlsx", data.data, data.len, 0, &job, &why), 0);
    assert_int_equal(job.counts.rows, 7);
    run_one(at, job.id);
    assert_int_equal(batch_job_get(at->db, &fx.district, job.id, &job), 0);
    assert_int_equal(job.counts.by_status[IDNO_FIXED], 5);
    assert_int_equal(job.counts.by_status[IDNO_FORMULA], 1);
    assert_int_equal(job.counts.by_status[IDNO_EMPTY], 1);
    assert_int_equal(job.counts.valid, 5);
    assert_true(job.counts.found >= 1);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.district, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(out), NULL), 0);
    read_table(out, &got);
    assert_int_equal(count_lines(got.data, "|fixed|"), 5);
    assert_int_equal(count_lines(got.data, "拼接|||公式无缓存值|formula"), 1);
    assert_int_equal(count_lines(got.data, "空号||备注|空|empty"), 1);
    person(0, &p);
    assert_int_equal(count_lines(got.data, p.id_number), 1);   /* the ID as Excel shows it */
    buf_release(&why);
    buf_release(&got);
    buf_release(&tsv);
    buf_release(&data);
    fixture_release(&fx);
}

static void
test_bad_uploads(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct batch_job job;
    struct buf why = BUF_INIT;
    static const char no_id[] = "姓名,年龄\n张三,30\n李四,40\n";
    static const char header_only[] = "姓名,身份证号\n";
    static const char ole[] = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel";
    static const char ok_csv[] = "身份证号\n11010519491231002X\n";

    fixture_init(&fx, at);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.csv", "", 0, 0, &job, &why), ERR_INVALID);
    assert_non_null(strstr(why.data, "empty"));
    buf_reset(&why);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.csv", no_id, sizeof no_id - 1, 0, &job, &why),
                     ERR_INVALID);
    assert_string_equal(why.data, "no column of ID numbers found");
    buf_reset(&why);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.csv", header_only, sizeof header_only - 1, 0,
                                      &job, &why),
                     ERR_INVALID);
    buf_reset(&why);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.xls", ole, sizeof ole - 1, 0, &job, &why),
                     ERR_INVALID);
    assert_true(why.len > 0);
    buf_reset(&why);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.csv", ok_csv, sizeof ok_csv - 1, 91, &job, &why),
                     ERR_INVALID);
    buf_reset(&why);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.csv", ok_csv, BATCH_FILE_CAP + 1, 0, &job, &why),
                     ERR_TOO_LARGE);
    /* nothing left behind by any refusal */
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batches", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_rows", 0), 0);
    /* a file name with control characters is dropped, not stored */
    buf_reset(&why);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a\r\nb.csv", ok_csv, sizeof ok_csv - 1, 0, &job,
                                      &why),
                     0);
    assert_string_equal(job.file_name, "");
    buf_release(&why);
    fixture_release(&fx);
}

/* More rows than one multi-row INSERT holds (rows and results), so both the multi-row and
 * the single-row statements run, and pages of the export meet at their edges. */
static void
test_many_rows(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct buf csv = BUF_INIT, why = BUF_INIT, got = BUF_INIT;
    struct batch_job job;
    struct demo_person p;
    char path[128], id[19];
    uint64_t written = 0;
    const size_t n = 2600;

    fixture_init(&fx, at);
    buf_adds(&csv, "身份证号,姓名\n");
    for (size_t k = 0; k < n; k++) {
        if (k % 1000 == 999) {
            buf_printf(&csv, "bad%zu,行%zu\n", k, k);
            continue;
        }
        if (k < 50) {
            person(k, &p);
            buf_printf(&csv, "%s,行%zu\n", p.id_number, k);
            continue;
        }
        snprintf(id, sizeof id, "4401061970%02zu%02zu%03zu", 1 + (k / 28) % 12, 1 + k % 28, k % 1000);
        id[17] = idno_check_digit(id);
        id[18] = '\0';
        buf_printf(&csv, "%s,行%zu\n", id, k);
    }
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "many.csv", csv.data, csv.len, 0, &job, &why), 0);
    assert_int_equal(job.counts.rows, n);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_rows WHERE batch_id = ?1", job.id), n + 1);
    run_one(at, job.id);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, job.id, &job), 0);
    assert_string_equal(job.status, "done");
    assert_int_equal(job.counts.rows, n);
    assert_int_equal(job.counts.invalid, 2);
    assert_int_equal(job.counts.valid + job.counts.duplicate, n - 2);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_results WHERE batch_id = ?1", job.id), n);
    snprintf(path, sizeof path, "%s/many.xlsx", fx.dir);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    assert_int_equal(written, n);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, NULL), n + 1);
    assert_int_equal(count_lines(got.data, "|not_an_id"), 2);
    /* every data row carries its own row's text and a status: nothing shifted at page edges */
    for (size_t k = 0; k < n; k += 97) {
        char needle[32];
        snprintf(needle, sizeof needle, "|行%zu|", k);
        assert_int_equal(count_lines(got.data, needle), 1);
    }
    unlink(path);
    buf_release(&csv);
    buf_release(&why);
    buf_release(&got);
    fixture_release(&fx);
}

/* issue 12: batch results carry a row MAC (migration 0028). An edited stored result is
 * shown and exported as damaged (数据损坏 / damaged), never as its stored value, and
 * audited; a result stored before 0028 (no mac, batch listed in row_mac_legacy) is trusted
 * until `jiayuan verify` backfills it, after which a missing mac is damage too. */
static void
test_result_mac(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct buf csv = BUF_INIT, why = BUF_INIT, got = BUF_INIT;
    struct batch_job job;
    struct batch_job_row_view rows[BATCH_ROWS_MAX];
    size_t n = 0;
    int64_t total = 0, done = 0;
    uint64_t next = 0, written = 0;
    char path[128], sql[256];

    fixture_init(&fx, at);
    make_csv(&csv);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "mac.csv", csv.data, csv.len, 0, &job, &why), 0);
    run_one(at, job.id);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_results WHERE batch_id = ?1 AND mac IS NULL",
                                 job.id),
                     0);
    snprintf(path, sizeof path, "%s/mac.xlsx", fx.dir);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, "|damaged|"), 0);
    size_t positives = count_lines(got.data, "阳性");
    int64_t failures = apptest_count_audit(at->db, "integrity.failure", NULL, "failed");
    buf_reset(&got);
    unlink(path);
    int64_t victim = apptest_i64(at->db, "SELECT MIN(row_no) FROM batch_results WHERE batch_id = ?1 AND found = 1"
                                         " AND result = 'negative'",
                                 job.id);
    /* an edited stored value: a negative result made positive */
    snprintf(sql, sizeof sql, "UPDATE batch_results SET result = 'positive' WHERE batch_id = %lld AND row_no = %lld",
             (long long)job.id, (long long)victim);
    assert_int_equal(apptest_exec(at->db, sql), 0);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    assert_int_equal(written, NPEOPLE + 4);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, "|数据损坏|damaged|"), 1);
    assert_int_equal(count_lines(got.data, "阳性"), positives); /* never shown as the stored value */
    buf_reset(&got);
    unlink(path);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", NULL, "failed"), failures + 1);
    assert_int_equal(batch_job_rows(&at->app, at->db, &fx.sub1, job.id, "", 0, BATCH_ROWS_MAX, rows, &n, &total,
                                    &next),
                     0);
    size_t damaged = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].status, "damaged") == 0) {
            damaged++;
            assert_int_equal(rows[i].row_no, victim);
        }
    assert_int_equal(damaged, 1);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", NULL, "failed"), failures + 2);

    /* a mac removed is damage too, unless the batch was stored before 0028 */
    snprintf(sql, sizeof sql, "UPDATE batch_results SET result = 'negative', mac = NULL WHERE batch_id = %lld"
             " AND row_no = %lld", (long long)job.id, (long long)victim);
    assert_int_equal(apptest_exec(at->db, sql), 0);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, "|数据损坏|damaged|"), 1);
    buf_reset(&got);
    unlink(path);
    assert_int_equal(apptest_exec(at->db, "UPDATE row_mac_legacy SET upto = 1000000000 WHERE tbl = 'batch_results'"),
                     0);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, "|damaged|"), 0);
    buf_reset(&got);
    unlink(path);
    assert_int_equal(batch_job_result_mac_backfill(&at->app.keys, at->db, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM row_mac_legacy WHERE tbl = 'batch_results' AND ?1 = 1",
                                 1),
                     0);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_results WHERE batch_id = ?1 AND mac IS NULL",
                                 job.id),
                     0);
    assert_int_equal(batch_job_export(&at->app, at->db, &fx.sub1, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), &written), 0);
    read_table(path, &got);
    assert_int_equal(count_lines(got.data, "|damaged|"), 0);
    unlink(path);
    apptest_audit_intact(at);
    buf_release(&csv);
    buf_release(&why);
    buf_release(&got);
    fixture_release(&fx);
}

static bool
stop_now(void *arg)
{
    (void)arg;
    return true;
}

static void
test_rerun_delete_stop(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct buf csv = BUF_INIT, why = BUF_INIT;
    struct batch_job job, again;
    struct batch_job_ctl stop = { stop_now, NULL };

    fixture_init(&fx, at);
    make_csv(&csv);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "r.csv", csv.data, csv.len, 0, &job, &why), 0);
    assert_int_equal(batch_job_rerun(&at->app, at->db, &fx.sub1, job.id, 0, &again, NULL), ERR_CONFLICT);
    /* a stop request: back in the queue, nothing recorded */
    assert_int_equal(batch_job_claim(at->db, job.id), 0);
    assert_int_equal(batch_job_claim(at->db, job.id), ERR_CONFLICT);
    assert_int_equal(batch_job_run(&at->app, at->db, job.id, &stop), ERR_UNAVAILABLE);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, job.id, &again), 0);
    assert_string_equal(again.status, "queued");
    assert_int_equal(again.runs, 0);
    run_one(at, job.id);
    assert_int_equal(batch_job_rerun(&at->app, at->db, &fx.sub1, job.id, 5, &again, NULL), 0);
    assert_string_equal(again.status, "queued");
    assert_int_equal(again.days_count, 5);
    assert_int_equal(again.counts.rows, NPEOPLE + 4); /* the last run's counts stay until the next */
    run_one(at, job.id);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, job.id, &again), 0);
    assert_int_equal(again.runs, 2);
    assert_int_equal(again.days_count, 5);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_results WHERE batch_id = ?1", job.id),
                     NPEOPLE + 4); /* replaced, not doubled */
    assert_int_equal(apptest_count_audit(at->db, "batches.rerun", NULL, "ok"), 1);

    /* deleted while running: the run stops without a trace */
    assert_int_equal(batch_job_rerun(&at->app, at->db, &fx.sub1, job.id, 0, &again, NULL), 0);
    assert_int_equal(batch_job_claim(at->db, job.id), 0);
    assert_int_equal(batch_job_delete(&at->app, at->db, &fx.sub1, job.id), 0);
    assert_int_equal(batch_job_run(&at->app, at->db, job.id, NULL), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batches", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_rows", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_results", 0), 0);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, job.id, &again), ERR_NOT_FOUND);
    assert_int_equal(batch_job_delete(&at->app, at->db, &fx.sub1, job.id), ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "batches.delete", NULL, "ok"), 1);
    buf_release(&csv);
    buf_release(&why);
    fixture_release(&fx);
}

static void
test_recover(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct buf csv = BUF_INIT, why = BUF_INIT;
    struct batch_job a, b;
    int64_t requeued = -1, dropped = -1;

    fixture_init(&fx, at);
    make_csv(&csv);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "a.csv", csv.data, csv.len, 0, &a, &why), 0);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub2, "b.csv", csv.data, csv.len, 0, &b, &why), 0);
    assert_int_equal(batch_job_claim(at->db, a.id), 0);           /* "running" when the server died */
    assert_int_equal(apptest_exec(at->db, "UPDATE batches SET status = 'uploading' WHERE id = (SELECT MAX(id) FROM batches)"), 0);
    if (db_kind(at->db) == DB_POSTGRES) {
        /* issue 13: several nodes share PostgreSQL. Another live node's running batch (lease
         * not run out) and a fresh upload (another node may be storing it) are left alone */
        assert_int_equal(apptest_exec(at->db, "UPDATE batches SET owner = 'other/1', lease_until = 9000000000000"
                                              " WHERE status = 'running'"), 0);
        assert_int_equal(batch_job_recover(at->db, &requeued, &dropped), 0);
        assert_int_equal(requeued, 0);
        assert_int_equal(dropped, 0);
        /* that node died: its lease runs out; the upload is an hour old */
        assert_int_equal(apptest_exec(at->db, "UPDATE batches SET lease_until = 1 WHERE status = 'running'"), 0);
        assert_int_equal(apptest_exec(at->db, "UPDATE batches SET created_at = 1 WHERE status = 'uploading'"), 0);
    }
    assert_int_equal(batch_job_recover(at->db, &requeued, &dropped), 0);
    assert_int_equal(requeued, 1);
    assert_int_equal(dropped, 1);
    assert_int_equal(batch_job_get(at->db, &fx.sub1, a.id, &a), 0);
    assert_string_equal(a.status, "queued");
    assert_int_equal(batch_job_get(at->db, &fx.sub2, b.id, &b), ERR_NOT_FOUND);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_rows WHERE batch_id = ?1", b.id), 0);
    run_one(at, a.id);
    buf_release(&csv);
    buf_release(&why);
    fixture_release(&fx);
}

static void
test_sched_round_robin(void **state)
{
    struct batch_sched s;
    struct batch_queued q[] = {
        { 1, 10, SUB1 }, { 2, 11, SUB1 }, { 3, 12, SUB1 }, { 4, 13, SUB2 }, { 5, 14, "" }, { 6, 15, SUB2 },
    };
    (void)state;
    memset(&s, 0, sizeof s);
    assert_int_equal(batch_sched_pick(&s, q, 0), -1);
    /* nothing served yet: the oldest */
    assert_int_equal(batch_sched_pick(&s, q, 6), 0);
    batch_sched_started(&s, SUB1);
    /* SUB1 is running: SUB2's oldest, not SUB1's next */
    assert_int_equal(batch_sched_pick(&s, q + 1, 5), 2); /* q[3], id 4 */
    batch_sched_started(&s, SUB2);
    /* SUB1 and SUB2 running: the district's */
    assert_int_equal(batch_sched_pick(&s, q + 1, 5) + 1, 4); /* q[4], id 5 */
    batch_sched_started(&s, "");
    /* everybody running: the least recently served (SUB1) */
    struct batch_queued rest[] = { { 2, 11, SUB1 }, { 3, 12, SUB1 }, { 6, 15, SUB2 } };
    assert_int_equal(batch_sched_pick(&s, rest, 3), 0);
    /* SUB1 finished: SUB1 is idle, the others still run: SUB1 again */
    batch_sched_finished(&s, SUB1);
    assert_int_equal(batch_sched_pick(&s, rest, 3), 0);
    batch_sched_started(&s, SUB1);
    /* all finished: SUB2 (served at tick 2) before SUB1 (tick 4) although SUB1's is older */
    batch_sched_finished(&s, SUB1);
    batch_sched_finished(&s, SUB2);
    batch_sched_finished(&s, "");
    struct batch_queued rest2[] = { { 3, 12, SUB1 }, { 6, 15, SUB2 } };
    assert_int_equal(batch_sched_pick(&s, rest2, 2), 1);
    /* a long tail of one subdistrict never starves a newcomer */
    struct batch_queued many[40];
    for (int i = 0; i < 39; i++)
        many[i] = (struct batch_queued){ 100 + i, 100 + i, SUB1 };
    many[39] = (struct batch_queued){ 200, 200, "110102007" };
    memset(&s, 0, sizeof s);
    batch_sched_started(&s, SUB1);
    batch_sched_finished(&s, SUB1);
    assert_int_equal(batch_sched_pick(&s, many, 40), 39);
}

static void
test_worker_threads(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct buf csv = BUF_INIT, why = BUF_INIT;
    struct batch_job j[4];
    struct app app;
    int done = 0;

    fixture_init(&fx, at);
    make_csv(&csv);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "1.csv", csv.data, csv.len, 0, &j[0], &why), 0);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub1, "2.csv", csv.data, csv.len, 0, &j[1], &why), 0);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.sub2, "3.csv", csv.data, csv.len, 0, &j[2], &why), 0);
    assert_int_equal(batch_job_create(&at->app, at->db, &fx.district, "4.csv", csv.data, csv.len, 0, &j[3], &why), 0);
    assert_int_equal(batch_job_claim(at->db, j[3].id), 0); /* left running by a crash */
    app = at->app;
    assert_int_equal(db_pool_new(dbtest_url(at->db), fx.dir, 3, &app.pool), 0);
    snprintf(app.var_dir, sizeof app.var_dir, "%s", fx.dir);
    assert_int_equal(batch_worker_start(&app, 2), 0);
    assert_int_equal(batch_worker_start(&app, 2), ERR_INVALID); /* once */
    batch_worker_kick();
    for (int tries = 0; tries < 600 && done < 4; tries++) {
        usleep(50000);
        done = (int)apptest_i64(at->db, "SELECT COUNT(*) FROM batches WHERE status = 'done'", 0);
    }
    batch_worker_stop();
    batch_worker_stop(); /* twice is fine */
    db_pool_free(app.pool);
    assert_int_equal(done, 4);
    for (int i = 0; i < 4; i++) {
        struct batch_job x;
        assert_int_equal(batch_job_get(at->db, &fx.district, j[i].id, &x), 0);
        assert_int_equal(x.counts.rows, NPEOPLE + 4);
        assert_int_equal(x.runs, 1);
    }
    assert_int_equal(apptest_count_audit(at->db, "batches.lookup", NULL, "ok"), 4);
    batch_worker_kick(); /* no worker: a no-op */
    buf_release(&csv);
    buf_release(&why);
    fixture_release(&fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_create_run_export), APPTEST(test_xlsx_title_rows), APPTEST(test_bad_uploads),
        APPTEST(test_many_rows),         APPTEST(test_rerun_delete_stop), APPTEST(test_recover),         cmocka_unit_test(test_sched_round_robin),
        APPTEST(test_worker_threads),    APPTEST(test_formula_cells),   APPTEST(test_result_mac),
    };
    return apptest_run("batch_job", tests, sizeof tests / sizeof tests[0]);
}
