/* api/testing/people_export.c - POST /api/v1/people/export: a person's test history as .xlsx
 * (R4.2 "export it to .xlsx"). The same lookup, masking, reveal rule and audit as
 * POST /api/v1/people/lookup (domain/testing/person.h), one more audit entry for the download
 * (people.export, by blind index). The ID number travels in the body, never in the URL.
 * The workbook is written with io/xlsxw.h into a sealed, nameless temporary file and streamed
 * back from it (api__xlsx_reply; never in clear on disk, issue 12): it holds only what the
 * reply of the lookup would have shown.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"
#include "io/xlsxw.h"

#define PEOPLE_EXPORT_COLS 9

/* people_result_text: the result as the district's sheets write it. */
static const char *
people_result_text(const char *r)
{
    if (!r[0] || strcmp(r, "pending") == 0)
        return "待出结果";
    if (strcmp(r, "negative") == 0)
        return "阴性";
    if (strcmp(r, "positive") == 0)
        return "阳性";
    if (strcmp(r, "invalid") == 0)
        return "无效";
    return r;
}

static int
people_export_write(const struct xlsxw_dest *dest, const struct person_history *h, int days)
{
    static const struct str names[PEOPLE_EXPORT_COLS] = {
        STR_LIT("姓名"), STR_LIT("身份证号"), STR_LIT("采样时间"), STR_LIT("采样点编码"), STR_LIT("采样点"),
        STR_LIT("试管编码"), STR_LIT("检测机构"), STR_LIT("检测时间"), STR_LIT("检测结果"),
    };
    static const double widths[PEOPLE_EXPORT_COLS] = { 12, 22, 20, 14, 24, 18, 24, 20, 10 };
    struct xlsxw *w = NULL;
    struct xlsxw_cell cells[PEOPLE_EXPORT_COLS];
    char sampled[32], tested[32], sheet[32];
    int rc;

    snprintf(sheet, sizeof sheet, "近%d天检测记录", days);
    if ((rc = xlsxw_open_dest(dest, sheet, NULL, &w)) || (rc = xlsxw_header(w, names, PEOPLE_EXPORT_COLS)))
        goto out;
    for (size_t c = 0; c < PEOPLE_EXPORT_COLS; c++)
        if ((rc = xlsxw_set_width(w, c, widths[c])))
            goto out;
    for (size_t i = 0; i < h->ntests; i++) {
        const struct person_test *t = &h->tests[i];
        time_format_local(t->sampled_at, sampled, sizeof sampled);
        if (t->tested_at)
            time_format_local(t->tested_at, tested, sizeof tested);
        else
            tested[0] = '\0';
        cells[0] = XLSXW_TEXT_CELL(str_of(h->name));
        cells[1] = XLSXW_TEXT_CELL(str_of(h->id_number));
        cells[2] = XLSXW_TEXT_CELL(str_of(sampled));
        cells[3] = XLSXW_TEXT_CELL(str_of(t->site_code));
        cells[4] = XLSXW_TEXT_CELL(str_of(t->site_name));
        cells[5] = XLSXW_TEXT_CELL(str_of(t->tube_code));
        cells[6] = XLSXW_TEXT_CELL(str_of(t->institution));
        cells[7] = XLSXW_TEXT_CELL(str_of(tested));
        cells[8] = XLSXW_TEXT_CELL(str_of(people_result_text(t->result)));
        if ((rc = xlsxw_row(w, cells, PEOPLE_EXPORT_COLS)))
            goto out;
    }
    rc = xlsxw_close(w);
    w = NULL;
out:
    xlsxw_free(w);
    return rc;
}

/* POST /api/v1/people/export {"id_number","days"?,"reveal"?,"reason"?} -> .xlsx attachment */
static int
people_export(struct req *req)
{
    json_t *body = NULL;
    const char *id = NULL, *reason = NULL;
    struct buf why = BUF_INIT;
    json_int_t days = PERSON_DAYS_DEFAULT;
    int reveal = 0, rc;
    struct person_history h;
    struct api_xlsx *x = NULL;
    char norm[IDNO_LEN + 1], target[40], detail[64];

    memset(&h, 0, sizeof h);
    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s?I, s?b, s?s}", "id_number", &id, "days", &days, "reveal", &reveal,
                         "reason", &reason)))
        goto out;
    if (days < 1 || days > PERSON_DAYS_MAX) {
        rc = req_fail(req, ERR_INVALID, "'days' must be from 1 to %d", PERSON_DAYS_MAX);
        goto out;
    }
    rc = person_lookup(req->app, req->db, &req->actor, id, (int)days, reveal, reason, &req->arena, &h, &why);
    if (rc == ERR_FORBIDDEN)
        rc = req_fail(req, rc, "permission 'pii.reveal' is required to reveal");
    else if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    if (rc || (rc = api__xlsx_new(req, &x)))
        goto out;
    if ((rc = people_export_write(api__xlsx_dest(x), &h, (int)days)))
        goto out;
    (void)idno_normalize(id, strlen(id), norm); /* valid: person_lookup accepted it */
    snprintf(target, sizeof target, "blind:%016llx",
             (unsigned long long)blind_index(&req->app->keys, "idno", norm, IDNO_LEN));
    wipe(norm, sizeof norm);
    snprintf(detail, sizeof detail, "days=%d tests=%zu%s", (int)days, h.ntests, h.revealed ? " reveal" : "");
    if ((rc = audit_record(req->db, &req->app->keys, &req->actor, "people.export", target, "ok", detail)))
        goto out;
    rc = api__xlsx_reply(req, x, 0, "test-history.xlsx", "检测记录.xlsx");
    x = NULL;
out:
    api__xlsx_free(x);
    if (h.name && h.revealed)
        wipe((char *)h.name, strlen(h.name));
    buf_release(&why);
    json_decref(body);
    return rc;
}

const struct route api_people_export_routes[] = {
    { "POST", "/api/v1/people/export", people_export, PERM_PEOPLE_READ, ROUTE_JSON, 4096 },
    ROUTE_END
};
