/* domain/stats/stats.h - the statistics of the big screen (R2.7; data of R1.2-R1.6), declared in
 * ONE table: STATS_TABLE below. Adding or changing a statistic is an edit of that table
 * only; the catalogue (GET /api/v1/stats), the runner (GET /api/v1/stats/{name}) and the
 * tests (every entry runs on both drivers, scoped and unscoped, against a recount from raw
 * rows) pick it up.
 *
 * Every statistic reads counters only - stat_scans, stat_plan, stat_gauges, kept in the
 * ingest transactions - plus small reference tables for names (divisions, industries,
 * sites, plans); never samples, results or other raw records.
 *
 * An entry is X(name, flags, zh, en, source, dims, params, sql):
 *   name    the URL name, [a-z_]
 *   flags   STAT_* below
 *   zh, en  a description for people
 *   source  the counter table(s) read, for the catalogue
 *   dims    the output columns in SELECT order, "name:type" separated by spaces; types:
 *           text, int, ms (a time, ms since the epoch), bp (basis points: 10000 = 100 %)
 *   params  the bound parameters in order: the i-th word binds ?i. Words:
 *             plan_no      the plan's id (0 = any plan), from the plan_no filter (a plan
 *                          covering the caller, domain/testing/plan.h plan_get)
 *             subdistrict  the subdistrict code ('' = all): the caller's scope for a
 *                          subdistrict account or scoped token (a different subdistrict
 *                          filter is refused), else the subdistrict filter
 *             from, to     a time range [from, to): from binds 0 and to INT64_MAX when
 *                          open, so ranges are plain comparisons an index can serve;
 *                          on stat_scans it selects whole hours (bucket starts)
 *             site_code    the site's id (0 = any), from the site_code filter
 *             limit        top N (default 20, 1..1000)
 *             today_from, today_to   today in Asia/Shanghai (not filters)
 *           Every word except today_* is a filter of the same name the statistic accepts;
 *           "subdistrict" is REQUIRED in every entry and the SQL must filter by it, so a
 *           subdistrict account can never read another subdistrict's numbers.
 *   sql     static SQL, bound parameters only, optional filters written
 *           "(?1 = 0 OR plan_id = ?1)" / "(?2 = '' OR subdistrict = ?2)". Every ?1..?N of
 *           params appears, no other. PostgreSQL: SUM(bigint) is numeric there, so always
 *           CAST(SUM(x) AS BIGINT), and COALESCE(…, 0) where a sum may be empty.
 * stats_check verifies these rules for an entry (the tests run it on every entry), and
 * that the SQL reads no table of raw records (samples, results, transports …).
 *
 * Counter conventions the entries rely on (domain/testing/plan.h, actual.h, sample.h, site.h,
 * transport.h, result.h): stat_plan rows with industry '' hold the subdistrict totals
 * (every planned and actual row counts there, a row with an industry also under it;
 * corrected = reported with the last APPROVED correction applied (review.h); sampled
 * counted from samples);
 * gauges "transports_in_flight", "sites_open" and "results_<value>" per subdistrict ('' =
 * results of tubes not sampled yet when the result came).
 *
 * NEEDSWORK: on PostgreSQL, after five runs a prepared statement may switch to a generic
 * plan, where "(?1 = 0 OR plan_id = ?1)" cannot use an index; with stat_scans at district
 * scale a whole-plan query then reads the table (~5-10 ms instead of ~1 ms). Connecting
 * with plan_cache_mode=force_custom_plan avoids it; the day-bound queries (overview,
 * today's scans) are not affected (their hour range is a plain comparison).
 */
#ifndef JY_DOMAIN_STATS_H
#define JY_DOMAIN_STATS_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

enum stat_flags {
    STAT_TODAY = 1 << 0,        /* no from, to or plan_no given: from/to = today */
    STAT_CURRENT_PLAN = 1 << 1, /* no plan_no given: plan_latest's plan (none: 0) */
    STAT_ONE_ROW = 1 << 2,      /* the answer is one object, not rows */
};

/* Shared SQL pieces of the table. */
#define STATS__SUBDISTRICT_NAME(col) "COALESCE((SELECT d.name FROM divisions d WHERE d.code = " col "), '')"
#define STATS__PLAN_SUMS                                                                                        \
    "COALESCE(CAST(SUM(p.planned) AS BIGINT), 0) AS planned,"                                                   \
    " COALESCE(CAST(SUM(p.actual_reported) AS BIGINT), 0) AS reported,"                                         \
    " COALESCE(CAST(SUM(p.actual_corrected) AS BIGINT), 0) AS corrected,"                                       \
    " COALESCE(CAST(SUM(p.sampled) AS BIGINT), 0) AS sampled"
#define STATS__PLAN_ANY                                                                                         \
    "(SUM(p.planned) <> 0 OR SUM(p.actual_reported) <> 0 OR SUM(p.actual_corrected) <> 0 OR SUM(p.sampled) <> 0)"
#define STATS__BP(num, den) "CASE WHEN " den " > 0 THEN " num " * 10000 / " den " ELSE 0 END"

#define STATS_TABLE(X)                                                                                          \
    X("scans_by_hour", STAT_TODAY, "每小时扫码量", "Scans per hour (today unless a range or plan is given)",    \
      "stat_scans", "hour:ms scans:int", "plan_no subdistrict from to site_code",                               \
      "SELECT s.hour, CAST(SUM(s.n) AS BIGINT) AS scans FROM stat_scans s"                                      \
      " WHERE (?1 = 0 OR s.plan_id = ?1) AND (?2 = '' OR s.subdistrict = ?2) AND s.hour >= ?3"                  \
      " AND s.hour < ?4 AND (?5 = 0 OR s.site_id = ?5)"                                                         \
      " GROUP BY s.hour HAVING SUM(s.n) <> 0 ORDER BY s.hour")                                                  \
    X("scans_by_day", STAT_CURRENT_PLAN, "每日扫码量", "Scans per day (Asia/Shanghai) for a plan, a range or a site", \
      "stat_scans", "day:ms scans:int", "plan_no subdistrict from to site_code",                                \
      "SELECT t.day, CAST(SUM(t.n) AS BIGINT) AS scans FROM (SELECT (s.hour + 28800000) / 86400000 * 86400000"   \
      " - 28800000 AS day, s.n FROM stat_scans s WHERE (?1 = 0 OR s.plan_id = ?1)"                              \
      " AND (?2 = '' OR s.subdistrict = ?2) AND s.hour >= ?3 AND s.hour < ?4 AND (?5 = 0 OR s.site_id = ?5)) t" \
      " GROUP BY t.day HAVING SUM(t.n) <> 0 ORDER BY t.day")                                                    \
    X("scans_by_plan", 0, "各轮次扫码量", "Scans per round (plan); scans outside any plan are not counted",      \
      "stat_scans, plans", "plan_no:text plan_name:text scans:int", "subdistrict from to site_code",             \
      "SELECT pl.plan_no, pl.name AS plan_name, t.scans FROM (SELECT s.plan_id, CAST(SUM(s.n) AS BIGINT)"        \
      " AS scans FROM stat_scans s WHERE s.plan_id <> 0 AND (?1 = '' OR s.subdistrict = ?1) AND s.hour >= ?2"    \
      " AND s.hour < ?3 AND (?4 = 0 OR s.site_id = ?4) GROUP BY s.plan_id HAVING SUM(s.n) <> 0) t"              \
      " JOIN plans pl ON pl.id = t.plan_id ORDER BY pl.starts_at, pl.plan_no")                                  \
    X("scans_by_subdistrict", STAT_TODAY, "各街道扫码量", "Scans per subdistrict", "stat_scans",                \
      "subdistrict:text subdistrict_name:text scans:int", "plan_no subdistrict from to",                        \
      "SELECT t.subdistrict, " STATS__SUBDISTRICT_NAME("t.subdistrict") " AS subdistrict_name, t.scans"         \
      " FROM (SELECT s.subdistrict, CAST(SUM(s.n) AS BIGINT) AS scans FROM stat_scans s"                        \
      " WHERE (?1 = 0 OR s.plan_id = ?1) AND (?2 = '' OR s.subdistrict = ?2) AND s.hour >= ?3"                  \
      " AND s.hour < ?4 GROUP BY s.subdistrict HAVING SUM(s.n) <> 0) t"                                         \
      " ORDER BY t.scans DESC, t.subdistrict")                                                                  \
    X("scans_by_site", STAT_TODAY, "点位扫码量排行", "Scans per site, top N", "stat_scans, sites",              \
      "site_code:text site_name:text subdistrict:text scans:int", "plan_no subdistrict from to limit",          \
      "SELECT si.code AS site_code, si.name AS site_name, si.subdistrict, t.scans"                              \
      " FROM (SELECT s.site_id, CAST(SUM(s.n) AS BIGINT) AS scans FROM stat_scans s"                            \
      " WHERE (?1 = 0 OR s.plan_id = ?1) AND (?2 = '' OR s.subdistrict = ?2) AND s.hour >= ?3"                  \
      " AND s.hour < ?4 GROUP BY s.site_id HAVING SUM(s.n) <> 0) t JOIN sites si ON si.id = t.site_id"          \
      " ORDER BY t.scans DESC, si.code LIMIT ?5")                                                               \
    X("scans_by_community", STAT_TODAY, "各社区扫码量", "Scans per community", "stat_scans",                    \
      "subdistrict:text community:text community_name:text scans:int", "plan_no subdistrict from to",           \
      "SELECT t.subdistrict, t.community, " STATS__SUBDISTRICT_NAME("t.community") " AS community_name,"        \
      " t.scans FROM (SELECT s.subdistrict, s.community, CAST(SUM(s.n) AS BIGINT) AS scans FROM stat_scans s"   \
      " WHERE (?1 = 0 OR s.plan_id = ?1) AND (?2 = '' OR s.subdistrict = ?2) AND s.hour >= ?3"                  \
      " AND s.hour < ?4 GROUP BY s.subdistrict, s.community HAVING SUM(s.n) <> 0) t"                            \
      " ORDER BY t.subdistrict, t.community")                                                                   \
    X("plan_by_subdistrict", STAT_CURRENT_PLAN, "各街道应检实检",                                               \
      "Planned vs actual per subdistrict for a plan", "stat_plan",                                              \
      "subdistrict:text subdistrict_name:text planned:int reported:int corrected:int sampled:int"               \
      " completion:bp",                                                                                         \
      "plan_no subdistrict",                                                                                    \
      "SELECT t.subdistrict, " STATS__SUBDISTRICT_NAME("t.subdistrict") " AS subdistrict_name, t.planned,"      \
      " t.reported, t.corrected, t.sampled, " STATS__BP("t.sampled", "t.planned") " AS completion"              \
      " FROM (SELECT p.subdistrict, " STATS__PLAN_SUMS " FROM stat_plan p"                                      \
      " WHERE (?1 = 0 OR p.plan_id = ?1) AND (?2 = '' OR p.subdistrict = ?2) AND p.industry = ''"               \
      " GROUP BY p.subdistrict HAVING " STATS__PLAN_ANY ") t ORDER BY t.subdistrict")                           \
    X("plan_by_industry", STAT_CURRENT_PLAN, "各行业应检实检", "Planned vs actual per industry for a plan",     \
      "stat_plan, industries", "industry:text industry_name:text planned:int reported:int corrected:int",       \
      "plan_no subdistrict",                                                                                    \
      "SELECT t.industry, COALESCE((SELECT i.name FROM industries i WHERE i.code = t.industry), '')"            \
      " AS industry_name, t.planned, t.reported, t.corrected"                                                   \
      " FROM (SELECT p.industry, " STATS__PLAN_SUMS " FROM stat_plan p"                                         \
      " WHERE (?1 = 0 OR p.plan_id = ?1) AND (?2 = '' OR p.subdistrict = ?2) AND p.industry <> ''"              \
      " GROUP BY p.industry HAVING " STATS__PLAN_ANY ") t ORDER BY t.industry")                                 \
    X("completion", STAT_CURRENT_PLAN, "完成率", "Completion of a plan: sampled and reported against planned",  \
      "stat_plan",                                                                                              \
      "planned:int reported:int corrected:int sampled:int completion:bp reported_completion:bp",                \
      "plan_no subdistrict",                                                                                    \
      "SELECT t.planned, t.reported, t.corrected, t.sampled, " STATS__BP("t.sampled", "t.planned")              \
      " AS completion, " STATS__BP("t.corrected", "t.planned") " AS reported_completion"                        \
      " FROM (SELECT " STATS__PLAN_SUMS " FROM stat_plan p"                                                     \
      " WHERE (?1 = 0 OR p.plan_id = ?1) AND (?2 = '' OR p.subdistrict = ?2) AND p.industry = '') t")           \
    X("transports_in_flight", 0, "在途转运箱", "Transports in flight per subdistrict", "stat_gauges",           \
      "subdistrict:text subdistrict_name:text in_flight:int", "subdistrict",                                    \
      "SELECT g.subdistrict, " STATS__SUBDISTRICT_NAME("g.subdistrict") " AS subdistrict_name,"                 \
      " g.value AS in_flight FROM stat_gauges g WHERE g.name = 'transports_in_flight'"                          \
      " AND (?1 = '' OR g.subdistrict = ?1) AND g.value <> 0 ORDER BY g.subdistrict")                           \
    X("sites_open", 0, "开放点位数", "Sites open now per subdistrict", "stat_gauges",                           \
      "subdistrict:text subdistrict_name:text open_sites:int", "subdistrict",                                   \
      "SELECT g.subdistrict, " STATS__SUBDISTRICT_NAME("g.subdistrict") " AS subdistrict_name,"                 \
      " g.value AS open_sites FROM stat_gauges g WHERE g.name = 'sites_open'"                                   \
      " AND (?1 = '' OR g.subdistrict = ?1) AND g.value <> 0 ORDER BY g.subdistrict")                           \
    X("results_by_value", 0, "检测结果分布", "Results per value (negative, positive, invalid, pending)",        \
      "stat_gauges", "result:text results:int", "subdistrict",                                                  \
      "SELECT SUBSTR(g.name, 9) AS result, CAST(SUM(g.value) AS BIGINT) AS results FROM stat_gauges g"          \
      " WHERE g.name IN ('results_negative', 'results_positive', 'results_invalid', 'results_pending')"         \
      " AND (?1 = '' OR g.subdistrict = ?1) GROUP BY g.name HAVING SUM(g.value) <> 0 ORDER BY g.name")          \
    X("results_by_subdistrict", 0, "各街道检测结果",                                                            \
      "Results per subdistrict and value ('' = tube not sampled yet)", "stat_gauges",                           \
      "subdistrict:text subdistrict_name:text negative:int positive:int invalid:int pending:int",               \
      "subdistrict",                                                                                            \
      "SELECT t.subdistrict, " STATS__SUBDISTRICT_NAME("t.subdistrict") " AS subdistrict_name, t.negative,"     \
      " t.positive, t.invalid, t.pending FROM (SELECT g.subdistrict,"                                           \
      " CAST(SUM(CASE WHEN g.name = 'results_negative' THEN g.value ELSE 0 END) AS BIGINT) AS negative,"        \
      " CAST(SUM(CASE WHEN g.name = 'results_positive' THEN g.value ELSE 0 END) AS BIGINT) AS positive,"        \
      " CAST(SUM(CASE WHEN g.name = 'results_invalid' THEN g.value ELSE 0 END) AS BIGINT) AS invalid,"          \
      " CAST(SUM(CASE WHEN g.name = 'results_pending' THEN g.value ELSE 0 END) AS BIGINT) AS pending"           \
      " FROM stat_gauges g WHERE g.name IN ('results_negative', 'results_positive', 'results_invalid',"         \
      " 'results_pending') AND (?1 = '' OR g.subdistrict = ?1) GROUP BY g.subdistrict"                          \
      " HAVING SUM(g.value) <> 0) t ORDER BY t.subdistrict")                                                    \
    X("plan_trend", 0, "各轮次完成率", "Planned, sampled and completion of the latest plans (rounds), newest"   \
      " first, top N", "stat_plan, plans",                                                                      \
      "plan_no:text plan_name:text starts_at:ms planned:int sampled:int completion:bp", "subdistrict limit",    \
      "SELECT pl.plan_no, pl.name AS plan_name, pl.starts_at, t.planned, t.sampled, "                           \
      STATS__BP("t.sampled", "t.planned") " AS completion FROM (SELECT p.plan_id,"                              \
      " COALESCE(CAST(SUM(p.planned) AS BIGINT), 0) AS planned,"                                                \
      " COALESCE(CAST(SUM(p.sampled) AS BIGINT), 0) AS sampled FROM stat_plan p"                                \
      " WHERE (?1 = '' OR p.subdistrict = ?1) AND p.industry = '' GROUP BY p.plan_id"                           \
      " HAVING SUM(p.planned) <> 0 OR SUM(p.sampled) <> 0) t JOIN plans pl ON pl.id = t.plan_id"                \
      " ORDER BY pl.starts_at DESC, pl.id DESC LIMIT ?2")                                                       \
    X("overview", STAT_CURRENT_PLAN | STAT_ONE_ROW, "大屏总览", "Big-screen summary: scans today, the plan's"   \
      " figures, transports in flight, sites open, positive results (all so far)",                              \
      "stat_scans, stat_plan, stat_gauges, plans",                                                              \
      "plan_no:text scans_today:int sampled:int planned:int reported:int corrected:int completion:bp"           \
      " transports_in_flight:int sites_open:int positives:int",                                                 \
      "plan_no subdistrict today_from today_to",                                                                \
      "SELECT (SELECT pl.plan_no FROM plans pl WHERE pl.id = ?1) AS plan_no, s.scans_today, p.sampled,"         \
      " p.planned, p.reported, p.corrected, " STATS__BP("p.sampled", "p.planned") " AS completion,"             \
      " g.transports_in_flight, g.sites_open, g.positives"                                                      \
      " FROM (SELECT COALESCE(CAST(SUM(n) AS BIGINT), 0) AS scans_today FROM stat_scans"                        \
      " WHERE (?2 = '' OR subdistrict = ?2) AND hour >= ?3 AND hour < ?4) s,"                                   \
      " (SELECT " STATS__PLAN_SUMS " FROM stat_plan p WHERE p.plan_id = ?1 AND p.industry = ''"                 \
      " AND (?2 = '' OR p.subdistrict = ?2)) p,"                                                                \
      " (SELECT COALESCE(CAST(SUM(CASE WHEN name = 'transports_in_flight' THEN value ELSE 0 END) AS BIGINT), 0)" \
      " AS transports_in_flight,"                                                                               \
      " COALESCE(CAST(SUM(CASE WHEN name = 'sites_open' THEN value ELSE 0 END) AS BIGINT), 0) AS sites_open,"   \
      " COALESCE(CAST(SUM(CASE WHEN name = 'results_positive' THEN value ELSE 0 END) AS BIGINT), 0)"            \
      " AS positives FROM stat_gauges WHERE name IN ('transports_in_flight', 'sites_open', 'results_positive')" \
      " AND (?2 = '' OR subdistrict = ?2)) g")

/* One entry of the table. */
struct stat_def {
    const char *name;
    unsigned flags;
    const char *zh, *en, *source, *dims, *params, *sql;
};

/* The table as an array, in declaration order, and its length. */
extern const struct stat_def stats_table[];
extern const size_t stats_count;

/* stats_find returns the entry called name, or NULL. */
const struct stat_def *stats_find(const char *name);

/* stats_check verifies one entry against the rules above (name, dims, params words,
 * "subdistrict" present, ?1..?N all used and nothing beyond, no FROM/JOIN of a raw-record
 * table). 0, or ERR_INVALID with the reason appended to why. */
int stats_check(const struct stat_def *d, struct buf *why);

/* stats_catalogue returns a new JSON array describing every entry: name, description
 * {zh, en}, source, dimensions [{name, type}], filters [names], defaults (today /
 * current_plan) and one_row. */
json_t *stats_catalogue(void);

/* The filters a caller gives (NULL / has_* false = not given). */
struct stats_filter {
    const char *plan_no, *subdistrict, *site_code;
    int64_t from, to, limit;
    bool has_from, has_to, has_limit;
};

/* stats_run runs statistic d for actor a with filters f. *rows (new reference) is an
 * array of objects keyed by the dims' names; *applied (new reference, may be NULL) an
 * object with the filters as bound (plan_no, subdistrict, from, to, site_code, limit).
 * Errors, with a client-safe reason appended to why: ERR_INVALID for a filter d does not accept,
 * an unknown plan_no, site_code or subdistrict, from >= to or a limit out of range;
 * ERR_FORBIDDEN for a subdistrict outside a scoped actor's own. Storage errors as db.h. */
int stats_run(struct db *db, const struct actor *a, const struct stat_def *d, const struct stats_filter *f,
              json_t **rows, json_t **applied, struct buf *why);

/* stats_parse_time reads a query-string time: integer ms since the epoch or RFC 3339
 * with offset. ERR_INVALID otherwise. */
int stats_parse_time(const char *s, int64_t *ms);

/* stats_today returns [start, end) of the Asia/Shanghai (UTC+8) day holding now_ms. */
void stats_today(int64_t now_ms, int64_t *start, int64_t *end);

#endif
