/* bench/io_bench.c - throughput and peak memory of the src/io/ layer (R4.4).
 *
 * Not a test: numbers for the report and for spotting regressions by hand. Each command
 * runs in its own process so that ru_maxrss is the peak of that command alone.
 *
 *   io_bench gen-xlsx N PATH        N rows x 3 columns (ID, name, phone) as shared strings,
 *                                   written by libxlsxwriter the way Excel stores text
 *   io_bench gen-csv N PATH [gbk]   the same rows as CSV, UTF-8 or GBK
 *   io_bench read PATH              stream every row (io/table.h), normalise the ID column
 *   io_bench write N PATH           N rows x 9 columns through io/xlsxw.h
 *   io_bench pipe IN OUT            read IN, normalise IDs, write OUT with the original
 *                                   columns plus status and masked ID (the batch export)
 *
 * Built by hand for now (see the report): gcc -O2 over bench/io_bench.c, src/io/ and the
 * src/core/ files it needs, linked with -lzip -lexpat -lcsv -lxlsxwriter -lz -lpthread -lm
 * (libxlsxwriter only for gen-xlsx: the input "Excel wrote").
 * All data is synthetic (region 110102, computed check digits).
 */
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <xlsxwriter.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "io/columns.h"
#include "io/table.h"
#include "io/xlsxw.h"

static const char *const bench_surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                              "吴", "周", "徐", "孙", "马", "朱", "胡", "郭" };
static const char *const bench_given[] = { "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强",
                                           "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛" };

static void
bench_row(long r, char id[19], char name[32], char phone[16])
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char check[11] = "10X98765432";
    char tmp[64];
    int s = 0;
    long d = r / 1000;                  /* unique for r < 80 * 12 * 28 * 1000 */
    snprintf(tmp, sizeof tmp, "110102%04ld%02ld%02ld%03ld", 1940 + d % 80, 1 + (d / 80) % 12,
             1 + (d / 960) % 28, r % 1000);
    memcpy(id, tmp, 17);
    for (int i = 0; i < 17; i++)
        s += (id[i] - '0') * w[i];
    id[17] = check[s % 11];
    id[18] = '\0';
    snprintf(name, 32, "%s%s%s", bench_surnames[r % 16], bench_given[(r / 16) % 16],
             r % 3 ? bench_given[(r / 256) % 16] : "");
    snprintf(phone, 16, "1%02ld%08ld", 30 + r % 70, r % 100000000);
}

static double
bench_now(void)
{
    return (double)time_mono_us() / 1e6;
}

static long
bench_maxrss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static int
bench_gen_xlsx(long n, const char *path)
{
    char id[19], name[32], phone[16];
    double t0 = bench_now();
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "名单");
    worksheet_write_string(ws, 0, 0, "身份证号", NULL);
    worksheet_write_string(ws, 0, 1, "姓名", NULL);
    worksheet_write_string(ws, 0, 2, "手机号", NULL);
    for (long r = 1; r <= n; r++) {
        bench_row(r, id, name, phone);
        worksheet_write_string(ws, (lxw_row_t)r, 0, id, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 1, name, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 2, phone, NULL);
    }
    if (workbook_close(wb) != LXW_NO_ERROR)
        return 1;
    printf("gen-xlsx rows=%ld seconds=%.2f\n", n, bench_now() - t0);
    return 0;
}

static int
bench_gen_csv(long n, const char *path, bool gbk)
{
    char id[19], name[32], phone[16], line[128], out[256];
    FILE *f = fopen(path, "wb");
    iconv_t cd = gbk ? iconv_open("GBK", "UTF-8") : (iconv_t)-1;
    if (!f || (gbk && cd == (iconv_t)-1))
        return 1;
    for (long r = 0; r <= n; r++) {
        if (r == 0)
            snprintf(line, sizeof line, "身份证号,姓名,手机号\r\n");
        else {
            bench_row(r, id, name, phone);
            snprintf(line, sizeof line, "%s,%s,%s\r\n", id, name, phone);
        }
        if (gbk) {
            char *in = line, *o = out;
            size_t il = strlen(line), ol = sizeof out;
            if (iconv(cd, &in, &il, &o, &ol) == (size_t)-1)
                return 1;
            fwrite(out, 1, sizeof out - ol, f);
        } else {
            fputs(line, f);
        }
    }
    if (gbk)
        iconv_close(cd);
    return fclose(f) ? 1 : 0;
}

static int
bench_read(const char *path)
{
    struct table *t;
    struct table_row row;
    struct buf why = BUF_INIT;
    char out[IDNO_LEN + 1];
    long rows = 0, ok = 0;
    size_t bytes = 0;
    int rc;
    double t0 = bench_now();
    if ((rc = table_open_path(path, &t, &why))) {
        fprintf(stderr, "open: %s\n", why.data);
        return 1;
    }
    const struct columns *c = table_columns(t);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        rows++;
        for (size_t i = 0; i < row.ncells; i++)
            bytes += row.cells[i].n;
        if (c->id >= 0 && (size_t)c->id < row.ncells && row.num != c->header_row) {
            enum idno_status st = idno_normalize(row.cells[c->id].p, row.cells[c->id].n, out);
            ok += st == IDNO_OK || st == IDNO_FIXED || st == IDNO_CONVERTED_15;
        }
    }
    double dt = bench_now() - t0;
    if (rc)
        fprintf(stderr, "read: %s\n", table_message(t));
    printf("read format=%s rows=%ld valid_ids=%ld cell_bytes=%zu seconds=%.2f rows_per_sec=%.0f "
           "maxrss_mib=%ld\n", table_format(t) == TABLE_XLSX ? "xlsx" : table_encoding(t), rows,
           ok, bytes, dt, (double)rows / dt, bench_maxrss_mib());
    table_close(t);
    buf_release(&why);
    return rc ? 1 : 0;
}

static int
bench_write(long n, const char *path)
{
    char id[19], name[32], phone[16], masked[IDNO_LEN + 1];
    struct xlsxw *w;
    struct str head[9] = { STR_LIT("身份证号"), STR_LIT("姓名"), STR_LIT("手机号"),
                           STR_LIT("状态"), STR_LIT("脱敏身份证号"), STR_LIT("检测机构"),
                           STR_LIT("采样时间"), STR_LIT("检测结果"), STR_LIT("近3天次数") };
    double t0 = bench_now();
    if (xlsxw_open(path, "结果", NULL, &w))
        return 1;
    xlsxw_set_width(w, 0, 22);
    xlsxw_header(w, head, 9);
    for (long r = 1; r <= n; r++) {
        bench_row(r, id, name, phone);
        idno_mask(id, masked);
        struct xlsxw_cell cells[9] = {
            XLSXW_TEXT_CELL(str_of(id)), XLSXW_TEXT_CELL(str_of(name)),
            XLSXW_TEXT_CELL(str_of(phone)), XLSXW_TEXT_CELL(STR_LIT("ok")),
            XLSXW_TEXT_CELL(str_of(masked)), XLSXW_TEXT_CELL(STR_LIT("XX区疾病预防控制中心")),
            XLSXW_TEXT_CELL(STR_LIT("2022-04-01 10:15:00")), XLSXW_TEXT_CELL(STR_LIT("阴性")),
            XLSXW_NUMBER_CELL((double)(r % 4)),
        };
        if (xlsxw_row(w, cells, 9))
            return 1;
    }
    double t1 = bench_now();
    if (xlsxw_close(w))
        return 1;
    double t2 = bench_now();
    printf("write rows=%ld cols=9 seconds=%.2f (rows %.2f + pack %.2f) rows_per_sec=%.0f "
           "maxrss_mib=%ld\n", n, t2 - t0, t1 - t0, t2 - t1, (double)n / (t2 - t0),
           bench_maxrss_mib());
    return 0;
}

static int
bench_pipe(const char *in, const char *outpath)
{
    struct table *t;
    struct table_row row;
    struct xlsxw *w;
    struct buf why = BUF_INIT;
    char id[IDNO_LEN + 1], masked[IDNO_LEN + 1];
    struct xlsxw_cell cells[TABLE_MAX_COLS + 2];
    long rows = 0;
    int rc;
    double t0 = bench_now();
    if (table_open_path(in, &t, &why) || xlsxw_open(outpath, "结果", NULL, &w)) {
        fprintf(stderr, "open: %s\n", why.data);
        return 1;
    }
    const struct columns *c = table_columns(t);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        size_t n = 0;
        for (size_t i = 0; i < row.ncells; i++)
            cells[n++] = XLSXW_TEXT_CELL(row.cells[i]);
        if (row.num == c->header_row) {
            cells[n++] = XLSXW_TEXT_CELL(STR_LIT("状态"));
            cells[n++] = XLSXW_TEXT_CELL(STR_LIT("脱敏身份证号"));
        } else if (c->id >= 0) {
            struct str v = (size_t)c->id < row.ncells ? row.cells[c->id] : STR_LIT("");
            enum idno_status st = idno_normalize(v.p, v.n, id);
            idno_mask(id, masked);
            cells[n++] = XLSXW_TEXT_CELL(str_of(idno_status_code(st)));
            cells[n++] = XLSXW_TEXT_CELL(str_of(masked));
        }
        if ((rc = xlsxw_row(w, cells, n)))
            break;
        rows++;
    }
    table_close(t);
    if (rc || xlsxw_close(w))
        return 1;
    double dt = bench_now() - t0;
    printf("pipe rows=%ld seconds=%.2f rows_per_sec=%.0f maxrss_mib=%ld\n", rows, dt,
           (double)rows / dt, bench_maxrss_mib());
    buf_release(&why);
    return 0;
}

int
main(int argc, char **argv)
{
    int64_t n = 0;
    if (argc >= 4 && strcmp(argv[1], "gen-xlsx") == 0 && !cstr_to_i64(argv[2], &n, 1, 1048575))
        return bench_gen_xlsx((long)n, argv[3]);
    if (argc >= 4 && strcmp(argv[1], "gen-csv") == 0 && !cstr_to_i64(argv[2], &n, 1, 2000000))
        return bench_gen_csv((long)n, argv[3], argc > 4 && strcmp(argv[4], "gbk") == 0);
    if (argc == 3 && strcmp(argv[1], "read") == 0)
        return bench_read(argv[2]);
    if (argc == 4 && strcmp(argv[1], "write") == 0 && !cstr_to_i64(argv[2], &n, 1, 1048575))
        return bench_write((long)n, argv[3]);
    if (argc == 4 && strcmp(argv[1], "pipe") == 0)
        return bench_pipe(argv[2], argv[3]);
    fprintf(stderr, "usage: io_bench gen-xlsx N PATH | gen-csv N PATH [gbk] | read PATH | "
                    "write N PATH | pipe IN OUT\n");
    return 2;
}
