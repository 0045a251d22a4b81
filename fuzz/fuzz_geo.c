/* fuzz/fuzz_geo.c - libFuzzer target for coordinate text (geo/geo_text.c, R3.7).
 *
 * Any bytes go in, split at the first NUL into a longitude and a latitude cell (no NUL:
 * one cell, as a "lon,lat" pair). Parsing must not crash or read past n; an accepted single
 * coordinate is finite and within ±180; an accepted point is finite and in Beijing, and the
 * reason buffer is empty exactly when the point was accepted. Each cell is copied into a heap
 * buffer of exactly its size so ASan catches any over-read.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "geo/geo.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size, n2 = nul ? size - n1 - 1 : 0;
    char *a = xmalloc(n1 ? n1 : 1), *b = xmalloc(n2 ? n2 : 1);
    memcpy(a, data, n1);
    if (n2)
        memcpy(b, nul + 1, n2);

    double d = 0;
    char axis = 'x';
    if (geo_parse_degrees(a, n1, &d, &axis) == 0) {
        FUZZ_CHECK(isfinite(d) && fabs(d) <= 180.0);
        FUZZ_CHECK(axis == 0 || axis == 'E' || axis == 'N');
    }
    for (int crs = GEO_WGS84; crs <= GEO_BD09; crs++) {
        struct geo_point p = { 0, 0 };
        unsigned fixes = 0;
        struct buf why = BUF_INIT;
        int rc = geo_parse_point(a, n1, nul ? b : NULL, n2, (enum geo_crs)crs, &p, &fixes, &why);
        if (rc == 0) {
            FUZZ_CHECK(isfinite(p.lon) && isfinite(p.lat) && geo_in_beijing(p));
            FUZZ_CHECK(why.len == 0 && fixes <= 0xF);
            FUZZ_CHECK((crs != GEO_WGS84) == ((fixes & GEO_FIX_CRS) != 0));
        } else {
            FUZZ_CHECK(why.len > 0 && fixes == 0);
        }
        buf_release(&why);
    }
    enum geo_crs c;
    if (geo_crs_find(a, n1, &c) == 0)
        FUZZ_CHECK(c == GEO_WGS84 || c == GEO_GCJ02 || c == GEO_BD09);
    xfree(a);
    xfree(b);
    return 0;
}
