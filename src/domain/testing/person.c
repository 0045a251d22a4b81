/* domain/testing/person.c - personal query by ID number (R4.1, R4.2; S1 masked by default; S6
 * every lookup audited by blind index). */
#include "domain/testing/person.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"
#include "domain/testing/result.h"

#define SQL_HISTORY(col)                                                                                          \
    "SELECT s.id, s.id_number, s.name, s.collected_at, t.code, t.name, s.tube_code,"                            \
    " (SELECT r.id FROM results r WHERE r.tube_code = s.tube_code ORDER BY r.tested_at DESC, r.id DESC LIMIT 1)" \
    " FROM samples s JOIN sites t ON t.id = s.site_id"                                                            \
    " WHERE s." col " = ?1 AND s.collected_at >= ?2 AND s.deleted_at = 0"                                         \
    " ORDER BY s.collected_at DESC, s.id DESC LIMIT ?3"
/* [slot]: the index slot lookups read (issue 12 rotate-index, crypto/keys.h) */
static const char *const sql_history[2] = { SQL_HISTORY("person_bidx"), SQL_HISTORY("person_bidx_b") };

void
person_mask_name(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name), first = 1, chars = 0;
    struct buf b = BUF_INIT;
    if (n == 0) {
        str_copy(out, cap, "");
        return;
    }
    first = utf8_len((unsigned char)name[0]);
    if (first > n)
        first = n;
    chars = utf8_count(name + first, n - first);
    buf_add(&b, name, first);
    for (size_t i = 0; i < (chars ? chars : 1); i++)
        buf_addch(&b, '*');
    str_copy(out, cap, b.data);
    buf_release(&b);
}

/* person_reason_digit: the length of the digit at s (ASCII, or full-width "０"-"９" in UTF-8),
 * 0 when none. */
static size_t
person_reason_digit(const unsigned char *s)
{
    if (*s >= '0' && *s <= '9')
        return 1;
    if (s[0] == 0xef && s[1] == 0xbc && s[2] >= 0x90 && s[2] <= 0x99)
        return 3;
    return 0;
}

bool
person_reason_ok(const char *reason)
{
    size_t n = reason ? strlen(reason) : 0, run = 0;
    const unsigned char *s = (const unsigned char *)reason;
    if (n == 0 || n > 200 || !str_is_utf8(reason, n) || str_has_ctl(reason, n))
        return false;
    /* issue 12: no ID number and no phone number, also when written with spaces, dashes or
     * dots between the digits ("1101 0519 4912 3100 1X", "138-0013-8000"): 11 digits in one
     * run, single separators skipped, is a phone number or part of an ID number. */
    for (size_t i = 0; i < n;) {
        size_t d = person_reason_digit(s + i);
        if (d) {
            if (++run >= 11)
                return false;
            i += d;
        } else if (run && strchr(" -._/", s[i]) && i + 1 < n && person_reason_digit(s + i + 1)) {
            i++; /* a separator inside a run */
        } else {
            run = 0;
            i++;
        }
    }
    return true;
}

/* person_open opens a sealed text column into the arena (NULL when it does not open). */
static char *
person_open(const struct app *app, const char *ad, const void *blob, size_t n, struct arena *arena)
{
    if (!blob || n < FIELD_OVERHEAD)
        return NULL;
    size_t cap = n - FIELD_OVERHEAD + 1, len = 0;
    uint8_t *out = arena_alloc(arena, cap);
    if (field_open(&app->keys, ad, blob, n, out, cap, &len))
        return NULL;
    return (char *)out;
}

/* person_results reads each test's result, verifying its MAC (issue 12): a result that
 * fails reads "damaged" (no institution, no time) and counts as damaged data. */
static int
person_results(struct app *app, struct db *db, struct arena *arena, struct person_history *out)
{
    for (size_t i = 0; i < out->ntests; i++) {
        struct person_test *t = &out->tests[i];
        struct result r;
        int rc;
        t->institution = "";
        t->result = "";
        t->tested_at = 0;
        if (!t->result_id)
            continue;
        rc = result_get(&app->keys, db, t->result_id, arena, &r);
        if (rc == ERR_CRYPTO) {
            t->result = PERSON_RESULT_DAMAGED;
            out->damaged++;
            out->damaged_results++;
            continue;
        }
        if (rc == ERR_NOT_FOUND)
            continue; /* removed since the first read */
        if (rc)
            return rc;
        t->institution = r.institution;
        t->tested_at = r.tested_at;
        t->result = r.result;
    }
    return 0;
}

int
person_lookup(struct app *app, struct db *db, const struct actor *a, const char *id_number, int days,
              bool reveal, const char *reason, struct arena *arena, struct person_history *out,
              struct buf *why)
{
    char id[IDNO_LEN + 1], target[40], detail[64];
    enum idno_status status;
    struct db_stmt *st = NULL;
    bool row = false;
    size_t cap = 16;
    int64_t bidx, since;
    unsigned slot = 0;
    int rc;

    memset(out, 0, sizeof *out);
    out->name = "";
    status = idno_normalize(id_number, strlen(id_number), id);
    if (status != IDNO_OK && status != IDNO_FIXED && status != IDNO_CONVERTED_15) {
        buf_printf(why, "'id_number' is not a valid ID number (%s)", idno_status_code(status));
        return ERR_INVALID;
    }
    if (days < 1 || days > PERSON_DAYS_MAX) {
        buf_printf(why, "'days' must be from 1 to %d", PERSON_DAYS_MAX);
        return ERR_INVALID;
    }
    bidx = blind_index_lookup(&app->keys, id, IDNO_LEN, &slot);
    snprintf(target, sizeof target, "blind:%016llx", (unsigned long long)bidx);
    if (reveal && !actor_can(a, PERM_BIT_PII_REVEAL)) {
        /* a refused reveal is audited like every other denial */
        wipe(id, sizeof id);
        (void)audit_record(db, &app->keys, a, "people.reveal", target, "denied", NULL);
        return ERR_FORBIDDEN;
    }
    if (reveal && !person_reason_ok(reason)) {
        buf_adds(why, "revealing needs a 'reason' (1 to 200 bytes, without ID numbers)");
        wipe(id, sizeof id);
        return ERR_INVALID;
    }
    since = time_now_ms() - (int64_t)days * 86400000LL;
    out->tests = arena_alloc(arena, cap * sizeof *out->tests);
    if ((rc = db_prepare(db, sql_history[slot ? 1 : 0], &st)) || (rc = db_bind_i64(st, 1, bidx)) ||
        (rc = db_bind_i64(st, 2, since)) || (rc = db_bind_i64(st, 3, PERSON_TESTS_MAX)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const void *blob = db_col_blob(st, 1, &n);
        char *plain_id = person_open(app, "samples.id_number", blob, n, arena);
        bool same = plain_id && strcmp(plain_id, id) == 0;
        if (plain_id)
            wipe(plain_id, strlen(plain_id));
        else
            out->damaged++; /* integrity failure: damaged data, maybe this person's */
        if (!same)
            continue; /* a blind-index collision: not this person */
        if (!out->name[0]) {
            blob = db_col_blob(st, 2, &n);
            char *name = person_open(app, "samples.name", blob, n, arena);
            out->name = name ? name : "";
        }
        VEC_ARENA_ROOM(arena, out->tests, out->ntests, cap);
        struct person_test *t = &out->tests[out->ntests++];
        t->sample_id = db_col_i64(st, 0);
        t->sampled_at = db_col_i64(st, 3);
        t->site_code = db_col_arena(st, 4, arena);
        t->site_name = db_col_arena(st, 5, arena);
        t->tube_code = db_col_arena(st, 6, arena);
        t->result_id = db_col_is_null(st, 7) ? 0 : db_col_i64(st, 7);
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = person_results(app, db, arena, out)))
        goto out;
    out->revealed = reveal;
    if (reveal) {
        memcpy(out->id_number, id, sizeof id);
    } else {
        idno_mask(id, out->id_number);
        if (out->name[0]) {
            char masked[64];
            person_mask_name(out->name, masked, sizeof masked);
            wipe((char *)out->name, strlen(out->name));
            out->name = arena_strdup(arena, masked);
        }
    }
    /* audited by blind index: the number itself is never written anywhere */
    snprintf(detail, sizeof detail, "days=%d tests=%zu%s", days, out->ntests, reveal ? " reveal" : "");
    rc = audit_record_via(app->writer, db, &app->keys, a, reveal ? "people.reveal" : "people.lookup", target, "ok",
                      reveal ? reason : detail);
    if (!rc && out->damaged_results) {
        snprintf(detail, sizeof detail, "column=results results=%zu", out->damaged_results);
        rc = audit_record_via(app->writer, db, &app->keys, a, "integrity.failure", target, "failed", detail);
    }
    if (!rc && out->damaged > out->damaged_results) {
        snprintf(detail, sizeof detail, "column=samples.id_number samples=%zu", out->damaged - out->damaged_results);
        rc = audit_record_via(app->writer, db, &app->keys, a, "integrity.failure", target, "failed", detail);
    }
out:
    db_done(st);
    wipe(id, sizeof id);
    return rc;
}
