/* domain/exchange/site_match.h - city↔district testing-site matching (issue 11, R2.11).
 *
 * The city vendor (东软) exports its testing sites with its own codes, names, addresses and
 * GCJ-02 coordinates, mixed with other districts' rows. A run matches every row of such a
 * file against the district's live sites in the actor's scope and keeps the result:
 *
 *   1. Reading (site_match_read): columns are found by header after text_norm with
 *      TEXT_NORM_HEADER: 点位编码 (编码, 市点位编码, 采样点编码, 点位代码, 站点编码, code),
 *      点位名称 (名称, 采样点名称, 检测点名称, 站点名称, name), 所属区 (区, 区县, 所属区县,
 *      行政区), 所属街道 (街道, 街乡, 所属街乡, 街道(乡镇)), 详细地址 (地址, 点位地址,
 *      address), 经度 (lng, lon, longitude, x), 纬度 (lat, latitude, y), and optionally the
 *      city's figure 采样人数 (采样量, 扫码量, 扫码人数, 检测人数). The header is the first of
 *      the first COLUMNS_HEADER_ROWS rows naming a code or name column. Points are read with
 *      geo_parse_point in crs (a CRS named in a coordinate header wins) and kept in WGS-84;
 *      a row with no usable point is still matched, by name only.
 *   2. Normalising (site_match_norm): the ways one site is written are folded: 北京市 and
 *      district prefixes, a leading "…街道"/"…街道办事处", the words 核酸/检测/采样/便民/
 *      点位/常态化/服务/点/站, brackets (their content kept), 附近, 号院 → 号, 一号/01号 → 1号
 *      (Chinese numerals 一..十 before 号 and leading zeros dropped).
 *   3. Candidates: district sites within SITE_MATCH_RADIUS_M of the row's point (a grid of
 *      ~1 km cells), or every site of the row's subdistrict when the row has no point.
 *   4. Scoring (0..1): name similarity (Dice over character bigrams of the normalised names,
 *      0.9 when one contains the other), distance (1 up to 50 m, falling to 0 at 800 m) and
 *      address similarity (the city's address against our opened address), weighted 0.45 /
 *      0.35 / 0.20 (0.55 / 0.45 without an address on either side). A row naming another
 *      subdistrict than the site's is scored ×0.85; a row without a point is capped below
 *      the auto threshold (a person decides). Reasons (匹配依据) say each part in Chinese.
 *   5. One-to-one assignment: candidate pairs scoring at least SITE_MATCH_MIN_SCORE, best
 *      first (ties: nearer, then earlier row, then lower site id), each row and each site
 *      taken once. Pairs scoring at least the threshold (default SITE_MATCH_AUTO) are
 *      accepted automatically ("auto"), the others await review ("review"); rows without a
 *      pair are "none".
 *
 * Storage (site_match_run): the run and one row per input row (tables site_match_runs,
 * site_match_rows, migration 0013) in one transaction with one audit entry
 * "site_matches.run" (counts only). An accepted pair (auto or by review) is used: the
 * site's city_code is set to the row's code through site_update (history, outbox event,
 * audit), so the city's figures can be put beside ours. Review (site_match_review):
 * accept (the proposed site), reject (clears the site's city_code when it was this row's),
 * or re-point to another site by code (accepted; refused with ERR_CONFLICT when another
 * accepted row of the run holds that site). Scope: runs and rows are seen by their
 * subdistrict's actors and district-wide actors; sites outside the scope cannot be chosen.
 * Sites are public facilities: nothing here is personal data.
 */
#ifndef JY_DOMAIN_EXCHANGE_SITE_MATCH_H
#define JY_DOMAIN_EXCHANGE_SITE_MATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"
#include "geo/geo.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define SITE_MATCH_RADIUS_M 1000.0
#define SITE_MATCH_MIN_SCORE 0.55
#define SITE_MATCH_AUTO 0.80
#define SITE_MATCH_NORM_CAP 256     /* bytes of a normalised name (NUL included) */
#define SITE_MATCH_REASON_CAP 200
#define SITE_MATCH_LIST_MAX 1000

/* One input row. Strings are never NULL ("" when absent). */
struct site_match_city {
    uint64_t num;                          /* sheet row */
    const char *code, *name, *district, *subdistrict, *address;
    const char *subdistrict_code;          /* resolved subdistrict code, "" when unknown */
    bool has_pos, has_count;
    struct geo_point pos;                  /* WGS-84 */
    int64_t count;                         /* the city's figure (采样人数 …) */
};

/* One district site. */
struct site_match_site {
    int64_t id;
    const char *code, *name, *subdistrict, *address; /* address "" when none */
    struct geo_point pos;                  /* WGS-84 */
};

enum site_match_status { SITE_MATCH_NONE, SITE_MATCH_AUTOACC, SITE_MATCH_REVIEW,
                         SITE_MATCH_ACCEPTED, SITE_MATCH_REJECTED, SITE_MATCH__COUNT };
/* site_match_status_code: "none", "auto", "review", "accepted", "rejected". */
const char *site_match_status_code(enum site_match_status s);
int site_match_status_parse(const char *s, enum site_match_status *out);

/* The result for one input row. */
struct site_match_pair {
    long site;                             /* index into the sites, -1 when none */
    double score;                          /* 0..1 */
    double distance_m;                     /* -1 when unknown */
    enum site_match_status status;         /* NONE, AUTOACC or REVIEW */
    char reasons[SITE_MATCH_REASON_CAP];   /* 匹配依据 */
};

/* site_match_norm writes the comparable form of a site name or address into
 * out[0..SITE_MATCH_NORM_CAP) and returns its length. Pure; never fails. */
size_t site_match_norm(const char *in, char out[SITE_MATCH_NORM_CAP]);
/* site_match_similarity: 0..1 similarity of two normalised texts (0 when either is ""). */
double site_match_similarity(const char *a, const char *b);

/* site_match_compute matches rows c[0..nc) against sites s[0..ns) (see steps 3-5) with the
 * auto-accept threshold auto_at, filling out[0..nc). Pure and deterministic. 0 or
 * ERR_NOMEM is never returned: allocation failure aborts (core/alloc.h). */
void site_match_compute(const struct site_match_city *c, size_t nc, const struct site_match_site *s,
                        size_t ns, double auto_at, struct site_match_pair *out);

/* site_match_read reads every data row of t as city rows (strings in arena). *crs is the
 * system of the coordinates unless a header names one (then *crs becomes that one). names (may be NULL) resolves
 * 所属街道. ERR_INVALID with why filled when no code or name column is found. */
struct subdistrict_names;
int site_match_read(struct table *t, enum geo_crs *crs, const struct subdistrict_names *names,
                    struct arena *arena, struct site_match_city **rows, size_t *n,
                    uint64_t *header_row, struct buf *why);

struct site_match_result {
    int64_t id;                            /* the stored run */
    uint64_t rows, sites, auto_accepted, to_review, unmatched, header_row;
    enum geo_crs crs;                      /* the system the coordinates were read in */
    int64_t read_us, match_us, store_us;   /* stage times */
};

/* Called once per input row, in order, with its result (site NULL when none). */
typedef int (*site_match_row_fn)(void *ctx, const struct site_match_city *row,
                                 const struct site_match_site *site, const struct site_match_pair *p);

/* site_match_run reads t, matches it against the live sites in a's scope, stores the run,
 * applies the auto-accepted pairs and reports every row through fn (may be NULL).
 * auto_at <= 0 means SITE_MATCH_AUTO. Errors: ERR_INVALID (why filled), storage errors,
 * fn's error. */
int site_match_run(struct app *app, struct db *db, const struct actor *a, struct table *t,
                   enum geo_crs crs, double auto_at, site_match_row_fn fn, void *ctx,
                   struct site_match_result *res, struct buf *why);

/* A stored run. */
struct site_match_run_info {
    int64_t id, created_at, header_row, rows, sites, auto_accepted, to_review, unmatched;
    const char *created_by, *subdistrict, *crs;
};
/* One stored row with its site (site_* "" / 0 when none). */
struct site_match_row {
    int64_t num, site_id, score_milli, distance_m; /* distance_m -1 when unknown */
    const char *city_code, *city_name, *city_district, *city_subdistrict, *reasons, *status;
    const char *site_code, *site_name, *reviewed_by;
    bool has_pos, has_count;
    int64_t lon_e6, lat_e6, city_count;
    int64_t scans_today;                   /* our figure for the site: scans today */
};

int site_match_run_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                       struct site_match_run_info *out);
/* site_match_rows pages a run's rows by row number: num > after, status (NULL = any), at
 * most limit (1..SITE_MATCH_LIST_MAX); *total counts the matches. */
int site_match_rows(struct db *db, const struct actor *a, int64_t id, const char *status, int64_t after,
                    size_t limit, struct arena *arena, struct site_match_row **items, size_t *n,
                    int64_t *total);

enum site_match_action { SITE_MATCH_ACCEPT, SITE_MATCH_REJECT, SITE_MATCH_REPOINT };
/* site_match_review applies a person's decision to row num of run id (site_code: the new
 * site for REPOINT, else ignored). ERR_NOT_FOUND (run, row or site out of scope),
 * ERR_INVALID (accepting a row without a site; why filled), ERR_CONFLICT (the site is held
 * by another accepted row of the run). Audited "site_matches.review". */
int site_match_review(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t num,
                      enum site_match_action action, const char *site_code, struct buf *why);

/* The .xlsx output: 行号, 市点位编码, 市点位名称, 所属区, 所属街道, 区点位编码, 区点位名称,
 * 匹配分数, 距离(米), 匹配依据, 状态. */
struct xlsxw;
int site_match_xlsx_open(const struct xlsxw_dest *dest, struct xlsxw **w);
int site_match_xlsx_row(struct xlsxw *w, const struct site_match_row *r);

#endif
