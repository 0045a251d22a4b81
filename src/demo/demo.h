/* demo/demo.h - a deterministic synthetic district for demos, tests and benchmarks
 * (issue "testing-data services": demo district; architecture §4).
 *
 * Everything goes in through the real ingest kinds (sites, plans, planned, samples,
 * transports, results, check-ins, actuals) and a few subdistrict corrections, so counters,
 * outbox and audit are exactly what real traffic would produce. Residents are a pure
 * function of (seed, index): valid GB 11643 ID numbers with Beijing region codes, plausible
 * birth dates and both sexes, names, phones, and a home subdistrict/community among the 15
 * real Xicheng subdistricts. The rounds are the last `days` days up to now (Asia/Shanghai);
 * today's round is cut at the current time. Coordinates are synthetic (labelled so).
 */
#ifndef JY_DOMAIN_DEMO_H
#define JY_DOMAIN_DEMO_H
#include <stddef.h>
#include <stdint.h>

#include "domain/platform/app.h"

struct demo_params {
    uint64_t seed;
    size_t residents;         /* people in the district */
    size_t sites_per_subdistrict;
    size_t days;              /* daily mass-testing rounds ending today */
    unsigned coverage_pct;    /* share of residents sampled per round */
    size_t positives;         /* positive tubes over the whole run */
    size_t max_samples;       /* stop after this many samples (0 = all): a measured fraction
                                 of a scale too big to load (city) */
};

/* demo_scale fills p for "small" (tests: seconds), "medium" (make demo), "district"
 * (1.1 M residents, 14 rounds of ~1 M samples: benchmarks) or "city" (2.2 M residents, 10
 * rounds at 90 %: ~19.8 M samples, issue 13 - load a fraction with max_samples and
 * extrapolate, bench/RESULTS.md). ERR_INVALID otherwise. */
int demo_scale(const char *name, uint64_t seed, struct demo_params *p);

struct demo_person {
    char id_number[19];
    char name[32];
    char phone[12];
    size_t subdistrict; /* index into the district's subdistricts (0..14) */
    size_t community;   /* index among that subdistrict's communities */
};
/* demo_person_at computes resident i of the district generated with seed. */
void demo_person_at(uint64_t seed, size_t i, struct demo_person *p);

/* demo_generate loads the synthetic district into db. progress (may be NULL) is called
 * with a phase name and a fraction 0..1. ERR_CONFLICT when demo data already exists. */
int demo_generate(struct app *app, struct db *db, const struct demo_params *p,
                  void (*progress)(const char *phase, double done, void *arg), void *arg);

#endif
