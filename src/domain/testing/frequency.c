/* domain/testing/frequency.c - a person's testing frequency per month (参与核酸频次, R4.1 with
 * issue 10; S1 masked, S6 audited by blind index). See frequency.h.
 */
#include "domain/testing/frequency.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"

#define SQL_SAMPLES(col)                                                                                  \
    "SELECT s.id_number, s.name, s.collected_at FROM samples s"                                          \
    " WHERE s." col " = ?1 AND s.collected_at >= ?2 AND s.collected_at < ?3 AND s.deleted_at = 0"        \
    " ORDER BY s.collected_at"
/* [slot]: the index slot lookups read (issue 12 rotate-index, crypto/keys.h) */
static const char *const sql_samples[2] = { SQL_SAMPLES("person_bidx"), SQL_SAMPLES("person_bidx_b") };

int
frequency_month_parse(const char *s, int64_t *index)
{
    int64_t y = 0, m = 0;
    if (!s || strlen(s) != 7 || s[4] != '-')
        return ERR_INVALID;
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        if (i < 4)
            y = y * 10 + (s[i] - '0');
        else
            m = m * 10 + (s[i] - '0');
    }
    if (y < 2019 || y > 2100 || m < 1 || m > 12)
        return ERR_INVALID;
    *index = y * 12 + m - 1;
    return 0;
}

void
frequency_month_name(int64_t index, char out[8])
{
    unsigned y = (unsigned)(index / 12) % 10000u, m = (unsigned)(index % 12) % 12u + 1u;
    snprintf(out, 8, "%04u-%02u", y, m);
}

/* frequency_month_start: ms at the start of month index in Asia/Shanghai. */
static int64_t
frequency_month_start(int64_t index)
{
    char text[64];
    int64_t ms = 0;
    snprintf(text, sizeof text, "%04u-%02u-01T00:00:00+08:00", (unsigned)(index / 12) % 10000u,
             (unsigned)(index % 12) + 1u);
    (void)time_parse_rfc3339(text, &ms);
    return ms;
}

/* frequency_month_of: the month index of ms in Asia/Shanghai. */
static int64_t
frequency_month_of(int64_t ms)
{
    char text[32];
    int64_t index = 0;
    time_format_local(ms, text, sizeof text);
    text[7] = '\0';
    (void)frequency_month_parse(text, &index);
    return index;
}

/* frequency_span resolves from and to into month indexes. */
static int
frequency_span(const char *from, const char *to, int64_t *first, int64_t *last, struct buf *why)
{
    if (to && *to) {
        if (frequency_month_parse(to, last)) {
            buf_adds(why, "'to' must be a month written YYYY-MM");
            return ERR_INVALID;
        }
    } else {
        *last = frequency_month_of(time_now_ms());
    }
    if (from && *from) {
        if (frequency_month_parse(from, first)) {
            buf_adds(why, "'from' must be a month written YYYY-MM");
            return ERR_INVALID;
        }
    } else {
        *first = *last - (FREQUENCY_MONTHS_DEFAULT - 1);
    }
    if (*first > *last || *last - *first + 1 > FREQUENCY_MONTHS_MAX) {
        buf_printf(why, "'from' to 'to' must be 1 to %d months", FREQUENCY_MONTHS_MAX);
        return ERR_INVALID;
    }
    return 0;
}

/* frequency_open opens a sealed text column into the arena (NULL when it does not open). */
static char *
frequency_open(const struct app *app, const char *ad, const void *blob, size_t n, struct arena *arena)
{
    if (!blob || n < FIELD_OVERHEAD)
        return NULL;
    size_t cap = n - FIELD_OVERHEAD + 1, len = 0;
    uint8_t *out = arena_alloc(arena, cap);
    if (field_open(&app->keys, ad, blob, n, out, cap, &len))
        return NULL;
    return (char *)out;
}

/* frequency_count reads the confirmed samples of bidx in the span into out->months. */
static int
frequency_count(struct app *app, struct db *db, int64_t bidx, unsigned slot, const char *id, int64_t first,
                struct arena *arena, struct person_frequency *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_samples[slot ? 1 : 0], &st)) || (rc = db_bind_i64(st, 1, bidx)) ||
        (rc = db_bind_i64(st, 2, frequency_month_start(first))) ||
        (rc = db_bind_i64(st, 3, frequency_month_start(first + (int64_t)out->nmonths))))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const void *blob = db_col_blob(st, 0, &n);
        char *plain = frequency_open(app, "samples.id_number", blob, n, arena);
        bool same = plain && strcmp(plain, id) == 0;
        int64_t k = frequency_month_of(db_col_i64(st, 2)) - first;
        if (plain)
            wipe(plain, strlen(plain));
        if (!same || k < 0 || k >= (int64_t)out->nmonths)
            continue; /* a blind-index collision: not this person */
        out->months[k].tests++;
        out->total++;
        if (!out->name[0]) {
            char *name, masked[64];
            blob = db_col_blob(st, 1, &n);
            name = frequency_open(app, "samples.name", blob, n, arena);
            if (name) {
                person_mask_name(name, masked, sizeof masked);
                wipe(name, strlen(name));
                out->name = arena_strdup(arena, masked);
            }
        }
    }
out:
    db_done(st);
    return rc;
}

int
person_frequency(struct app *app, struct db *db, const struct actor *a, const char *id_number, const char *from,
                 const char *to, struct arena *arena, struct person_frequency *out, struct buf *why)
{
    char id[IDNO_LEN + 1] = "", target[40], detail[96];
    enum idno_status status;
    int64_t first = 0, last = 0, bidx;
    unsigned slot = 0;
    int rc;

    memset(out, 0, sizeof *out);
    out->name = "";
    if (a->subdistrict[0] || !(a->kind == ACTOR_SYSTEM || (a->kind == ACTOR_USER && a->role == ROLE_DISTRICT))) {
        (void)audit_record(db, &app->keys, a, "people.frequency", "people", "denied", NULL);
        buf_adds(why, "the testing frequency is for district accounts");
        return ERR_FORBIDDEN;
    }
    status = idno_normalize(id_number ? id_number : "", id_number ? strlen(id_number) : 0, id);
    if (status != IDNO_OK && status != IDNO_FIXED && status != IDNO_CONVERTED_15) {
        buf_printf(why, "'id_number' is not a valid ID number (%s)", idno_status_code(status));
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = frequency_span(from, to, &first, &last, why)))
        goto out;
    out->nmonths = (size_t)(last - first + 1);
    out->months = arena_alloc(arena, out->nmonths * sizeof *out->months);
    for (size_t i = 0; i < out->nmonths; i++) {
        int64_t k = first + (int64_t)i;
        frequency_month_name(k, out->months[i].month);
        out->months[i].tests = 0;
    }
    memcpy(out->from, out->months[0].month, sizeof out->from);
    memcpy(out->to, out->months[out->nmonths - 1].month, sizeof out->to);
    bidx = blind_index_lookup(&app->keys, id, IDNO_LEN, &slot);
    if ((rc = frequency_count(app, db, bidx, slot, id, first, arena, out)))
        goto out;
    idno_mask(id, out->id_number);
    snprintf(target, sizeof target, "blind:%016llx", (unsigned long long)bidx);
    snprintf(detail, sizeof detail, "from=%s to=%s tests=%lld", out->from, out->to, (long long)out->total);
    rc = audit_record(db, &app->keys, a, "people.frequency", target, "ok", detail);
out:
    wipe(id, sizeof id);
    return rc;
}
