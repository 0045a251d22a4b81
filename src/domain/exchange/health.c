/* domain/exchange/health.c - the ingest kinds of the health commission's data (issue 11, R2.13):
 * 流调 records with the places visited, and doctors for site staffing. Personal fields are
 * sealed here and never leave this file in the clear; reads are health_read.c. See health.h.
 */
#include "domain/exchange/health.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "db/db_value.h"

static const char *const health_epi_kinds[] = { "case", "close_contact", "secondary_contact", NULL };

static const char sql_epi_insert[] =
    "INSERT INTO health_epi (source, external_id, kind, case_ref, subdistrict, reported_at, idno_bidx, id_number,"
    " name, phone_bidx, phone, address, created_by, created_at, idno_bidx_b)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    " ON CONFLICT (source, external_id) DO NOTHING RETURNING id";
static const char sql_place_insert[] =
    "INSERT INTO health_epi_places (epi_id, seq, name, lon_e6, lat_e6, from_at, to_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_doctor_insert[] =
    "INSERT INTO health_doctors (source, external_id, name, phone, institution, title, subdistrict, site_code,"
    " created_at, name_bidx, phone_bidx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (source, external_id) DO NOTHING RETURNING id";

bool
health_phone_norm(const char *phone, char out[21])
{
    size_t n = 0;
    for (const char *p = phone; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == 20)
                return false;
            out[n++] = *p;
        } else if (*p != ' ' && *p != '-' && !(*p == '+' && p == phone)) {
            return false;
        }
    }
    out[n] = '\0';
    if (n == 13 && out[0] == '8' && out[1] == '6' && out[2] == '1') {
        memmove(out, out + 2, 12); /* +86 13912345678 */
        n = 11;
    }
    return n >= 5 && n <= 20;
}

void
health_mask_phone(const char *phone, char *out, size_t cap)
{
    size_t n = strlen(phone), i;
    char tmp[33];
    if (n > 32)
        n = 32;
    for (i = 0; i < n; i++)
        tmp[i] = (n >= 8 && (i < 3 || i >= n - 4)) ? phone[i] : '*';
    tmp[n] = '\0';
    str_copy(out, cap, tmp);
}

/* The 流调 kind ------------------------------------------------------------------------------ */

struct health_epi_rec {
    const char *source, *external_id, *kind, *case_ref, *subdistrict, *name, *address, *phone_raw;
    int64_t reported_at;
    char id_number[IDNO_LEN + 1]; /* "" when absent */
    char phone[21];               /* normalised digits, "" when absent */
    struct health_place *places;
    size_t nplaces;
};

/* health_place_fail renames a place field's rejection to "places" with the item's index. */
static int
health_place_fail(struct ingest_outcome *out, size_t i)
{
    char reason[sizeof out->reason];
    str_copy(reason, sizeof reason, out->reason);
    return ingest_reject(out, "places", "place %zu: %.120s", i, reason);
}

static int
health_places(struct ingest *ing, json_t *obj, struct health_epi_rec *r, struct ingest_outcome *out)
{
    static const char *const known[] = { "name", "lon", "lat", "from", "to", NULL };
    json_t *v = json_object_get(obj, "places"), *item;
    size_t i;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return ingest_reject(out, "places", "'places' must be an array");
    if (json_array_size(v) > HEALTH_PLACES_MAX)
        return ingest_reject(out, "places", "'places' may list at most %d places", HEALTH_PLACES_MAX);
    r->places = arena_alloc(ingest_arena(ing), (json_array_size(v) + 1) * sizeof *r->places);
    json_array_foreach(v, i, item) {
        struct health_place *p = &r->places[i];
        memset(p, 0, sizeof *p);
        if (!json_is_object(item))
            return ingest_reject(out, "places", "place %zu must be an object", i);
        if (ingest_known_keys(item, known, out) || ingest_text(item, "name", true, 200, &p->name, out) ||
            ingest_coord(item, "lon", "lat", false, &p->lon_e6, &p->lat_e6, out) ||
            ingest_time(item, "from", true, ingest_now(ing), &p->from_at, out) ||
            ingest_time(item, "to", false, ingest_now(ing), &p->to_at, out))
            return health_place_fail(out, i);
        p->has_position = json_is_number(json_object_get(item, "lon"));
        if (p->to_at && p->to_at < p->from_at)
            return ingest_reject(out, "places", "place %zu: 'to' is before 'from'", i);
    }
    r->nplaces = json_array_size(v);
    return 0;
}

static int
health_epi_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    static const char *const known[] = { "source", "external_id", "kind", "case_ref", "subdistrict", "reported_at",
                                         "name", "id_number", "phone", "address", "places", NULL };
    struct health_epi_rec *r = rec;
    int rc;
    r->case_ref = "";
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_enum(obj, "kind", true, health_epi_kinds, &r->kind, out)) ||
        (rc = ingest_code(obj, "case_ref", false, 64, &r->case_ref, out)) ||
        (rc = ingest_subdistrict(ing, obj, "subdistrict", true, &r->subdistrict, out)) ||
        (rc = ingest_time(obj, "reported_at", true, ingest_now(ing), &r->reported_at, out)) ||
        (rc = ingest_text(obj, "name", true, 64, &r->name, out)) ||
        (rc = ingest_text(obj, "phone", false, 32, &r->phone_raw, out)) ||
        (rc = ingest_text(obj, "address", false, 300, &r->address, out)))
        return rc;
    if (json_object_get(obj, "id_number") && !json_is_null(json_object_get(obj, "id_number")) &&
        (rc = ingest_idno(obj, "id_number", r->id_number, out)))
        return rc;
    if (r->phone_raw && !health_phone_norm(r->phone_raw, r->phone))
        return ingest_reject(out, "phone", "'phone' is not a phone number");
    if (!strcmp(r->kind, "case") && r->case_ref[0])
        return ingest_reject(out, "case_ref", "a case is not linked to another case");
    return health_places(ing, obj, r, out);
}

static int
health_epi_places_store(struct db *db, int64_t id, const struct health_epi_rec *r)
{
    struct db_stmt *st = NULL;
    int rc = 0;
    for (size_t i = 0; i < r->nplaces && !rc; i++) {
        const struct health_place *p = &r->places[i];
        bool row = false;
        if ((rc = db_prepare(db, sql_place_insert, &st)) || (rc = db_bind_i64(st, 1, id)) ||
            (rc = db_bind_i64(st, 2, (int64_t)i)) || (rc = db_bind_str(st, 3, p->name)) ||
            (rc = p->has_position ? db_bind_i64(st, 4, p->lon_e6) : db_bind_null(st, 4)) ||
            (rc = p->has_position ? db_bind_i64(st, 5, p->lat_e6) : db_bind_null(st, 5)) ||
            (rc = db_bind_i64(st, 6, p->from_at)) || (rc = db_bind_i64(st, 7, p->to_at)))
            break;
        rc = db_step(st, &row);
        db_done(st);
        st = NULL;
    }
    db_done(st);
    return rc;
}

/* health_seal_opt seals text (NULL or "": nothing) into blob and len. */
static int
health_seal_opt(struct ingest *ing, const char *ad, const char *text, const uint8_t **blob, size_t *len)
{
    *blob = NULL;
    *len = 0;
    return text && text[0] ? ingest_seal(ing, ad, text, blob, len) : 0;
}

static int
health_epi_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct health_epi_rec *r = rec;
    struct db *db = ingest_db(ing);
    struct db_stmt *st = NULL;
    const uint8_t *b_id = NULL, *b_name = NULL, *b_phone = NULL, *b_addr = NULL;
    int64_t slots[2] = { 0, 0 };
    bool has[2] = { false, false };
    size_t n_id = 0, n_name = 0, n_phone = 0, n_addr = 0;
    json_t *ev;
    int rc;

    if ((rc = ingest_in_scope(ing, "subdistrict", r->subdistrict, out)))
        return rc;
    if ((rc = health_seal_opt(ing, "health_epi.id_number", r->id_number, &b_id, &n_id)) ||
        (rc = health_seal_opt(ing, "health_epi.name", r->name, &b_name, &n_name)) ||
        (rc = health_seal_opt(ing, "health_epi.phone", r->phone, &b_phone, &n_phone)) ||
        (rc = health_seal_opt(ing, "health_epi.address", r->address, &b_addr, &n_addr)))
        goto out;
    if (b_id && (rc = ingest_blind_idno(ing, r->id_number, slots, has))) /* both index slots, issue 12 */
        goto out;
    if ((rc = db_prepare(db, sql_epi_insert, &st)) || (rc = db_bind_str(st, 1, r->source)) ||
        (rc = db_bind_str(st, 2, r->external_id)) || (rc = db_bind_str(st, 3, r->kind)) ||
        (rc = db_bind_str(st, 4, r->case_ref)) || (rc = db_bind_str(st, 5, r->subdistrict)) ||
        (rc = db_bind_i64(st, 6, r->reported_at)) ||
        (rc = b_id ? db_bind_i64(st, 7, slots[0]) : db_bind_null(st, 7)) ||
        (rc = b_id && has[1] ? db_bind_i64(st, 15, slots[1]) : db_bind_null(st, 15)) ||
        (rc = b_id ? db_bind_blob(st, 8, b_id, n_id) : db_bind_null(st, 8)) ||
        (rc = db_bind_blob(st, 9, b_name, n_name)) ||
        (rc = b_phone ? db_bind_i64(st, 10, ingest_blind(ing, "phone", r->phone)) : db_bind_null(st, 10)) ||
        (rc = b_phone ? db_bind_blob(st, 11, b_phone, n_phone) : db_bind_null(st, 11)) ||
        (rc = b_addr ? db_bind_blob(st, 12, b_addr, n_addr) : db_bind_null(st, 12)) ||
        (rc = db_bind_str(st, 13, ingest_actor(ing)->name)) || (rc = db_bind_i64(st, 14, ingest_now(ing))) ||
        (rc = ingest_insert_step(st, out)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = health_epi_places_store(db, out->id, r)))
        goto out;
    ev = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)out->id, "kind", r->kind, "subdistrict",
                   r->subdistrict, "reported_at", (json_int_t)r->reported_at, "places", (json_int_t)r->nplaces);
    rc = ev ? ingest_event(ing, "health", r->subdistrict, ev) : ERR_INTERNAL;
out:
    wipe(r->id_number, sizeof r->id_number);
    wipe(r->phone, sizeof r->phone);
    db_done(st);
    return rc;
}

const struct ingest_kind health_epi_kind = {
    .name = "health_epi",
    .record_size = sizeof(struct health_epi_rec),
    .parse = health_epi_parse,
    .store = health_epi_store,
};

/* The doctor kind --------------------------------------------------------------------------- */

struct health_doctor_rec {
    const char *source, *external_id, *name, *phone_raw, *institution, *title, *subdistrict, *site_code;
    char phone[21];
};

static int
health_doctor_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    static const char *const known[] = { "source",      "external_id", "name",      "phone",
                                         "institution", "title",       "subdistrict", "site_code", NULL };
    struct health_doctor_rec *r = rec;
    int rc;
    r->title = "";
    r->site_code = "";
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_text(obj, "name", true, 64, &r->name, out)) ||
        (rc = ingest_text(obj, "phone", false, 32, &r->phone_raw, out)) ||
        (rc = ingest_text(obj, "institution", true, 200, &r->institution, out)) ||
        (rc = ingest_text(obj, "title", false, 64, &r->title, out)) ||
        (rc = ingest_subdistrict(ing, obj, "subdistrict", true, &r->subdistrict, out)) ||
        (rc = ingest_code(obj, "site_code", false, 32, &r->site_code, out)))
        return rc;
    if (r->phone_raw && !health_phone_norm(r->phone_raw, r->phone))
        return ingest_reject(out, "phone", "'phone' is not a phone number");
    return 0;
}

static int
health_doctor_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct health_doctor_rec *r = rec;
    struct db *db = ingest_db(ing);
    struct db_stmt *st = NULL;
    struct ingest_site site;
    const uint8_t *b_name = NULL, *b_phone = NULL;
    size_t n_name = 0, n_phone = 0;
    int rc;

    if ((rc = ingest_in_scope(ing, "subdistrict", r->subdistrict, out)))
        return rc;
    if (r->site_code[0]) {
        if ((rc = ingest_site(ing, "site_code", r->site_code, &site, out)))
            return rc;
        if (strcmp(site.subdistrict, r->subdistrict))
            return ingest_reject(out, "site_code", "'site_code' is a site of another subdistrict");
    }
    if ((rc = health_seal_opt(ing, "health_doctors.name", r->name, &b_name, &n_name)) ||
        (rc = health_seal_opt(ing, "health_doctors.phone", r->phone, &b_phone, &n_phone)))
        goto out;
    if ((rc = db_prepare(db, sql_doctor_insert, &st)) || (rc = db_bind_str(st, 1, r->source)) ||
        (rc = db_bind_str(st, 2, r->external_id)) || (rc = db_bind_blob(st, 3, b_name, n_name)) ||
        (rc = b_phone ? db_bind_blob(st, 4, b_phone, n_phone) : db_bind_null(st, 4)) ||
        (rc = db_bind_str(st, 5, r->institution)) || (rc = db_bind_str(st, 6, r->title)) ||
        (rc = db_bind_str(st, 7, r->subdistrict)) || (rc = db_bind_str(st, 8, r->site_code)) ||
        (rc = db_bind_i64(st, 9, ingest_now(ing))) ||
        (rc = db_bind_i64(st, 10, ingest_blind(ing, HEALTH_DOCTOR_NAME_BLIND, r->name))) ||
        (rc = b_phone ? db_bind_i64(st, 11, ingest_blind(ing, "phone", r->phone)) : db_bind_null(st, 11)) ||
        (rc = ingest_insert_step(st, out)))
        goto out;
    rc = ingest_event(ing, "health", r->subdistrict,
                      json_pack("{s:I, s:s, s:s, s:s}", "doctor", (json_int_t)out->id, "subdistrict", r->subdistrict,
                                "site_code", r->site_code, "institution", r->institution));
out:
    wipe(r->phone, sizeof r->phone);
    db_done(st);
    return rc;
}

const struct ingest_kind health_doctor_kind = {
    .name = "health_doctors",
    .record_size = sizeof(struct health_doctor_rec),
    .parse = health_doctor_parse,
    .store = health_doctor_store,
};
