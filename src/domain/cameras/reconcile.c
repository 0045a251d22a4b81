/* domain/cameras/reconcile.c - the reconciliation classifier (R3.8): a sorted merge of the
 * survey listings and the network devices by camera ID. Pure; storage of runs is
 * domain/cameras/reconcile_store.c, binding domain/cameras/binding_batch.c. */
#include "domain/cameras/reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static const char *const class_codes[RECONCILE__COUNT] = {
    "matched", "conflict", "only_survey", "only_online",
};

const char *
reconcile_class_code(enum reconcile_class c)
{
    return (unsigned)c < RECONCILE__COUNT ? class_codes[c] : "conflict";
}

int
reconcile_class_parse(const char *s, enum reconcile_class *out)
{
    for (int i = 0; s && i < RECONCILE__COUNT; i++)
        if (strcmp(s, class_codes[i]) == 0) {
            *out = (enum reconcile_class)i;
            return 0;
        }
    return ERR_INVALID;
}

static int
listing_cmp(const void *a, const void *b)
{
    const struct reconcile_listing *x = a, *y = b;
    int c = strcmp(x->gb_id, y->gb_id);
    return c ? c : (x->place_id > y->place_id) - (x->place_id < y->place_id);
}

static int
device_cmp(const void *a, const void *b)
{
    return strcmp(((const struct reconcile_device *)a)->gb_id,
                  ((const struct reconcile_device *)b)->gb_id);
}

/* reconcile_both classifies an ID present on both sides. */
static void
reconcile_both(struct reconcile_item *it, struct reconcile_listing *l, size_t nl,
               const struct reconcile_device *d, double within_m, struct arena *arena)
{
    it->device = d;
    it->distance_m = -1;
    if (!d->has_pos) {
        it->cls = RECONCILE_CONFLICT;
        it->reason = "the network export gives no usable position";
        return;
    }
    size_t near = 0;
    for (size_t i = 0; i < nl; i++) {
        l[i].distance_m = geo_distance_m(d->pos, l[i].pos);
        l[i].near = l[i].distance_m <= within_m;
        near += l[i].near;
        if (it->distance_m < 0 || l[i].distance_m < it->distance_m)
            it->distance_m = l[i].distance_m;
    }
    if (near) {
        it->cls = RECONCILE_MATCHED;
        it->reason = arena_printf(arena, "network position %.0f m from the listed toilet"
                                  " (limit %.0f m)", it->distance_m, within_m);
    } else {
        it->cls = RECONCILE_CONFLICT;
        it->reason = arena_printf(arena, "network position %.0f m from the nearest listed"
                                  " toilet (limit %.0f m)", it->distance_m, within_m);
    }
}

void
reconcile_classify(struct reconcile_listing *listings, size_t n_listings,
                   struct reconcile_device *devices, size_t n_devices, double within_m,
                   struct arena *arena, struct reconcile_item **items, size_t *n)
{
    size_t i = 0, j = 0, k = 0;
    struct reconcile_item *out;

    qsort(listings, n_listings, sizeof *listings, listing_cmp);
    qsort(devices, n_devices, sizeof *devices, device_cmp);
    for (size_t x = 0; x < n_listings; x++) {
        listings[x].distance_m = -1;
        listings[x].near = false;
    }
    out = arena_alloc(arena, (n_listings + n_devices + 1) * sizeof *out);
    while (i < n_listings || j < n_devices) {
        struct reconcile_item *it = &out[k++];
        int c = i == n_listings ? 1 : j == n_devices ? -1 : strcmp(listings[i].gb_id, devices[j].gb_id);
        size_t nl = 0;
        memset(it, 0, sizeof *it);
        it->distance_m = -1;
        if (c <= 0) {
            while (i + nl < n_listings && strcmp(listings[i + nl].gb_id, listings[i].gb_id) == 0)
                nl++;
            memcpy(it->gb_id, listings[i].gb_id, sizeof it->gb_id);
            it->listings = &listings[i];
            it->n_listings = nl;
        } else {
            memcpy(it->gb_id, devices[j].gb_id, sizeof it->gb_id);
        }
        if (c < 0) {
            it->cls = RECONCILE_ONLY_SURVEY;
            it->reason = "not in the network export";
        } else if (c > 0) {
            it->cls = RECONCILE_ONLY_ONLINE;
            it->device = &devices[j];
            it->reason = "listed under no surveyed toilet";
        } else {
            reconcile_both(it, &listings[i], nl, &devices[j], within_m, arena);
        }
        i += nl;
        j += c >= 0;
    }
    *items = out;
    *n = k;
}
