/* fuzz/fuzz_hotline_sheet.c - libFuzzer target for the 12345 ticket importer (R2.12):
 * io/table.h over the input (CSV, or a workbook when it is a zip), then
 * domain/exchange/hotline_extract.h with the contract's example rule and a category filter.
 * Checked: every hit has a ticket number, lies under the filter, matches the rule again, and
 * its masked phone holds at most 4 digits of the original beyond the first 3; the counts add
 * up (matched <= in_category <= tickets); the pass ends with 0 or a known error. The stored
 * import (hotline_store.h) reads 受理时间 with emergency_parse_time: every hit's is read too,
 * and a time it accepts is within the range it promises.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "domain/exchange/emergency.h"
#include "domain/exchange/hotline_extract.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hotline_rule *rule;
static const char *const cats[] = { "卫生健康", "城市管理/环境卫生" };

static int
check_hit(void *ctx, const struct hotline_ticket *t)
{
    struct buf scratch = BUF_INIT, norm = BUF_INIT;
    char masked[40];
    uint64_t *hits = ctx;
    FUZZ_CHECK(t->number && t->number[0]);
    FUZZ_CHECK(t->title && t->content && t->caller && t->phone && t->category_norm);
    FUZZ_CHECK(hotline_category_under(t->category_norm, "卫生健康") ||
               hotline_category_under(t->category_norm, "城市管理/环境卫生"));
    FUZZ_CHECK(hotline_rule_match(rule, str_of(t->title), str_of(t->content), &scratch));
    hotline_category_norm(str_of(t->category_norm), &norm);
    FUZZ_CHECK(strcmp(norm.data, t->category_norm) == 0);
    hotline_mask_phone(t->phone, masked, sizeof masked);
    size_t digits = 0;
    for (const char *p = masked; *p; p++)
        digits += *p >= '0' && *p <= '9';
    FUZZ_CHECK(digits <= 7);
    int64_t received = 0;
    if (t->received && emergency_parse_time(t->received, &received) == 0)
        FUZZ_CHECK(received >= -8 * 3600000LL && received <= 253402300799999LL);
    (*hits)++;
    buf_release(&scratch);
    buf_release(&norm);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct hotline_extract_counts c;
    uint64_t hits = 0;
    uint8_t *copy;
    if (!rule && hotline_rule_compile(STR_LIT("核酸 AND (排队 OR 人多) NOT 疫苗 OR pcr"), NULL, &rule, NULL))
        abort();
    if (size == 0)
        return 0;
    copy = xmalloc(size);
    memcpy(copy, data, size);
    if (table_open_mem(copy, size, &t, &why) == 0) {
        int rc = hotline_extract(t, rule, cats, 2, check_hit, &hits, &c, &why);
        FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_TOO_LARGE || rc == ERR_IO);
        if (rc == 0) {
            FUZZ_CHECK(c.matched == hits);
            FUZZ_CHECK(c.matched <= c.in_category && c.in_category <= c.tickets);
            FUZZ_CHECK(c.header_row > 0);
        }
    }
    table_close(t);
    xfree(copy);
    buf_release(&why);
    return 0;
}
