/* domain/exchange/health_read.c - reading the health commission's data back (issue 11, R2.13; S1,
 * S6): a person's 流调 records by ID number or phone (blind index, confirmed by opening), one
 * record by id, lists of records and doctors. Masked by default; revealing needs pii.reveal
 * and a reason; every read of personal data is audited. Writes are health.c.
 */
#include "domain/exchange/health.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"

#define HEALTH_EPI_COLS                                                                                    \
    "SELECT id, source, external_id, kind, case_ref, subdistrict, reported_at, created_at, id_number, name," \
    " phone, address FROM health_epi"
static const char sql_by_idno[] = HEALTH_EPI_COLS " WHERE idno_bidx = ?1 AND (?2 = '' OR subdistrict = ?2)"
                                                  " ORDER BY reported_at DESC, id DESC LIMIT ?3";
/* the second index slot (issue 12 rotate-index: read when the current generation lives there) */
static const char sql_by_idno_b[] = HEALTH_EPI_COLS " WHERE idno_bidx_b = ?1 AND (?2 = '' OR subdistrict = ?2)"
                                                    " ORDER BY reported_at DESC, id DESC LIMIT ?3";
static const char sql_by_phone[] = HEALTH_EPI_COLS " WHERE phone_bidx = ?1 AND (?2 = '' OR subdistrict = ?2)"
                                                   " ORDER BY reported_at DESC, id DESC LIMIT ?3";
static const char sql_by_id[] = HEALTH_EPI_COLS " WHERE id = ?1 AND (?2 = '' OR subdistrict = ?2) LIMIT ?3";
#define HEALTH_EPI_FILTER                                                                                  \
    " WHERE (?1 = '' OR subdistrict = ?1) AND (?2 = '' OR subdistrict = ?2) AND (?3 = '' OR kind = ?3)"      \
    " AND (?4 = 0 OR reported_at >= ?4) AND (?5 = 0 OR reported_at < ?5)"
static const char sql_list[] = HEALTH_EPI_COLS HEALTH_EPI_FILTER " AND id > ?6 ORDER BY id LIMIT ?7";
static const char sql_count[] = "SELECT count(*) FROM health_epi" HEALTH_EPI_FILTER;
static const char sql_places[] =
    "SELECT name, lon_e6, lat_e6, from_at, to_at, lon_e6 IS NOT NULL FROM health_epi_places WHERE epi_id = ?1"
    " ORDER BY seq";
#define HEALTH_DOC_FILTER                                                                                  \
    " WHERE (?1 = '' OR subdistrict = ?1) AND (?2 = '' OR subdistrict = ?2) AND (?3 = '' OR site_code = ?3)"  \
    " AND (?4 = 0 OR name_bidx = ?4) AND (?5 = 0 OR phone_bidx = ?5)"
#define HEALTH_DOC_COLS                                                                                    \
    "SELECT id, source, external_id, name, phone, institution, title, subdistrict, site_code, created_at"  \
    " FROM health_doctors"
static const char sql_doctors[] = HEALTH_DOC_COLS HEALTH_DOC_FILTER " AND id > ?6 ORDER BY id LIMIT ?7";
static const char sql_doctor_one[] = HEALTH_DOC_COLS " WHERE id = ?1 AND (?2 = '' OR subdistrict = ?2)";
static const char sql_doctors_count[] = "SELECT count(*) FROM health_doctors" HEALTH_DOC_FILTER;

/* health_open opens sealed column col of st under ad into arena; "" when NULL or unopenable. */
static char *
health_open(const struct app *app, struct db_stmt *st, int col, const char *ad, struct arena *arena)
{
    size_t n = 0, len = 0;
    const void *blob = db_col_blob(st, col, &n);
    uint8_t *out;
    if (!blob || n < FIELD_OVERHEAD)
        return (char *)"";
    out = arena_alloc(arena, n - FIELD_OVERHEAD + 1);
    if (field_open(&app->keys, ad, blob, n, out, n - FIELD_OVERHEAD + 1, &len))
        return (char *)"";
    return (char *)out;
}

/* health_mask masks the personal fields of e in place (the plaintext is wiped). */
static void
health_mask(struct health_epi *e, struct arena *arena)
{
    char tmp[64];
    if (e->id_number[0]) {
        char id[IDNO_LEN + 1];
        memcpy(id, e->id_number, sizeof id);
        idno_mask(id, e->id_number);
        wipe(id, sizeof id);
    }
    if (e->name[0]) {
        person_mask_name(e->name, tmp, sizeof tmp);
        wipe((char *)e->name, strlen(e->name));
        e->name = arena_strdup(arena, tmp);
    }
    if (e->phone[0]) {
        health_mask_phone(e->phone, tmp, sizeof tmp);
        wipe((char *)e->phone, strlen(e->phone));
        e->phone = arena_strdup(arena, tmp);
    }
    if (e->address[0]) {
        wipe((char *)e->address, strlen(e->address));
        e->address = "***";
    }
}

/* health_row reads the current row of an HEALTH_EPI_COLS statement into e (plaintext). */
static void
health_row(const struct app *app, struct db_stmt *st, struct arena *arena, struct health_epi *e)
{
    const char *id;
    memset(e, 0, sizeof *e);
    e->id = db_col_i64(st, 0);
    e->source = db_col_arena(st, 1, arena);
    e->external_id = db_col_arena(st, 2, arena);
    e->kind = db_col_arena(st, 3, arena);
    e->case_ref = db_col_arena(st, 4, arena);
    e->subdistrict = db_col_arena(st, 5, arena);
    e->reported_at = db_col_i64(st, 6);
    e->created_at = db_col_i64(st, 7);
    id = health_open(app, st, 8, "health_epi.id_number", arena);
    str_copy(e->id_number, sizeof e->id_number, id);
    if (id[0])
        wipe((char *)id, strlen(id));
    e->name = health_open(app, st, 9, "health_epi.name", arena);
    e->phone = health_open(app, st, 10, "health_epi.phone", arena);
    e->address = health_open(app, st, 11, "health_epi.address", arena);
}

static int
health_places_read(struct db *db, struct arena *arena, struct health_epi *e)
{
    struct db_stmt *st = NULL;
    size_t cap = 8;
    bool row = false;
    int rc;
    e->places = arena_alloc(arena, cap * sizeof *e->places);
    if ((rc = db_prepare(db, sql_places, &st)) || (rc = db_bind_i64(st, 1, e->id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        if (e->nplaces == cap) {
            struct health_place *more = arena_alloc(arena, 2 * cap * sizeof *more);
            memcpy(more, e->places, cap * sizeof *more);
            e->places = more;
            cap *= 2;
        }
        struct health_place *p = &e->places[e->nplaces++];
        p->name = db_col_arena(st, 0, arena);
        p->has_position = db_col_i64(st, 5) != 0;
        p->lon_e6 = db_col_i64(st, 1);
        p->lat_e6 = db_col_i64(st, 2);
        p->from_at = db_col_i64(st, 3);
        p->to_at = db_col_i64(st, 4);
    }
out:
    db_done(st);
    return rc;
}

/* health_key turns the lookup key into (sql, blind index or id, the key to confirm, target). */
static int
health_key(struct app *app, const struct health_lookup *q, const char **sql, int64_t *key, char confirm[21],
           char target[48], struct buf *why)
{
    int given = (q->id_number && q->id_number[0]) + (q->phone && q->phone[0]) + (q->record_id > 0);
    confirm[0] = '\0';
    if (given != 1) {
        buf_adds(why, "give exactly one of 'id_number', 'phone' and 'record_id'");
        return ERR_INVALID;
    }
    if (q->record_id > 0) {
        *sql = sql_by_id;
        *key = q->record_id;
        snprintf(target, 48, "health_epi:%lld", (long long)q->record_id);
        return 0;
    }
    if (q->id_number && q->id_number[0]) {
        char id[IDNO_LEN + 1];
        enum idno_status s = idno_normalize(q->id_number, strlen(q->id_number), id);
        if (s != IDNO_OK && s != IDNO_FIXED && s != IDNO_CONVERTED_15) {
            buf_printf(why, "'id_number' is not a valid ID number (%s)", idno_status_code(s));
            return ERR_INVALID;
        }
        memcpy(confirm, id, sizeof id);
        wipe(id, sizeof id);
        unsigned slot = 0;
        *key = blind_index_lookup(&app->keys, confirm, IDNO_LEN, &slot);
        *sql = slot ? sql_by_idno_b : sql_by_idno;
    } else {
        if (!health_phone_norm(q->phone, confirm)) {
            buf_adds(why, "'phone' is not a phone number");
            return ERR_INVALID;
        }
        *sql = sql_by_phone;
        *key = blind_index(&app->keys, "phone", confirm, strlen(confirm));
    }
    snprintf(target, 48, "blind:%016llx", (unsigned long long)*key);
    return 0;
}

int
health_epi_lookup(struct app *app, struct db *db, const struct actor *a, const struct health_lookup *q,
                  struct arena *arena, struct health_epi **items, size_t *n, struct buf *why)
{
    const char *sql = NULL;
    char confirm[21], target[48], detail[64];
    struct db_stmt *st = NULL;
    struct health_epi *out;
    int64_t key = 0;
    bool row = false;
    size_t count = 0;
    int rc;

    *items = NULL;
    *n = 0;
    if ((rc = health_key(app, q, &sql, &key, confirm, target, why)))
        goto out;
    if (q->reveal && !actor_can(a, PERM_BIT_PII_REVEAL)) {
        (void)audit_record(db, &app->keys, a, "health.reveal", target, "denied", NULL);
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if (q->reveal && !person_reason_ok(q->reason)) {
        buf_adds(why, "revealing needs a 'reason' (1 to 200 bytes, without ID numbers)");
        rc = ERR_INVALID;
        goto out;
    }
    out = arena_alloc(arena, HEALTH_LOOKUP_MAX * sizeof *out);
    if ((rc = db_prepare(db, sql, &st)) || (rc = db_bind_i64(st, 1, key)) ||
        (rc = db_bind_str(st, 2, a->subdistrict)) || (rc = db_bind_i64(st, 3, HEALTH_LOOKUP_MAX)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < HEALTH_LOOKUP_MAX) {
        struct health_epi *e = &out[count];
        health_row(app, st, arena, e);
        /* a blind-index collision is not this person */
        if ((sql == sql_by_idno || sql == sql_by_idno_b) && strcmp(e->id_number, confirm) != 0)
            continue;
        if (sql == sql_by_phone && strcmp(e->phone, confirm) != 0)
            continue;
        if (!q->reveal)
            health_mask(e, arena);
        count++;
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    for (size_t i = 0; i < count; i++)
        if ((rc = health_places_read(db, arena, &out[i])))
            goto out;
    *items = out;
    *n = count;
    snprintf(detail, sizeof detail, "records=%zu", count);
    rc = audit_record(db, &app->keys, a, q->reveal ? "health.reveal" : "health.lookup", target, "ok",
                      q->reveal ? q->reason : detail);
out:
    db_done(st);
    wipe(confirm, sizeof confirm);
    return rc;
}

int
health_epi_list(struct app *app, struct db *db, const struct actor *a, const struct health_epi_query *q,
                struct arena *arena, struct health_epi **items, size_t *n, int64_t *total)
{
    size_t limit = q->limit && q->limit <= HEALTH_LIST_MAX ? q->limit : HEALTH_LIST_MAX, count = 0;
    struct health_epi *out = arena_alloc(arena, limit * sizeof *out);
    struct db_stmt *st = NULL;
    char detail[96];
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    for (int pass = 0; pass < 2; pass++) {
        if ((rc = db_prepare(db, pass ? sql_list : sql_count, &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
            (rc = db_bind_str(st, 2, q->subdistrict ? q->subdistrict : "")) ||
            (rc = db_bind_str(st, 3, q->kind ? q->kind : "")) || (rc = db_bind_i64(st, 4, q->from)) ||
            (rc = db_bind_i64(st, 5, q->to)))
            goto out;
        if (pass && ((rc = db_bind_i64(st, 6, q->after)) || (rc = db_bind_i64(st, 7, (int64_t)limit))))
            goto out;
        while (!(rc = db_step(st, &row)) && row) {
            if (!pass) {
                *total = db_col_i64(st, 0);
            } else if (count < limit) {
                health_row(app, st, arena, &out[count]);
                health_mask(&out[count++], arena);
            }
        }
        if (rc)
            goto out;
        db_done(st);
        st = NULL;
    }
    *n = count;
    snprintf(detail, sizeof detail, "records=%zu masked", count);
    rc = audit_record(db, &app->keys, a, "health.list", "health_epi", "ok", detail);
out:
    db_done(st);
    return rc;
}

/* health_doctor_row reads the current row of a HEALTH_DOC_COLS statement into d, plaintext. */
static void
health_doctor_row(const struct app *app, struct db_stmt *st, struct arena *arena, struct health_doctor *d)
{
    d->id = db_col_i64(st, 0);
    d->source = db_col_arena(st, 1, arena);
    d->external_id = db_col_arena(st, 2, arena);
    d->name = health_open(app, st, 3, "health_doctors.name", arena);
    d->phone = health_open(app, st, 4, "health_doctors.phone", arena);
    d->institution = db_col_arena(st, 5, arena);
    d->title = db_col_arena(st, 6, arena);
    d->subdistrict = db_col_arena(st, 7, arena);
    d->site_code = db_col_arena(st, 8, arena);
    d->created_at = db_col_i64(st, 9);
}

/* health_doctor_mask masks d's name and phone in place (the plaintext is wiped). */
static void
health_doctor_mask(struct health_doctor *d, struct arena *arena)
{
    char tmp[64];
    person_mask_name(d->name, tmp, sizeof tmp);
    wipe((char *)d->name, strlen(d->name));
    d->name = arena_strdup(arena, tmp);
    health_mask_phone(d->phone, tmp, sizeof tmp);
    wipe((char *)d->phone, strlen(d->phone));
    d->phone = arena_strdup(arena, tmp);
}

/* health_doctor_keys turns the name / phone of q into blind indexes (0 = not given), the
 * normalised values to confirm with, and the audit target. */
static int
health_doctor_keys(struct app *app, const struct health_doctor_query *q, int64_t *name_key, int64_t *phone_key,
                   char name[72], char phone[21], char target[48])
{
    const char *raw = q->name ? q->name : "";
    struct str nm = str_trim((struct str){ raw, strlen(raw) });
    *name_key = *phone_key = 0;
    name[0] = phone[0] = '\0';
    str_copy(target, 48, "health_doctors");
    if (nm.n) {
        if (nm.n >= 72)
            return ERR_INVALID;
        memcpy(name, nm.p, nm.n);
        name[nm.n] = '\0';
        *name_key = blind_index(&app->keys, HEALTH_DOCTOR_NAME_BLIND, name, nm.n);
        snprintf(target, 48, "blind:%016llx", (unsigned long long)*name_key);
    }
    if (q->phone && q->phone[0]) {
        if (!health_phone_norm(q->phone, phone))
            return ERR_INVALID;
        *phone_key = blind_index(&app->keys, "phone", phone, strlen(phone));
        snprintf(target, 48, "blind:%016llx", (unsigned long long)*phone_key);
    }
    return 0;
}

int
health_doctor_list(struct app *app, struct db *db, const struct actor *a, const struct health_doctor_query *q,
                   struct arena *arena, struct health_doctor **items, size_t *n, int64_t *total)
{
    size_t limit = q->limit && q->limit <= HEALTH_LIST_MAX ? q->limit : HEALTH_LIST_MAX, count = 0;
    struct health_doctor *out = arena_alloc(arena, limit * sizeof *out);
    struct db_stmt *st = NULL;
    char detail[64], name[72], phone[21], target[48];
    int64_t name_key, phone_key;
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = health_doctor_keys(app, q, &name_key, &phone_key, name, phone, target)))
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        if ((rc = db_prepare(db, pass ? sql_doctors : sql_doctors_count, &st)) ||
            (rc = db_bind_str(st, 1, a->subdistrict)) ||
            (rc = db_bind_str(st, 2, q->subdistrict ? q->subdistrict : "")) ||
            (rc = db_bind_str(st, 3, q->site_code ? q->site_code : "")) || (rc = db_bind_i64(st, 4, name_key)) ||
            (rc = db_bind_i64(st, 5, phone_key)))
            goto out;
        if (pass && ((rc = db_bind_i64(st, 6, q->after)) || (rc = db_bind_i64(st, 7, (int64_t)limit))))
            goto out;
        while (!(rc = db_step(st, &row)) && row) {
            if (!pass) {
                *total = db_col_i64(st, 0);
                continue;
            }
            if (count == limit)
                continue;
            struct health_doctor *d = &out[count];
            health_doctor_row(app, st, arena, d);
            /* a blind-index collision is not this doctor */
            bool other = (name[0] && strcmp(d->name, name)) || (phone[0] && strcmp(d->phone, phone));
            health_doctor_mask(d, arena);
            if (!other)
                count++;
        }
        if (rc)
            goto out;
        db_done(st);
        st = NULL;
    }
    *n = count;
    snprintf(detail, sizeof detail, "doctors=%zu masked", count);
    rc = audit_record(db, &app->keys, a, "health.doctors", target, "ok", detail);
out:
    db_done(st);
    wipe(name, sizeof name);
    wipe(phone, sizeof phone);
    return rc;
}

int
health_doctor_reveal(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *reason,
                     struct arena *arena, struct health_doctor *out, struct buf *why)
{
    struct db_stmt *st = NULL;
    char target[48];
    bool row = false;
    int rc;

    snprintf(target, sizeof target, "health_doctors:%lld", (long long)id);
    if (!actor_can(a, PERM_BIT_PII_REVEAL)) {
        (void)audit_record(db, &app->keys, a, "health.doctor_reveal", target, "denied", NULL);
        return ERR_FORBIDDEN;
    }
    if (!person_reason_ok(reason)) {
        buf_adds(why, "revealing needs a 'reason' (1 to 200 bytes, without ID numbers)");
        return ERR_INVALID;
    }
    if ((rc = db_prepare(db, sql_doctor_one, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_str(st, 2, a->subdistrict)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    health_doctor_row(app, st, arena, out);
    rc = audit_record(db, &app->keys, a, "health.doctor_reveal", target, "ok", reason);
out:
    db_done(st);
    return rc;
}
