/* demo/places.c - demo places and cameras for the map (issue 8). See places.h. */
#include "demo/places.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/cameras/binding.h"
#include "domain/cameras/camera.h"
#include "domain/cameras/camera_check.h"
#include "domain/places/place.h"
#include "domain/platform/division.h"

#define DEMO_PLACES_SOURCE "demo"
#define DEMO_TOILETS 6
#define DEMO_CAMERAS_PER_TOILET 2

static uint64_t
demo_places_mix(uint64_t seed, uint64_t i)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL + 0x5151;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 29);
}

/* demo_places_run ingests batch (stolen) through kind; *ids (xmalloc'd) gets the new ids. */
static int
demo_places_run(struct app *app, struct db *db, const struct actor *a, const struct ingest_kind *kind,
                json_t *batch, int64_t **ids, size_t *n)
{
    struct ingest_outcome *out = NULL;
    size_t accepted = 0;
    int rc = ingest_run(app, db, a, kind, batch, &out, n, &accepted);
    if (!rc && accepted != *n) {
        for (size_t i = 0; i < *n; i++)
            if (out[i].status != INGEST_ACCEPTED) {
                fprintf(stderr, "demo: %s record %zu not accepted: %s %s\n", kind->name, i,
                        out[i].field ? out[i].field : "", out[i].reason);
                break;
            }
        rc = ERR_INVALID;
    }
    if (!rc) {
        *ids = xmalloc((*n ? *n : 1) * sizeof **ids);
        for (size_t i = 0; i < *n; i++)
            (*ids)[i] = out[i].id;
    }
    xfree(out);
    json_decref(batch);
    return rc;
}

static json_t *
demo_rect(double lon, double lat, double w, double h)
{
    return json_pack("{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon", "coordinates", lon, lat,
                     lon + w, lat, lon + w, lat + h, lon, lat + h, lon, lat);
}

/* demo_area_places builds the places of subdistrict s (centre lon, lat) into batch. */
static void
demo_area_places(struct arena *ar, uint64_t seed, size_t s, const struct division *sub, double lon, double lat,
                 json_t *batch)
{
    static const char *const levels[] = { "fengkong", "guankong" };
    for (size_t k = 0; k < DEMO_TOILETS; k++) {
        uint64_t h = demo_places_mix(seed, s * 100 + k);
        json_array_append_new(
            batch, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", DEMO_PLACES_SOURCE,
                             "external_id", arena_printf(ar, "WC-%02zu-%02zu", s + 1, k + 1), "kind", "toilet",
                             "code", arena_printf(ar, "WC%02zu%02zu", s + 1, k + 1), "name",
                             arena_printf(ar, "%s公厕%02zu", sub->name, k + 1), "subdistrict", sub->code, "address",
                             arena_printf(ar, "西城区%s胡同%zu号旁", sub->name, (size_t)(h % 90 + 1)), "lon",
                             lon + (double)(h % 1000) / 1000.0 * 0.014, "lat",
                             lat + (double)((h >> 16) % 1000) / 1000.0 * 0.026));
    }
    json_array_append_new(batch, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", DEMO_PLACES_SOURCE,
                                           "external_id", arena_printf(ar, "VAC-%02zu", s + 1), "kind", "vaccination",
                                           "name", arena_printf(ar, "%s社区卫生服务中心疫苗接种点", sub->name),
                                           "subdistrict", sub->code, "address", arena_printf(ar, "%s卫生服务中心", sub->name),
                                           "lon", lon + 0.007, "lat", lat + 0.004));
    json_array_append_new(batch, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", DEMO_PLACES_SOURCE,
                                           "external_id", arena_printf(ar, "ST-%02zu", s + 1), "kind", "street",
                                           "name", arena_printf(ar, "%s主街", sub->name), "subdistrict", sub->code,
                                           "lon", lon + 0.003, "lat", lat + 0.013));
    if (s % 3 == 0)
        json_array_append_new(batch, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", DEMO_PLACES_SOURCE,
                                               "external_id", arena_printf(ar, "FC-%02zu", s + 1), "kind", "fangcang",
                                               "name", arena_printf(ar, "%s方舱", sub->name), "subdistrict",
                                               sub->code, "lon", lon + 0.011, "lat", lat + 0.020));
    json_array_append_new(batch, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "source", DEMO_PLACES_SOURCE,
                                           "external_id", arena_printf(ar, "Z-%02zu-a", s + 1), "kind", "zone",
                                           "name", arena_printf(ar, "%s%s区", sub->name, s % 2 ? "管控" : "封控"),
                                           "subdistrict", sub->code, "zone_level", levels[s % 2], "starts_at",
                                           (json_int_t)(time_now_ms() - 3 * 86400000LL), "geometry",
                                           demo_rect(lon + 0.004, lat + 0.008, 0.003, 0.0025)));
    json_t *z = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "source", DEMO_PLACES_SOURCE, "external_id",
                          arena_printf(ar, "Z-%02zu-b", s + 1), "kind", "zone", "name",
                          arena_printf(ar, "%s防范区", sub->name), "subdistrict", sub->code, "zone_level", "fangfan",
                          "starts_at", (json_int_t)(time_now_ms() - 5 * 86400000LL), "geometry",
                          demo_rect(lon + 0.002, lat + 0.006, 0.007, 0.0065));
    if (s % 4 == 3) /* lifted yesterday */
        json_object_set_new(z, "ends_at", json_integer(time_now_ms() - 86400000LL));
    json_array_append_new(batch, z);
}

int
demo_places(struct app *app, struct db *db, const struct actor *a, uint64_t seed)
{
    struct arena ar = ARENA_INIT;
    struct division *subs = NULL;
    json_t *places = json_array(), *cams = json_array();
    int64_t *place_ids = NULL, *cam_ids = NULL;
    size_t nsubs = 0, np = 0, nc = 0, ncam = 0;
    int rc;
    if ((rc = division_list(db, DIVISION_SUBDISTRICT, "110102", &ar, &subs, &nsubs)))
        goto out;
    for (size_t s = 0; s < nsubs && s < 15; s++) {
        double lon = 116.338 + (double)(s % 5) * 0.016, lat = 39.872 + (double)(s / 5) * 0.030;
        demo_area_places(&ar, seed, s, &subs[s], lon, lat, places);
    }
    if ((rc = demo_places_run(app, db, a, &place_kind, places, &place_ids, &np)))
        goto out;
    places = NULL;
    /* Cameras next to each toilet (the first DEMO_TOILETS places of each subdistrict). */
    struct place p;
    for (size_t i = 0; i < np; i++) {
        if ((rc = place_get(db, a, place_ids[i], &ar, &p)))
            goto out;
        if (strcmp(p.kind, "toilet"))
            continue;
        for (size_t k = 0; k < DEMO_CAMERAS_PER_TOILET + 1; k++, ncam++) {
            uint64_t h = demo_places_mix(seed, 100000 + ncam);
            const char *gb = arena_printf(&ar, "110102000013200%05zu", ncam + 1);
            json_array_append_new(
                cams, json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:i, s:s, s:s, s:s}", "source", DEMO_PLACES_SOURCE,
                                "external_id", gb, "gb_id", gb, "name", arena_printf(&ar, "%s%s", p.name,
                                                                                      k ? "出口" : "入口"),
                                "lon", p.lon_e6 / 1e6 + ((double)(h % 200) - 100) / 1e6 * (k ? 6 : 2), "lat",
                                p.lat_e6 / 1e6 + ((double)((h >> 8) % 200) - 100) / 1e6 * (k ? 6 : 2), "direction",
                                (int)(h % 360), "owner", "街道", "status", h % 7 == 0 ? "offline" : "online",
                                "subdistrict", p.subdistrict));
        }
    }
    if ((rc = demo_places_run(app, db, a, &camera_kind, cams, &cam_ids, &nc)))
        goto out;
    cams = NULL;
    /* Bind the first two cameras of each toilet (the third stays a suggestion); check some. */
    size_t t = 0;
    for (size_t i = 0; i < np && !rc; i++) {
        if ((rc = place_get(db, a, place_ids[i], &ar, &p)) || strcmp(p.kind, "toilet"))
            continue;
        for (size_t k = 0; k < DEMO_CAMERAS_PER_TOILET && !rc; k++) {
            bool created = false;
            int64_t cam = cam_ids[t * (DEMO_CAMERAS_PER_TOILET + 1) + k], id = 0;
            rc = binding_add(app, db, a, p.id, cam, 0, &created);
            if (!rc && (t + k) % 3 == 0) {
                struct camera_check_input in = { cam, p.id, true, (t + k) % 2 == 0, "公厕入口及周边", NULL };
                rc = camera_check_add(app, db, a, &in, &id);
            }
        }
        t++;
    }
out:
    json_decref(places);
    json_decref(cams);
    xfree(place_ids);
    xfree(cam_ids);
    arena_release(&ar);
    return rc;
}
