/* api/exchange/history.c - past testing rounds from an uploaded spreadsheet (R2.10):
 * domain/exchange/history.h does the reading and storing; this file takes the upload and
 * answers the counts with the row-level report. */
#include "api/api.h"
#include <string.h>
#include "core/err.h"
#include "domain/exchange/history.h"
#include "http/multipart.h"
#include "io/table.h"

#define HISTORY_FILE_CAP ((size_t)32 << 20)
#define HISTORY_UPLOAD_CAP (HISTORY_FILE_CAP + ((size_t)64 << 10))

/* POST /api/v1/exchange/history/import  multipart: file -> 200 {"header_row","rows",
 *   "plans_created","accepted","updated","unchanged","rejected","report":[{"row","plan_no",
 *   "key","status","reason"}…]}; a re-import of the same file: every row "unchanged". */
static int
history_import_handler(struct req *req)
{
    struct multipart_field f;
    struct table_reader src;
    struct history_sheet s;
    struct history_result res;
    struct buf why = BUF_INIT;
    int rc;

    if ((rc = api__form_file(req, HISTORY_FILE_CAP, &f, &src)))
        return rc;
    rc = history_import_from(req->app, req->db, &req->actor, &src, &s, &res, &why);
    if (rc)
        rc = req_fail(req, rc, "%s", why.len ? why.data : "the import failed");
    else
        rc = api_reply(req, 200,
                       json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "header_row", (json_int_t)s.header_row,
                                 "rows", (json_int_t)s.n, "plans_created", (json_int_t)res.plans_created, "accepted",
                                 (json_int_t)res.accepted, "updated", (json_int_t)res.updated, "unchanged",
                                 (json_int_t)res.unchanged, "rejected", (json_int_t)res.rejected, "report",
                                 history_report_json(&s)));
    history_sheet_release(&s);
    buf_release(&why);
    return rc;
}

const struct route api_history_routes[] = {
    { "POST", "/api/v1/exchange/history/import", history_import_handler, PERM_PLANS_WRITE, ROUTE_MULTIPART,
      HISTORY_UPLOAD_CAP },
    ROUTE_END
};
