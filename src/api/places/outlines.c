/* api/places/outlines.c - district and subdistrict outlines for the map's vector base layer
 * (issue 8 "Map": the map works with no tile server; R3.x 落图).
 *
 * The outlines are reference data compiled into the binary from data/outlines/xicheng.geojson
 * (RFC 7946 FeatureCollection, WGS-84; properties code, name, level 1 = district, 2 =
 * subdistrict, approximate). They are the same for every caller, carry no personal data and
 * are not scoped: like /api/v1/divisions they need divisions.read only. A district replaces
 * them with its official boundaries by replacing that file (data/README.md).
 */
#include <string.h>

#include "api/api.h"
#include "core/embedded.h"
#include "core/err.h"

#define OUTLINES_FILE "outlines/xicheng.geojson"

/* GET /api/v1/map/outlines -> FeatureCollection (application/geo+json), the embedded file as is */
static int
outlines_get(struct req *req)
{
    for (size_t i = 0; i < embedded_data_count; i++) {
        const struct embedded_file *f = &embedded_data[i];
        if (strcmp(f->path, OUTLINES_FILE) == 0) {
            req_add_header(req, "Cache-Control", "private, max-age=3600");
            req_reply_static(req, 200, "application/geo+json", f->data, f->len);
            return 0;
        }
    }
    return req_fail(req, ERR_NOT_FOUND, "no outlines are built in");
}

const struct route api_outlines_routes[] = {
    { "GET", "/api/v1/map/outlines", outlines_get, PERM_DIVISIONS_READ, 0, 0 },
    ROUTE_END
};
