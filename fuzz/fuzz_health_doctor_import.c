/* fuzz/fuzz_health_doctor_import.c - libFuzzer target for the doctors sheet reader (issue 11,
 * R2.13): domain/exchange/health_import.h health_doctor_import_records over any input (io/table.h
 * reads it from an exact-size heap copy: a zip goes to the workbook reader, anything else is
 * CSV). Checked: success gives one sheet row per record, rows strictly increasing, every record
 * an object of source "file" whose values are strings; failure gives no records and a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "domain/exchange/health_import.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf why = BUF_INIT;
    struct table *t = NULL;
    json_t *records = NULL;
    uint64_t *rows = NULL;
    size_t n = 0;
    uint8_t *copy = xmalloc(size ? size : 1);
    memcpy(copy, data, size);
    if (table_open_mem(copy, size, &t, &why) == 0) {
        int rc = health_doctor_import_records(t, &records, &rows, &n, &why);
        if (rc == 0) {
            FUZZ_CHECK(json_is_array(records) && json_array_size(records) == n);
            for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(records, i), *v;
                const char *k;
                FUZZ_CHECK(json_is_object(o));
                FUZZ_CHECK(!strcmp(json_string_value(json_object_get(o, "source")), HEALTH_IMPORT_SOURCE));
                FUZZ_CHECK(i == 0 || rows[i] > rows[i - 1]);
                json_object_foreach(o, k, v)
                    FUZZ_CHECK(json_is_string(v));
            }
        } else {
            FUZZ_CHECK(records == NULL && rows == NULL && n == 0 && why.len > 0);
        }
    }
    json_decref(records);
    xfree(rows);
    table_close(t);
    buf_release(&why);
    xfree(copy);
    return 0;
}
