/* demo/places.h - places, zones, toilets and cameras of the synthetic district (issue 8),
 * so that the map of `make demo` is populated.
 *
 * Per subdistrict: public toilets, a vaccination site and a street ledger entry; a 方舱
 * shelter in every third subdistrict; two zones (one 封控 or 管控, one 防范, one of them
 * lifted) as rectangles; and cameras around the toilets (GB/T 28181 IDs of type 132, centre
 * code 11010200), one or two bound to each toilet, a few offline, a few checked. All go in
 * through the real ingest kinds and binding/check functions (events, history, audit).
 * Positions are synthetic, on the same 5 x 3 grid of subdistrict centres as the sites. No
 * stream URLs (no credentials in demo data).
 */
#ifndef JY_DEMO_PLACES_H
#define JY_DEMO_PLACES_H
#include <stdint.h>

#include "domain/platform/app.h"

/* demo_places loads the places and cameras as actor a (deterministic in seed). */
int demo_places(struct app *app, struct db *db, const struct actor *a, uint64_t seed);

#endif
