/* fuzz/fuzz_history_sheet.c - libFuzzer target for the past-rounds sheet reader (R2.10):
 * domain/exchange/history.h over any table (a CSV, or a workbook when the input is a zip),
 * subdistricts resolved from the compiled-in divisions. Checked: every data row has exactly
 * one status; a row not rejected has a plan number, a known 9-digit subdistrict, a key,
 * counts in range and ends after it starts; the rejected count matches; the report builds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "domain/exchange/history.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
static bool loaded;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct history_sheet s;
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (!loaded) {
        subdistrict_names_from_data(&names);
        loaded = true;
    }
    memcpy(copy, data, size);
    if (table_open_mem(copy, size, &t, &why) == 0) {
        if (history_sheet_read(t, &names, &s, &why) == 0) {
            size_t rejected = 0;
            for (size_t i = 0; i < s.n; i++) {
                const struct history_row *r = &s.rows[i];
                FUZZ_CHECK(r->status && (!strcmp(r->status, "accepted") || !strcmp(r->status, "rejected")));
                FUZZ_CHECK(!strcmp(r->status, "rejected") == (r->reason != NULL));
                if (r->reason) {
                    rejected++;
                    continue;
                }
                FUZZ_CHECK(r->plan_no[0] && r->key[0] && strlen(r->subdistrict) == 9);
                FUZZ_CHECK(r->planned >= 0 && r->actual >= 0 && r->ends_at > r->starts_at);
            }
            FUZZ_CHECK(rejected == s.rejected);
            json_t *rep = history_report_json(&s);
            FUZZ_CHECK(json_array_size(rep) == s.n);
            json_decref(rep);
        }
        history_sheet_release(&s);
    }
    table_close(t);
    buf_release(&why);
    free(copy);
    return 0;
}
