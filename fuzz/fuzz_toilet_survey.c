/* fuzz/fuzz_toilet_survey.c - libFuzzer target for the survey row cleaner and the device
 * list reader (R3.7, R3.8): domain/places/toilet_survey.h and domain/cameras/device_list.h
 * over any rows, then the reconciliation classifier over what they kept.
 *
 * The input is read as a CSV table (io/table.h from an exact-size heap copy; a zip goes to
 * the workbook reader, which is fine too). Every row goes through a survey cleaner (in
 * GCJ-02) and a device-list reader. Checked: every row gets exactly one status; a usable
 * toilet has a subdistrict known to the divisions, a key, and a WGS-84 position in Beijing;
 * a kept camera ID is valid; counts add up; the classifier gives one class per distinct ID
 * on either side, sorted, matched only with a distance within the threshold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "domain/cameras/device_list.h"
#include "domain/cameras/reconcile.h"
#include "domain/places/toilet_survey.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)
#define FUZZ_MAX_KEEP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;

static void
check_survey_row(const struct toilet_survey_row *o)
{
    FUZZ_CHECK((unsigned)o->status < TOILET_ROW__COUNT);
    FUZZ_CHECK(o->reason != NULL && o->camera_name != NULL);
    if (o->has_toilet) {
        bool exact;
        FUZZ_CHECK(o->toilet.key && o->toilet.key[0]);
        FUZZ_CHECK(subdistrict_names_find(&names, str_of(o->toilet.subdistrict), &exact));
        FUZZ_CHECK(geo_in_beijing(o->toilet.pos));
    }
    if (o->camera == TOILET_CAMERA_OK || o->camera == TOILET_CAMERA_FIXED)
        FUZZ_CHECK(camera_id_is_valid(o->gb_id));
    if (o->status == TOILET_ROW_ACCEPTED || o->status == TOILET_ROW_FIXED ||
        o->status == TOILET_ROW_DUPLICATE)
        FUZZ_CHECK(o->has_toilet);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct table_row row;
    struct toilet_survey s;
    struct device_list d;
    struct arena arena = ARENA_INIT;
    struct reconcile_listing *ls = xcalloc(FUZZ_MAX_KEEP, sizeof *ls);
    struct reconcile_device *ds = xcalloc(FUZZ_MAX_KEEP, sizeof *ds);
    size_t nl = 0, nd = 0;
    void *copy = xmalloc(size ? size : 1);

    if (!names.by_key.cap)
        subdistrict_names_from_data(&names);
    memcpy(copy, data, size);
    toilet_survey_init(&s, &names, GEO_GCJ02);
    device_list_init(&d, GEO_WGS84);
    if (table_open_mem(copy, size, &t, &why) == 0) {
        while (table_next_row(t, &row) == 0 && row.cells) {
            struct toilet_survey_row o;
            struct device_row dr;
            toilet_survey_feed(&s, &row, &o);
            check_survey_row(&o);
            if (o.has_toilet && o.status != TOILET_ROW_DUPLICATE && nl < FUZZ_MAX_KEEP &&
                (o.camera == TOILET_CAMERA_OK || o.camera == TOILET_CAMERA_FIXED)) {
                memcpy(ls[nl].gb_id, o.gb_id, sizeof ls[nl].gb_id);
                ls[nl].place_id = (int64_t)o.num;
                ls[nl].toilet_name = "";
                ls[nl++].pos = o.toilet.pos;
            }
            device_list_feed(&d, &row, &dr);
            FUZZ_CHECK(dr.reason != NULL && dr.name != NULL);
            if (dr.kind == DEVICE_ROW_OK && nd < FUZZ_MAX_KEEP) {
                FUZZ_CHECK(camera_id_is_valid(dr.gb_id));
                memcpy(ds[nd].gb_id, dr.gb_id, sizeof ds[nd].gb_id);
                ds[nd].name = "";
                ds[nd].has_pos = dr.has_pos;
                ds[nd].pos = dr.pos;
                ds[nd++].status = dr.status;
            }
        }
        uint64_t sum = 0;
        for (int i = 0; i < TOILET_ROW__COUNT; i++)
            sum += s.counts.by_status[i];
        FUZZ_CHECK(sum == s.counts.rows);
        table_close(t);
    }
    struct reconcile_item *items;
    size_t n;
    reconcile_classify(ls, nl, ds, nd, 300, &arena, &items, &n);
    FUZZ_CHECK(n <= nl + nd);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(i == 0 || strcmp(items[i - 1].gb_id, items[i].gb_id) < 0);
        if (items[i].cls == RECONCILE_MATCHED)
            FUZZ_CHECK(items[i].distance_m >= 0 && items[i].distance_m <= 300);
        FUZZ_CHECK((items[i].device != NULL) == (items[i].cls != RECONCILE_ONLY_SURVEY));
    }
    toilet_survey_release(&s);
    device_list_release(&d);
    arena_release(&arena);
    buf_release(&why);
    xfree(ls);
    xfree(ds);
    xfree(copy);
    return 0;
}
