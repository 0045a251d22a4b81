/* api/exchange/hotline.c - 12345 hotline tickets over HTTP (R2.12):
 *   POST /api/v1/exchange/hotline/extract[?format=xlsx]
 *        multipart: file (.xlsx|.csv ticket list), rule (the expression), categories? (one
 *        PATH per line, any of them), synonyms? (one group per line)
 *        -> 200 {"rule": how it was read, "counts": {...}, "items": the first
 *           HOTLINE_API_ITEMS hits, "total"}; with format=xlsx the hits' workbook.
 * The same pass as `jiayuan hotline extract` (domain/exchange/hotline_extract.h): the file is
 * read in place from the request body, nothing is stored; callers' names and phones are
 * masked in both formats. Audited as hotline.extract (counts only).
 * NEEDSWORK: a hotline.* permission and stored, versioned rule sets with runs and checked
 * samples; until then the route needs stats.read.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/exchange/hotline_extract.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"
#include "http/form.h"
#include "http/multipart.h"
#include "io/xlsxw.h"

#define HOTLINE_FILE_CAP ((size_t)64 << 20)
#define HOTLINE_UPLOAD_CAP (HOTLINE_FILE_CAP + ((size_t)1 << 20))
#define HOTLINE_API_ITEMS 500

struct hits_out {
    struct xlsxw *w;    /* format=xlsx */
    json_t *items;      /* JSON */
};

static int
hit_json(void *ctx, const struct hotline_ticket *t)
{
    struct hits_out *h = ctx;
    char name[64], phone[40];
    if (h->w)
        return hotline_hits_xlsx_row(h->w, t);
    if (json_array_size(h->items) >= HOTLINE_API_ITEMS)
        return 0;
    person_mask_name(t->caller, name, sizeof name);
    hotline_mask_phone(t->phone, phone, sizeof phone);
    json_array_append_new(h->items,
                          json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "row",
                                    (json_int_t)t->num, "number", t->number, "received", t->received,
                                    "category", t->category, "title", t->title, "content", t->content,
                                    "address", t->address, "caller", name, "phone", phone, "status",
                                    t->status));
    return 0;
}

/* form_text copies the multipart field name (trimmed) into out; absent: "". */
static int
form_text(struct req *req, const char *name, size_t cap, struct buf *out)
{
    struct multipart_field f;
    int rc = form_field(req, name, &f, NULL);
    if (rc)
        return req_fail(req, rc, "malformed form");
    if (!f.found)
        return 0;
    struct str v = str_trim(f.data);
    if (v.n > cap)
        return req_fail(req, ERR_TOO_LARGE, "'%s' is longer than %zu bytes", name, cap);
    if (!str_is_utf8(v.p, v.n))
        return req_fail(req, ERR_INVALID, "'%s' is not UTF-8 text", name);
    buf_add(out, v.p, v.n);
    return 0;
}

/* split_lines cuts text into its non-blank lines (in place) for the category filters;
 * cap + 1 when there are more than cap. */
static size_t
split_lines(char *text, const char **lines, size_t cap)
{
    size_t n = 0;
    for (char *l = text; *l;) {
        char *end = l + strcspn(l, "\r\n");
        char *nextl = *end ? end + 1 : end;
        *end = '\0';
        if (str_trim(str_of(l)).n) {
            if (n == cap)
                return cap + 1;
            lines[n++] = l;
        }
        l = nextl;
    }
    return n;
}

static int
hotline_extract_route(struct req *req)
{
    struct multipart_field f;
    struct table_reader src;
    struct buf expr = BUF_INIT, catt = BUF_INIT, synt = BUF_INIT, why = BUF_INIT, detail = BUF_INIT;
    struct hotline_synonyms syn = HOTLINE_SYNONYMS_INIT;
    struct hotline_rule *rule = NULL;
    struct hotline_extract_counts c;
    struct hits_out h = { NULL, NULL };
    struct table *t = NULL;
    const char *cats[HOTLINE_MAX_CATEGORIES];
    struct api_xlsx *x = NULL;
    size_t ncats;
    bool xlsx = false;
    int rc;

    if ((rc = api_format(req, &xlsx)) || (rc = api__form_file(req, HOTLINE_FILE_CAP, &f, &src)) ||
        (rc = form_text(req, "rule", HOTLINE_RULE_MAX_TEXT, &expr)) ||
        (rc = form_text(req, "categories", 16 * 1024, &catt)) ||
        (rc = form_text(req, "synonyms", HOTLINE_SYN_MAX_TEXT, &synt)))
        goto out;
    if ((ncats = split_lines(catt.data, cats, HOTLINE_MAX_CATEGORIES)) > HOTLINE_MAX_CATEGORIES) {
        rc = req_fail(req, ERR_TOO_LARGE, "more than %d categories", HOTLINE_MAX_CATEGORIES);
        goto out;
    }
    if ((rc = hotline_synonyms_parse((struct str){ synt.data, synt.len }, &syn, &why)) ||
        (rc = hotline_rule_compile((struct str){ expr.data, expr.len }, &syn, &rule, &why)) ||
        (rc = table_open_reader(&src, &t, &why))) {
        rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    if (xlsx && ((rc = api__xlsx_new(req, &x)) || (rc = hotline_hits_xlsx_open(api__xlsx_dest(x), &h.w))))
        goto out;
    h.items = json_array();
    rc = hotline_extract(t, rule, cats, ncats, hit_json, &h, &c, &why);
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE) {
        xlsxw_free(h.w);
        h.w = NULL;
        rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    if (!rc) {
        buf_printf(&detail, "tickets=%llu in_category=%llu matched=%llu format=%s",
                   (unsigned long long)c.tickets, (unsigned long long)c.in_category,
                   (unsigned long long)c.matched, xlsx ? "xlsx" : "json");
        rc = audit_record(req->db, &req->app->keys, &req->actor, "hotline.extract", "hotline", "ok",
                          detail.data);
    }
    if (xlsx) {
        rc = api__xlsx_reply(req, x, xlsxw_finish(h.w, rc), "hotline-hits.xlsx", "12345工单命中.xlsx");
        h.w = NULL;
        x = NULL;
        goto out;
    }
    if (rc)
        goto out;
    buf_reset(&why);
    hotline_rule_describe(rule, &why);
    json_t *o = json_pack("{s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:O, s:I}", "rule", why.data, "counts",
                          "header_row", (json_int_t)c.header_row, "tickets", (json_int_t)c.tickets,
                          "no_number", (json_int_t)c.no_number, "in_category", (json_int_t)c.in_category,
                          "matched", (json_int_t)c.matched, "items", h.items, "total", (json_int_t)c.matched);
    rc = api_reply(req, 200, o);
out:
    xlsxw_free(h.w);
    api__xlsx_free(x);
    json_decref(h.items);
    table_close(t);
    hotline_rule_free(rule);
    hotline_synonyms_release(&syn);
    buf_release(&expr);
    buf_release(&catt);
    buf_release(&synt);
    buf_release(&why);
    buf_release(&detail);
    return rc;
}

const struct route api_hotline_routes[] = {
    { "POST", "/api/v1/exchange/hotline/extract", hotline_extract_route, PERM_STATS_READ, ROUTE_MULTIPART,
      HOTLINE_UPLOAD_CAP },
    ROUTE_END
};
