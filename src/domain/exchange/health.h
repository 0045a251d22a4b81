/* domain/exchange/health.h - health commission (卫健) data (issue 11, R2.13; S1, S6): doctors lent
 * to testing sites, and epidemiological investigation records (流调: cases, close contacts,
 * the places they visited and when).
 *
 * Both arrive as ingest kinds (domain/ingest/ingest.h: source + external_id, idempotent,
 * per-item outcomes) from the commission's system, or from a spreadsheet (health_import.h)
 * that is turned into the same records. Every personal field (name, ID number, phone,
 * address) is sealed with the column as associated data; the ID number and the phone also
 * get a blind index for lookup ("idno", "phone"). Place names and times are not sealed.
 *
 * Reads answer masked by default; a reveal needs pii.reveal and a reason, and every lookup,
 * list and reveal is audited by blind index (never by the number). Scope: an actor bound to
 * a subdistrict reads and writes only records of that subdistrict.
 */
#ifndef JY_DOMAIN_EXCHANGE_HEALTH_H
#define JY_DOMAIN_EXCHANGE_HEALTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/ingest/ingest.h"
#include "domain/platform/app.h"

#define HEALTH_PLACES_MAX 200  /* places one record may list */
#define HEALTH_LIST_MAX 500    /* items of one page */
#define HEALTH_LOOKUP_MAX 100  /* records one lookup returns */

/* The ingest kinds. epi record:
 *   {"source","external_id","kind":"case|close_contact|secondary_contact","case_ref"?,
 *    "subdistrict","reported_at","name","id_number"?,"phone"?,"address"?,
 *    "places"?:[{"name","lon"?,"lat"?,"from","to"?}]}
 * doctor: {"source","external_id","name","phone"?,"institution","title"?,"subdistrict",
 *          "site_code"?}  (site_code, when given, must be a site of that subdistrict) */
extern const struct ingest_kind health_epi_kind;
extern const struct ingest_kind health_doctor_kind;

struct health_place {
    const char *name;
    int64_t lon_e6, lat_e6; /* both 0 when unknown */
    bool has_position;
    int64_t from_at, to_at; /* to_at 0 = not reported */
};

struct health_epi {
    int64_t id, reported_at, created_at;
    const char *source, *external_id, *kind, *case_ref, *subdistrict;
    char id_number[19];              /* masked unless revealed; "" when none recorded */
    const char *name, *phone, *address; /* masked unless revealed; "" when none */
    struct health_place *places;     /* filled by health_epi_lookup only */
    size_t nplaces;
};

/* What to look records up by: exactly one of id_number (any spelling), phone (digits) or
 * record_id. */
struct health_lookup {
    const char *id_number, *phone;
    int64_t record_id;
    bool reveal;
    const char *reason; /* required with reveal: 1..200 bytes, no run of 15+ digits */
};

/* health_epi_lookup finds the records of one person (or one record) in the actor's scope,
 * newest first, with their places; at most HEALTH_LOOKUP_MAX. ERR_INVALID with the reason
 * in why for a bad key or a reveal without a valid reason; ERR_FORBIDDEN for a reveal
 * without pii.reveal (audited as denied "health.reveal"). Audited as "health.lookup" or
 * "health.reveal" on target "blind:<hex>" (or "health_epi:<id>"). Strings live in arena. */
int health_epi_lookup(struct app *app, struct db *db, const struct actor *a, const struct health_lookup *q,
                      struct arena *arena, struct health_epi **items, size_t *n, struct buf *why);

struct health_epi_query {
    const char *subdistrict, *kind; /* "" or NULL = any */
    int64_t from, to;               /* reported_at range, 0 = open */
    size_t limit;                   /* 1..HEALTH_LIST_MAX */
    int64_t after;                  /* paging: id > after */
};
/* health_epi_list lists records (masked, no places) in the actor's scope in id order.
 * Audited once per page as "health.list". */
int health_epi_list(struct app *app, struct db *db, const struct actor *a, const struct health_epi_query *q,
                    struct arena *arena, struct health_epi **items, size_t *n, int64_t *total);

struct health_doctor {
    int64_t id, created_at;
    const char *source, *external_id, *name, *phone; /* name, phone masked */
    const char *institution, *title, *subdistrict, *site_code;
};
/* The blind-index domain of a doctor's name (the phone uses "phone", as for 流调 records). */
#define HEALTH_DOCTOR_NAME_BLIND "health_doctors.name"

struct health_doctor_query {
    const char *subdistrict, *site_code; /* "" or NULL = any */
    const char *name, *phone;            /* "" or NULL = any; exact, by blind index (0022) */
    size_t limit;                        /* 1..HEALTH_LIST_MAX */
    int64_t after;                       /* paging: id > after */
};
/* health_doctor_list lists doctors (masked) in the actor's scope, optionally of one
 * subdistrict or site, or with one name or phone (blind index, confirmed by opening; a
 * phone that is not a phone number is ERR_INVALID), in id order. Audited once per page as
 * "health.doctors" (a search by name or phone on target "blind:<hex>", never the value). */
int health_doctor_list(struct app *app, struct db *db, const struct actor *a, const struct health_doctor_query *q,
                       struct arena *arena, struct health_doctor **items, size_t *n, int64_t *total);

/* health_doctor_reveal reads doctor id in the actor's scope unmasked. Needs pii.reveal
 * (ERR_FORBIDDEN, audited as denied "health.doctor_reveal") and a reason (person_reason_ok;
 * ERR_INVALID with the line in why); ERR_NOT_FOUND outside the scope. Audited as
 * "health.doctor_reveal" on "health_doctors:<id>" with the reason. Strings live in arena. */
int health_doctor_reveal(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *reason,
                         struct arena *arena, struct health_doctor *out, struct buf *why);

#define HEALTH_MAP_POINTS_MAX 5000 /* points of one map reply */
/* health_places_map answers the places visited by the 流调 records in the actor's scope
 * (optionally of one kind) whose visit overlaps [from, to) (0 = open; a visit without a
 * leaving time is the instant it began), as a new GeoJSON FeatureCollection of WGS-84
 * points {name, first_at, last_at, records} grouped by name and point, most-named first,
 * at most HEALTH_MAP_POINTS_MAX ("truncated": true when more). Places without a point are left
 * out. No personal field. Audited as "health.places" with the count. */
int health_places_map(struct app *app, struct db *db, const struct actor *a, int64_t from, int64_t to,
                      const char *kind, json_t **out);

/* health_mask_phone keeps the first 3 and last 4 digits: "13912345678" -> "139****5678";
 * shorter values become all '*'. out holds at least 33 bytes. */
void health_mask_phone(const char *phone, char *out, size_t cap);
/* health_phone_norm keeps the digits of phone (drops spaces, '-', a leading +86/86 of an
 * 11-digit mobile); false when the result is not 5..20 digits. out: 21 bytes. */
bool health_phone_norm(const char *phone, char out[21]);

#endif
