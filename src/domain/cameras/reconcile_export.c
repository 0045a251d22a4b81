/* domain/cameras/reconcile_export.c - a stored reconciliation run as .xlsx (R3.8, "every
 * list exportable"): read page by page from reconciliation_rows, written by io/xlsxw.h. */
#include "domain/cameras/reconcile.h"

#include <string.h>

#include "core/err.h"
#include "io/xlsxw.h"

static int
export_row(struct xlsxw *w, const struct reconcile_row *r)
{
    struct xlsxw_cell c[9] = {
        XLSXW_TEXT_CELL(str_of(r->gb_id)),
        XLSXW_TEXT_CELL(str_of(r->cls)),
        r->distance_m >= 0 ? XLSXW_NUMBER_CELL(r->distance_m) : XLSXW_EMPTY_CELL,
        XLSXW_TEXT_CELL(str_of(r->toilets)),
        XLSXW_TEXT_CELL(str_of(r->net_status)),
        XLSXW_TEXT_CELL(str_of(r->net_name)),
        r->has_pos ? XLSXW_NUMBER_CELL((double)r->lon_e6 / 1e6) : XLSXW_EMPTY_CELL,
        r->has_pos ? XLSXW_NUMBER_CELL((double)r->lat_e6 / 1e6) : XLSXW_EMPTY_CELL,
        XLSXW_TEXT_CELL(str_of(r->reason)),
    };
    return xlsxw_row(w, c, 9);
}

int
reconcile_export(struct db *db, const struct actor *a, int64_t id, const char *cls,
                 const struct xlsxw_dest *dest)
{
    static const struct str head[] = {
        STR_LIT("国标编码"), STR_LIT("核对结果"), STR_LIT("距离(米)"), STR_LIT("公厕"),
        STR_LIT("在线状态"), STR_LIT("设备名称"), STR_LIT("经度"), STR_LIT("纬度"), STR_LIT("原因"),
    };
    struct xlsxw_opts opts = { 0 };
    struct xlsxw *w = NULL;
    struct reconcile_info info;
    struct arena arena = ARENA_INIT;
    int64_t after = 0, total = 0;
    int rc;

    if ((rc = reconcile_get(db, a, id, &arena, &info)))
        goto out;
    if ((rc = xlsxw_open_dest(dest, "reconciliation", &opts, &w)) ||
        (rc = xlsxw_header(w, head, sizeof head / sizeof *head)))
        goto out;
    xlsxw_set_width(w, 0, 24);
    xlsxw_set_width(w, 3, 32);
    xlsxw_set_width(w, 8, 48);
    for (;;) {
        struct reconcile_row *rows = NULL;
        size_t n = 0;
        arena_release(&arena);
        if ((rc = reconcile_rows(db, a, id, cls, after, RECONCILE_LIST_MAX, &arena, &rows, &n, &total)))
            goto out;
        for (size_t i = 0; i < n && !rc; i++)
            rc = export_row(w, &rows[i]);
        if (rc || n < RECONCILE_LIST_MAX)
            break;
        after = rows[n - 1].seq;
    }
    if (!rc) {
        rc = xlsxw_close(w);
        w = NULL;
    }
out:
    xlsxw_free(w);
    arena_release(&arena);
    return rc;
}
