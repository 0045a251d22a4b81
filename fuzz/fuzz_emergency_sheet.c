/* fuzz/fuzz_emergency_sheet.c - libFuzzer target for the emergency bureau's sheet reader
 * (R2.8, R2.9): domain/exchange/emergency_import.h over any table (a CSV, or a workbook when
 * the input is a zip), then every accepted row through the ingest validator's time and count
 * rules. Checked: every data row gets exactly one report entry with a known status; the
 * counts add up; every accepted row has a name, a plan number and counts in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "domain/exchange/emergency_import.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const industries[] = { "农、林、牧、渔业", "A", "制造业", "C", "教育", "P" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct emergency_sheet s;
    uint8_t *copy = malloc(size ? size : 1);
    size_t i;
    json_t *r;
    int64_t ms;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (table_open_mem(copy, size, &t, &why) == 0) {
        int rc = emergency_sheet_read(t, industries, sizeof industries / sizeof industries[0], "P0", &s, &why);
        if (!rc) {
            FUZZ_CHECK(json_array_size(s.report) == s.accepted + s.rejected + s.skipped);
            FUZZ_CHECK(json_array_size(s.rows) == s.accepted);
            json_array_foreach(s.report, i, r) {
                const char *st = json_string_value(json_object_get(r, "status"));
                FUZZ_CHECK(st && (!strcmp(st, "accepted") || !strcmp(st, "rejected") || !strcmp(st, "skipped")));
            }
            json_array_foreach(s.rows, i, r) {
                const char *name = json_string_value(json_object_get(r, "name"));
                const char *plan = json_string_value(json_object_get(r, "plan_no"));
                FUZZ_CHECK(name && *name && plan && *plan);
                FUZZ_CHECK(json_integer_value(json_object_get(r, "planned")) >= 0);
                FUZZ_CHECK(json_integer_value(json_object_get(r, "actual")) >= 0);
                const char *rt = json_string_value(json_object_get(r, "received_time"));
                if (rt)
                    (void)emergency_parse_time(rt, &ms);
            }
        }
        emergency_sheet_release(&s);
    }
    table_close(t);
    buf_release(&why);
    free(copy);
    return 0;
}
