/* demo/demo.c - the synthetic district (see demo.h). Deterministic for a seed and a day:
 * every value comes from a hash of (seed, what, index), never from rand(). */
#include "demo/demo.h"
#include "demo/places.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/testing/actual.h"
#include "domain/testing/checkin.h"
#include "domain/platform/division.h"
#include "domain/ingest/ingest.h"
#include "domain/testing/plan.h"
#include "domain/testing/result.h"
#include "domain/testing/review.h"
#include "domain/testing/sample.h"
#include "domain/testing/site.h"
#include "domain/testing/transport.h"

#define DEMO_SOURCE "demo"
#define DEMO_BATCH 5000
#define DEMO_DAY_MS 86400000LL
#define DEMO_TZ_MS (8 * 3600000LL) /* Asia/Shanghai */
#define DEMO_TUBE_MIX 10
#define DEMO_BOX_TUBES 50

int
demo_scale(const char *name, uint64_t seed, struct demo_params *p)
{
    if (!name)
        return ERR_INVALID;
    if (strcmp(name, "small") == 0)
        *p = (struct demo_params){ seed, 20000, 2, 3, 90, 3, 0 };
    else if (strcmp(name, "medium") == 0)
        *p = (struct demo_params){ seed, 100000, 10, 7, 90, 5, 0 };
    else if (strcmp(name, "district") == 0)
        *p = (struct demo_params){ seed, 1100000, 20, 14, 90, 8, 0 };
    else if (strcmp(name, "city") == 0)
        *p = (struct demo_params){ seed, 2200000, 60, 10, 90, 30, 0 };
    else
        return ERR_INVALID;
    return 0;
}

/* splitmix64 */
static uint64_t
demo_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t
demo_hash(uint64_t seed, uint64_t what, uint64_t i)
{
    return demo_mix(seed ^ demo_mix(what * 0x100000001b3ULL ^ demo_mix(i)));
}

/* Region codes of the ID numbers: each listed once, so (region, date, sequence) stays unique
 * per resident. 110103 (崇文) and 110104 (宣武) are the old district codes many Xicheng
 * residents still carry; the others are neighbouring Beijing districts. */
static const char *const demo_regions[] = { "110102", "110104", "110103", "110101", "110105",
                                            "110106", "110108" };
static const char *const demo_surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                             "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗" };
static const char *const demo_given[] = { "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
                                          "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
                                          "平", "刚", "桂英", "建华", "文", "华", "建国", "红", "玉兰", "晨" };

/* Birth dates: 1940-01-01 plus up to 80 years of days. */
#define DEMO_BIRTH_DAYS 29220

void
demo_person_at(uint64_t seed, size_t i, struct demo_person *p)
{
    size_t nreg = sizeof demo_regions / sizeof *demo_regions;
    size_t j = i / nreg, day = j % DEMO_BIRTH_DAYS, seq = j / DEMO_BIRTH_DAYS;
    uint64_t h = demo_hash(seed, 1, i), h2 = demo_hash(seed, 2, i);
    int64_t birth_ms = (-946771200000LL) + (int64_t)day * DEMO_DAY_MS; /* 1940-01-01 */
    char date[32], first17[18];

    time_format_iso(birth_ms, date, sizeof date); /* yyyy-mm-dd… */
    /* sequence: 3 digits, odd for men, even for women; unique per (region, date) */
    unsigned seq3 = (unsigned)(seq % 499) * 2 + 1 + (unsigned)(h & 1);
    snprintf(first17, sizeof first17, "%s%.4s%.2s%.2s%03u", demo_regions[i % nreg], date, date + 5, date + 8, seq3);
    memcpy(p->id_number, first17, 17);
    p->id_number[17] = idno_check_digit(first17);
    p->id_number[18] = '\0';
    snprintf(p->name, sizeof p->name, "%s%s%s", demo_surnames[h % 20], demo_given[(h >> 8) % 30],
             (h >> 16) % 3 ? demo_given[(h >> 24) % 30] : "");
    static const char second[] = "35789";
    snprintf(p->phone, sizeof p->phone, "1%c%09llu", second[(h2 >> 40) % 5],
             (unsigned long long)(h2 % 1000000000ULL));
    p->subdistrict = (size_t)(demo_hash(seed, 3, i) % 15);
    p->community = (size_t)(demo_hash(seed, 4, i) % 1000);
}

/* The district as loaded from the divisions table. */
struct demo_area {
    const char *code, *name;
    const char **communities, **community_names;
    size_t ncommunities;
    double lon, lat; /* synthetic centre */
};

struct demo {
    struct app *app;
    struct db *db;
    struct actor actor;
    const struct demo_params *p;
    struct arena arena;
    struct demo_area areas[15];
    size_t nareas;
    void (*progress)(const char *, double, void *);
    void *arg;
    int64_t now;
    size_t samples; /* loaded so far (max_samples) */
};

static int
demo_load_areas(struct demo *d)
{
    struct division *subs = NULL, *comms = NULL;
    size_t nsubs = 0, ncomms = 0;
    int rc;
    if ((rc = division_list(d->db, DIVISION_SUBDISTRICT, "110102", &d->arena, &subs, &nsubs)))
        return rc;
    if (nsubs == 0 || nsubs > 15)
        return ERR_INVALID;
    d->nareas = nsubs;
    for (size_t s = 0; s < nsubs; s++) {
        struct demo_area *a = &d->areas[s];
        a->code = subs[s].code;
        a->name = subs[s].name;
        if ((rc = division_list(d->db, DIVISION_COMMUNITY, a->code, &d->arena, &comms, &ncomms)))
            return rc;
        a->communities = arena_alloc(&d->arena, (ncomms + 1) * sizeof *a->communities);
        a->community_names = arena_alloc(&d->arena, (ncomms + 1) * sizeof *a->community_names);
        for (size_t c = 0; c < ncomms; c++) {
            a->communities[c] = comms[c].code;
            a->community_names[c] = comms[c].name;
        }
        a->ncommunities = ncomms;
        /* synthetic centres on a 5 x 3 grid over Xicheng's extent (not real boundaries) */
        a->lon = 116.338 + (double)(s % 5) * 0.016;
        a->lat = 39.872 + (double)(s / 5) * 0.030;
    }
    return 0;
}

/* demo_ingest sends one batch through kind; every record must be accepted. *ids (may be
 * NULL) receives the new ids in order (xmalloc'd). */
static int
demo_ingest(struct demo *d, const struct ingest_kind *kind, json_t *batch, int64_t **ids)
{
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    int rc = ingest_run(d->app, d->db, &d->actor, kind, batch, &out, &n, &accepted);
    if (!rc && accepted != n) {
        for (size_t i = 0; i < n; i++) {
            if (out[i].status != INGEST_ACCEPTED) {
                fprintf(stderr, "demo: %s record %zu not accepted: %s %s\n", kind->name, i,
                        out[i].field ? out[i].field : "", out[i].reason);
                break;
            }
        }
        rc = ERR_INVALID;
    }
    if (!rc && ids) {
        *ids = xmalloc((n ? n : 1) * sizeof **ids);
        for (size_t i = 0; i < n; i++)
            (*ids)[i] = out[i].id;
    }
    xfree(out);
    json_decref(batch);
    return rc;
}

static void
demo_progress(struct demo *d, const char *phase, double done)
{
    if (d->progress)
        d->progress(phase, done, d->arg);
}

static char *
demo_site_code(struct demo *d, size_t area, size_t k)
{
    return arena_printf(&d->arena, "XC%02zu%02zu", area + 1, k + 1);
}

static int
demo_sites(struct demo *d)
{
    static const char *const types[] = { "fixed", "fixed", "temporary", "convenience", "mobile" };
    json_t *batch = json_array();
    for (size_t a = 0; a < d->nareas; a++) {
        const struct demo_area *ar = &d->areas[a];
        for (size_t k = 0; k < d->p->sites_per_subdistrict; k++) {
            uint64_t h = demo_hash(d->p->seed, 10, a * 1000 + k);
            size_t c = ar->ncommunities ? (size_t)(h % ar->ncommunities) : 0;
            json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:i}", "source", DEMO_SOURCE,
                                  "external_id", demo_site_code(d, a, k), "code", demo_site_code(d, a, k), "name",
                                  arena_printf(&d->arena, "%s核酸采样点%02zu", ar->name, k + 1), "type",
                                  types[h % 5], "subdistrict", ar->code, "lon",
                                  ar->lon + (double)((h >> 8) % 1000) / 1000.0 * 0.014, "lat",
                                  ar->lat + (double)((h >> 20) % 1000) / 1000.0 * 0.026, "opening_hours",
                                  "07:00-21:00", "status", "open", "capacity", (int)(200 + (h >> 32) % 800));
            if (ar->ncommunities) {
                json_object_set_new(s, "community", json_string(ar->communities[c]));
                json_object_set_new(s, "address", json_string(arena_printf(&d->arena, "北京市西城区%s%s%zu号",
                                                                          ar->name, ar->community_names[c],
                                                                          (size_t)((h >> 40) % 80 + 1))));
            }
            json_array_append_new(batch, s);
        }
    }
    return demo_ingest(d, &site_kind, batch, NULL);
}

/* The per-day state of the sample generator. */
struct demo_day {
    int64_t start, end; /* ms: 07:00 (today: at most now - 2 h) and min(21:00, now - 1 min) local */
    char plan_no[16];
    char date[9];
    size_t *sampled;  /* per area */
    size_t *tubes;    /* per site: tubes started */
    size_t *in_tube;  /* per site: samples in the current tube */
    int64_t *last_at; /* per site: last collection time */
};

static int
demo_plan(struct demo *d, size_t day, struct demo_day *dd)
{
    int64_t today0 = ((d->now + DEMO_TZ_MS) / DEMO_DAY_MS) * DEMO_DAY_MS - DEMO_TZ_MS; /* local midnight */
    int64_t midnight = today0 - (int64_t)(d->p->days - 1 - day) * DEMO_DAY_MS;
    char iso[32];
    time_format_iso(midnight + DEMO_TZ_MS, iso, sizeof iso);
    snprintf(dd->date, sizeof dd->date, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
    snprintf(dd->plan_no, sizeof dd->plan_no, "XC%s", dd->date);
    /* Sampling runs 07:00-21:00 local. On the current day before 09:00 it is made to have
     * begun two hours ago, but not before midnight, so that every time the demo writes
     * is in the past whatever the hour it runs at: the round of today always exists and
     * holds samples. */
    dd->start = midnight + 7 * 3600000LL;
    if (dd->start > d->now - 2 * 3600000LL)
        dd->start = d->now - 2 * 3600000LL;
    if (dd->start < midnight)
        dd->start = midnight; /* a round's samples stay on its own day (statistics by day = by round) */
    int64_t end = midnight + 21 * 3600000LL;
    dd->end = end < d->now - 60000 ? end : d->now - 60000;
    json_t *plan = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "source", DEMO_SOURCE, "external_id", dd->plan_no,
                             "plan_no", dd->plan_no, "name",
                             arena_printf(&d->arena, "西城区全员核酸检测 %.4s-%.2s-%.2s", iso, iso + 5, iso + 8),
                             "kind", "mass", "starts_at", (json_int_t)dd->start, "ends_at", (json_int_t)end);
    json_t *batch = json_array();
    json_array_append_new(batch, plan);
    return demo_ingest(d, &plan_kind, batch, NULL);
}

static int
demo_planned(struct demo *d, const struct demo_day *dd, const size_t *residents_per_area)
{
    json_t *batch = json_array();
    for (size_t a = 0; a < d->nareas; a++)
        json_array_append_new(batch, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", DEMO_SOURCE, "external_id",
                                               arena_printf(&d->arena, "pl-%s-%zu", dd->date, a), "plan_no",
                                               dd->plan_no, "subdistrict", d->areas[a].code, "count",
                                               (json_int_t)residents_per_area[a], "reported_at",
                                               (json_int_t)(dd->start - 3600000)));
    return demo_ingest(d, &plan_planned_kind, batch, NULL);
}

static bool
demo_positive(const struct demo *d, size_t day, size_t site, size_t tube)
{
    /* a handful over the whole run: one chance in (tubes per run / positives) */
    uint64_t tubes_run = (uint64_t)d->p->residents * d->p->coverage_pct / 100 / DEMO_TUBE_MIX * d->p->days;
    uint64_t every = d->p->positives ? tubes_run / d->p->positives + 1 : UINT64_MAX;
    return demo_hash(d->p->seed, 20, (uint64_t)day << 40 | (uint64_t)site << 20 | tube) % every == 0;
}

/* demo_tubes_done writes transports and results for the tubes of one site and day. */
static int
demo_site_day_logistics(struct demo *d, size_t day, const struct demo_day *dd, size_t site, json_t *transports,
                        json_t *results)
{
    size_t ntubes = dd->tubes[site];
    const char *site_code = demo_site_code(d, site / d->p->sites_per_subdistrict, site % d->p->sites_per_subdistrict);
    for (size_t box = 0; box * DEMO_BOX_TUBES < ntubes; box++) {
        json_t *codes = json_array();
        for (size_t t = box * DEMO_BOX_TUBES; t < ntubes && t < (box + 1) * DEMO_BOX_TUBES; t++)
            json_array_append_new(codes, json_string(arena_printf(&d->arena, "T%s%04zu%05zu", dd->date, site, t)));
        int64_t handed = dd->last_at[site] + 1800000, received = handed + 3600000;
        if (handed > d->now - 60000)
            handed = d->now - 60000;
        json_t *tr = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I}", "source", DEMO_SOURCE, "external_id",
                               arena_printf(&d->arena, "box-%s-%zu-%zu", dd->date, site, box), "box_code",
                               arena_printf(&d->arena, "BX%s%04zu%03zu", dd->date, site, box), "tube_codes", codes,
                               "from_site", site_code, "to_lab", box % 2 ? "北京市疾控中心实验室" : "西城区检测实验室",
                               "handed_at", (json_int_t)handed);
        bool arrived = received < d->now - 60000;
        if (arrived) {
            json_object_set_new(tr, "received_at", json_integer(received));
            json_object_set_new(tr, "status", json_string("received"));
        }
        json_array_append_new(transports, tr);
        int64_t tested = received + 2 * 3600000;
        if (!arrived || tested > d->now - 60000)
            continue; /* still on the way or in the lab: no result yet */
        for (size_t t = box * DEMO_BOX_TUBES; t < ntubes && t < (box + 1) * DEMO_BOX_TUBES; t++)
            json_array_append_new(
                results, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "source", DEMO_SOURCE, "external_id",
                                   arena_printf(&d->arena, "res-%s-%zu-%zu", dd->date, site, t), "tube_code",
                                   arena_printf(&d->arena, "T%s%04zu%05zu", dd->date, site, t), "institution",
                                   box % 2 ? "北京市疾控中心实验室" : "西城区检测实验室", "tested_at",
                                   (json_int_t)tested, "result",
                                   demo_positive(d, day, site, t) ? "positive" : "negative"));
    }
    return 0;
}

static int
demo_flush(struct demo *d, const struct ingest_kind *kind, json_t **batch, size_t min)
{
    int rc = 0;
    if (json_array_size(*batch) >= min && json_array_size(*batch) > 0) {
        rc = demo_ingest(d, kind, *batch, NULL);
        *batch = json_array();
    }
    return rc;
}

static int
demo_day(struct demo *d, size_t day, const size_t *residents_per_area, double *done, double step)
{
    struct demo_day dd = { 0 };
    size_t nsites = d->nareas * d->p->sites_per_subdistrict;
    json_t *samples = json_array(), *transports = json_array(), *results = json_array(),
           *checkins = json_array(), *actuals = json_array();
    int64_t *actual_ids = NULL;
    int rc;

    dd.sampled = xcalloc(d->nareas, sizeof *dd.sampled);
    dd.tubes = xcalloc(nsites, sizeof *dd.tubes);
    dd.in_tube = xcalloc(nsites, sizeof *dd.in_tube);
    dd.last_at = xcalloc(nsites, sizeof *dd.last_at);
    if ((rc = demo_plan(d, day, &dd)) || (rc = demo_planned(d, &dd, residents_per_area)))
        goto out;
    if (dd.end <= dd.start)
        goto out; /* today's round has not started yet */
    for (size_t i = 0; i < d->p->residents; i++) {
        struct demo_person person;
        if (demo_hash(d->p->seed, 30 + day, i) % 100 >= d->p->coverage_pct)
            continue;
        if (d->p->max_samples && d->samples >= d->p->max_samples)
            break; /* a measured fraction (city scale) */
        d->samples++;
        demo_person_at(d->p->seed, i, &person);
        size_t area = person.subdistrict % d->nareas;
        size_t site = area * d->p->sites_per_subdistrict +
                      (size_t)(demo_hash(d->p->seed, 5, i) % d->p->sites_per_subdistrict);
        int64_t at = dd.start + (int64_t)(demo_hash(d->p->seed, 60 + day, i) % (uint64_t)(dd.end - dd.start));
        if (dd.in_tube[site] == 0)
            dd.tubes[site]++;
        size_t tube = dd.tubes[site] - 1, index = ++dd.in_tube[site];
        if (dd.in_tube[site] == DEMO_TUBE_MIX)
            dd.in_tube[site] = 0;
        if (at > dd.last_at[site])
            dd.last_at[site] = at;
        dd.sampled[area]++;
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:s}", "source", DEMO_SOURCE,
                              "external_id", arena_printf(&d->arena, "s-%s-%zu", dd.date, i), "id_number",
                              person.id_number, "name", person.name, "phone", person.phone, "tube_code",
                              arena_printf(&d->arena, "T%s%04zu%05zu", dd.date, site, tube), "site_code",
                              demo_site_code(d, area, site % d->p->sites_per_subdistrict), "plan_no", dd.plan_no,
                              "collected_at", (json_int_t)at, "mix_size", DEMO_TUBE_MIX, "mix_index", (int)index,
                              "collector", demo_surnames[i % 20]);
        json_array_append_new(samples, s);
        if (json_array_size(samples) >= DEMO_BATCH) {
            if ((rc = demo_flush(d, &sample_kind, &samples, DEMO_BATCH)))
                goto out;
            arena_release(&d->arena);
            if ((rc = demo_load_areas(d)))
                goto out;
            demo_progress(d, "samples", *done + step * (double)i / (double)d->p->residents);
        }
    }
    if ((rc = demo_flush(d, &sample_kind, &samples, 1)))
        goto out;
    /* check-ins, transports, results and actual reports of the day */
    for (size_t site = 0; site < nsites; site++) {
        size_t area = site / d->p->sites_per_subdistrict;
        const char *code = demo_site_code(d, area, site % d->p->sites_per_subdistrict);
        json_array_append_new(checkins, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "source", DEMO_SOURCE,
                                                  "external_id", arena_printf(&d->arena, "ci-%s-%zu-o", dd.date, site),
                                                  "site_code", code, "kind", "open", "at", (json_int_t)dd.start,
                                                  "staff", "值班人员"));
        json_array_append_new(checkins, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "source", DEMO_SOURCE,
                                                  "external_id", arena_printf(&d->arena, "ci-%s-%zu-s", dd.date, site),
                                                  "site_code", code, "kind", "status", "at",
                                                  (json_int_t)(dd.start + (dd.end - dd.start) / 2), "queue_len",
                                                  (int)(demo_hash(d->p->seed, 70 + day, site) % 60)));
        if (dd.end == dd.start + 14 * 3600000LL)
            json_array_append_new(checkins, json_pack("{s:s, s:s, s:s, s:s, s:I}", "source", DEMO_SOURCE, "external_id",
                                                      arena_printf(&d->arena, "ci-%s-%zu-c", dd.date, site),
                                                      "site_code", code, "kind", "close", "at", (json_int_t)dd.end));
        if (dd.tubes[site] && (rc = demo_site_day_logistics(d, day, &dd, site, transports, results)))
            goto out;
        if ((rc = demo_flush(d, &transport_kind, &transports, 200)) ||
            (rc = demo_flush(d, &result_kind, &results, DEMO_BATCH)))
            goto out;
    }
    for (size_t a = 0; a < d->nareas; a++) {
        /* subdistricts report a figure close to, not always equal to, the scans */
        int64_t noise = (int64_t)(demo_hash(d->p->seed, 80 + day, a) % 7) - 3;
        int64_t reported = (int64_t)dd.sampled[a] + noise > 0 ? (int64_t)dd.sampled[a] + noise : 0;
        json_array_append_new(actuals, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "source", DEMO_SOURCE,
                                                 "external_id", arena_printf(&d->arena, "ac-%s-%zu", dd.date, a),
                                                 "plan_no", dd.plan_no, "subdistrict", d->areas[a].code,
                                                 "industry", "S", "count", (json_int_t)reported,
                                                 "reported_at", (json_int_t)dd.end));
    }
    if ((rc = demo_flush(d, &checkin_kind, &checkins, 1)) || (rc = demo_flush(d, &transport_kind, &transports, 1)) ||
        (rc = demo_flush(d, &result_kind, &results, 1)))
        goto out;
    rc = demo_ingest(d, &actual_kind, actuals, &actual_ids);
    actuals = NULL;
    if (rc)
        goto out;
    /* a few subdistricts correct their report to the scanned count (R1.5) */
    for (size_t a = 0; a < d->nareas; a += 5) {
        if ((rc = actual_correct(d->app, d->db, &d->actor, actual_ids[a], (int64_t)dd.sampled[a],
                                 "核对扫码记录后更正 (demo)", &d->arena, NULL, NULL)))
            goto out;
    }
out:
    json_decref(samples);
    json_decref(transports);
    json_decref(results);
    json_decref(checkins);
    json_decref(actuals);
    xfree(actual_ids);
    xfree(dd.sampled);
    xfree(dd.tubes);
    xfree(dd.in_tube);
    xfree(dd.last_at);
    *done += step;
    return rc;
}

static const char sql_exists[] = "SELECT count(*) FROM sites WHERE source = 'demo'";

int
demo_generate(struct app *app, struct db *db, const struct demo_params *p,
              void (*progress)(const char *phase, double done, void *arg), void *arg)
{
    struct demo d = { .app = app, .db = db, .p = p, .progress = progress, .arg = arg, .now = time_now_ms() };
    struct db_stmt *st = NULL;
    size_t *per_area = NULL;
    bool row = false;
    double done = 0;
    int rc;

    actor_system(&d.actor, "demo");
    if ((rc = db_prepare(db, sql_exists, &st)) || (rc = db_step(st, &row)))
        goto out;
    if (row && db_col_i64(st, 0) > 0) {
        rc = ERR_CONFLICT;
        goto out;
    }
    db_done(st);
    st = NULL;
    if (!p->residents || !p->sites_per_subdistrict || p->sites_per_subdistrict > 99 || !p->days || p->days > 60) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = demo_load_areas(&d)))
        goto out;
    demo_progress(&d, "sites", 0);
    if ((rc = demo_sites(&d)))
        goto out;
    demo_progress(&d, "places", 0);
    if ((rc = demo_places(app, db, &d.actor, p->seed)))
        goto out;
    per_area = xcalloc(d.nareas, sizeof *per_area);
    for (size_t i = 0; i < p->residents; i++) {
        struct demo_person person;
        demo_person_at(p->seed, i, &person);
        per_area[person.subdistrict % d.nareas]++;
    }
    for (size_t day = 0; day < p->days && !rc && !(p->max_samples && d.samples >= p->max_samples); day++)
        rc = demo_day(&d, day, per_area, &done, 1.0 / (double)p->days);
    demo_progress(&d, "done", 1.0);
out:
    db_done(st);
    xfree(per_area);
    arena_release(&d.arena);
    return rc;
}
