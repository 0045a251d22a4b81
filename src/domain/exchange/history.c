/* domain/exchange/history.c - reading past rounds from a sheet (R2.10; see history.h). The
 * storing is history_store.c. */
#include "domain/exchange/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "domain/exchange/emergency.h"
#include "domain/places/text_norm.h"

enum h_field { H_PLAN, H_NAME, H_START, H_END, H_SUB, H_SCHOOL, H_GRADE, H_CLASS, H_PLANNED, H_ACTUAL, H__COUNT };

static const char *const h_heads[H__COUNT] = {
    "|计划编号|轮次编号|批次编号|轮次号|", "|计划名称|轮次|轮次名称|批次名称|", "|开始时间|检测日期|日期|开始日期|",
    "|结束时间|结束日期|",                 "|街道|街道名称|所属街道|街乡|",     "|学校|学校名称|",
    "|年级|",                              "|班级|",                           "|应检|应检人数|应检数|计划数|计划人数|",
    "|实检|实检人数|实检数|实际|实际人数|",
};

static bool
h_in(const char *list, const char *norm)
{
    size_t n = strlen(norm);
    if (strchr(norm, '|'))
        return false;
    for (const char *p = list; n && (p = strstr(p, norm)); p++)
        if (p > list && p[-1] == '|' && p[n] == '|')
            return true;
    return false;
}

static bool
h_header(const struct table_row *row, int *col)
{
    char norm[160];
    for (int f = 0; f < H__COUNT; f++)
        col[f] = -1;
    for (size_t i = 0; i < row->ncells && i < TABLE_MAX_COLS; i++) {
        text_norm(row->cells[i], TEXT_NORM_HEADER, norm, sizeof norm, NULL);
        for (int f = 0; f < H__COUNT; f++)
            if (col[f] < 0 && h_in(h_heads[f], norm)) {
                col[f] = (int)i;
                break;
            }
    }
    return col[H_PLAN] >= 0 && col[H_SUB] >= 0 && col[H_ACTUAL] >= 0 && col[H_START] >= 0;
}

static struct str
h_cell(const struct table_row *row, int col)
{
    return col >= 0 && (size_t)col < row->ncells ? str_trim(row->cells[col]) : (struct str){ "", 0 };
}

/* h_count reads "1,234", "1234", "1234.0". */
static int
h_count(struct str s, int64_t *v)
{
    char buf[32];
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == ',')
            continue;
        if (n + 1 >= sizeof buf)
            return ERR_INVALID;
        buf[n++] = s.p[i];
    }
    buf[n] = '\0';
    char *dot = strchr(buf, '.');
    if (dot) {
        for (char *q = dot + 1; *q; q++)
            if (*q != '0')
                return ERR_INVALID;
        *dot = '\0';
    }
    return cstr_to_i64(buf, v, 0, 100000000LL);
}

static bool
h_code(struct str s)
{
    if (!s.n || s.n > 64)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-'))
            return false;
    }
    return true;
}

static bool
h_text(struct str s, size_t max)
{
    return s.n <= max && str_is_utf8(s.p, s.n) && !str_has_ctl(s.p, s.n) && !memchr(s.p, '|', s.n);
}

static int
h_time(struct str s, int64_t *ms)
{
    char buf[40];
    if (!s.n || s.n >= sizeof buf)
        return ERR_INVALID;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    return emergency_parse_time(buf, ms);
}

/* h_row fills r from one data row; r->reason is set when it is rejected. */
static void
h_row(const struct table_row *row, const int *col, const struct subdistrict_names *names, struct history_row *r)
{
    struct str plan = h_cell(row, col[H_PLAN]), name = h_cell(row, col[H_NAME]), sub = h_cell(row, col[H_SUB]);
    struct str school = h_cell(row, col[H_SCHOOL]), grade = h_cell(row, col[H_GRADE]), cls = h_cell(row, col[H_CLASS]);
    struct str end = h_cell(row, col[H_END]);
    const struct subdistrict_entry *e;

    memset(r, 0, sizeof *r);
    r->num = row->num;
    r->status = "rejected";
    if (!h_code(plan)) {
        r->reason = "the plan number is empty or not [A-Za-z0-9._:-], at most 64";
        return;
    }
    memcpy(r->plan_no, plan.p, plan.n);
    if (!name.n)
        name = plan;
    if (!h_text(name, 200) || !h_text(school, 100) || !h_text(grade, 100) || !h_text(cls, 100)) {
        r->reason = "a text cell is too long or holds control characters or '|'";
        return;
    }
    memcpy(r->name, name.p, name.n);
    if (h_time(h_cell(row, col[H_START]), &r->starts_at)) {
        r->reason = "the start is not a date or time";
        return;
    }
    r->ends_at = r->starts_at + 86400000LL;
    if (end.n && (h_time(end, &r->ends_at) || r->ends_at <= r->starts_at)) {
        r->reason = "the end is not a date or time after the start";
        return;
    }
    if (!(e = subdistrict_names_find(names, sub, NULL)) || strlen(e->code) != 9) {
        r->reason = "the subdistrict is empty or unknown";
        return;
    }
    str_copy(r->subdistrict, sizeof r->subdistrict, e->code);
    if (h_count(h_cell(row, col[H_PLANNED]), &r->planned) || h_count(h_cell(row, col[H_ACTUAL]), &r->actual)) {
        r->reason = "a count is empty or not a whole number from 0 to 100000000";
        return;
    }
    r->school = school.n > 0;
    if (r->school)
        snprintf(r->key, sizeof r->key, "%.*s|%.*s|%.*s", (int)school.n, school.p, (int)grade.n, grade.p, (int)cls.n,
                 cls.p);
    else
        str_copy(r->key, sizeof r->key, r->subdistrict);
    r->status = "accepted";
}

int
history_sheet_read(struct table *t, const struct subdistrict_names *names, struct history_sheet *out, struct buf *why)
{
    struct table_row row;
    int col[H__COUNT], probe[H__COUNT];
    json_t *keys = json_object(); /* "plan|key" seen */
    size_t seen = 0;
    bool have = false;
    int rc;

    memset(out, 0, sizeof *out);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (!have) {
            if (++seen > 5)
                break;
            if ((have = h_header(&row, col)))
                out->header_row = row.num;
            continue;
        }
        if (h_header(&row, probe))
            continue; /* a repeated header row */
        if (out->n == HISTORY_ROWS_MAX) {
            buf_printf(why, "more than %d data rows", HISTORY_ROWS_MAX);
            json_decref(keys);
            return ERR_INVALID;
        }
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 64;
            struct history_row *p = realloc(out->rows, cap * sizeof *p);
            if (!p) {
                json_decref(keys);
                return ERR_INTERNAL;
            }
            out->rows = p;
            out->cap = cap;
        }
        struct history_row *r = &out->rows[out->n++];
        h_row(&row, col, names, r);
        if (!r->reason) {
            char k[480];
            snprintf(k, sizeof k, "%s|%s", r->plan_no, r->key);
            if (json_object_get(keys, k)) {
                r->status = "rejected";
                r->reason = "a second row for the same plan and subdistrict (or school, grade and class)";
            } else {
                json_object_set_new(keys, k, json_true());
            }
        }
        out->rejected += r->reason != NULL;
    }
    json_decref(keys);
    if (rc) {
        buf_adds(why, table_message(t));
        return rc;
    }
    if (!have) {
        buf_adds(why, "no header row naming 计划编号, 开始时间, 街道 and 实检 in the first 5 rows");
        return ERR_INVALID;
    }
    return 0;
}

void
history_sheet_release(struct history_sheet *s)
{
    free(s->rows);
    memset(s, 0, sizeof *s);
}

json_t *
history_report_json(const struct history_sheet *s)
{
    json_t *out = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const struct history_row *r = &s->rows[i];
        json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:s, s:s}", "row", (json_int_t)r->num, "plan_no",
                                             r->plan_no, "key", r->key, "status", r->status, "reason",
                                             r->reason ? r->reason : ""));
    }
    return out;
}
