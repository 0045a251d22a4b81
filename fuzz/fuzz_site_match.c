/* fuzz/fuzz_site_match.c - libFuzzer target for the city site-export reader and the matcher
 * (issue 11, R2.11): domain/exchange/site_match.h over any input.
 *
 * The input is read as a table (io/table.h from an exact-size heap copy: CSV, or a zip to
 * the workbook reader) by site_match_read in GCJ-02; the rows read are matched against a
 * fixed set of district sites and also against each other's points as sites. Checked:
 * every string is non-NULL; a row with a point has it in Beijing (WGS-84); every pair has a
 * score in [0, 1], a status consistent with its site, a non-empty reason; no site is taken
 * twice; the normaliser's output fits and is idempotent-safe to compare.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "domain/exchange/site_match.h"
#include "domain/places/subdistrict_names.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;

static const struct site_match_site fixed_sites[] = {
    { 1, "XC1", "广安门内大街1号院核酸采样点", "110102017", "北京市西城区广安门内大街1号", { 116.3600, 39.8890 } },
    { 2, "XC2", "月坛社区便民核酸检测点", "110102007", "", { 116.3450, 39.9150 } },
    { 3, "XC3", "西城区体育馆(东门)核酸采样点", "110102009", "展览路1号", { 116.3400, 39.9300 } },
};

static void
check(const struct site_match_city *c, size_t nc, const struct site_match_pair *p, size_t ns)
{
    bool *taken = xcalloc(ns ? ns : 1, 1);
    for (size_t i = 0; i < nc; i++) {
        FUZZ_CHECK(p[i].score >= 0 && p[i].score <= 1.0000001);
        FUZZ_CHECK(p[i].reasons[0]);
        FUZZ_CHECK((p[i].site < 0) == (p[i].status == SITE_MATCH_NONE));
        if (p[i].site >= 0) {
            FUZZ_CHECK((size_t)p[i].site < ns && !taken[p[i].site]);
            taken[p[i].site] = true;
            FUZZ_CHECK(p[i].score >= SITE_MATCH_MIN_SCORE);
        }
        if (!c[i].has_pos)
            FUZZ_CHECK(p[i].status != SITE_MATCH_AUTOACC);
    }
    xfree(taken);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct table *t = NULL;
    struct arena arena = ARENA_INIT;
    struct site_match_city *c = NULL;
    size_t nc = 0;
    uint64_t header;
    enum geo_crs crs = GEO_GCJ02;
    if (!names.arena.head)
        subdistrict_names_from_data(&names);
    uint8_t *copy = xmalloc(size ? size : 1);
    memcpy(copy, data, size);
    if (table_open_mem(copy, size, &t, NULL) == 0 && site_match_read(t, &crs, &names, &arena, &c, &nc, &header, NULL) == 0) {
        for (size_t i = 0; i < nc; i++) {
            char norm[SITE_MATCH_NORM_CAP];
            FUZZ_CHECK(c[i].code && c[i].name && c[i].district && c[i].subdistrict && c[i].address);
            FUZZ_CHECK(c[i].subdistrict_code);
            if (c[i].has_pos)
                FUZZ_CHECK(geo_in_beijing(c[i].pos));
            FUZZ_CHECK(site_match_norm(c[i].name, norm) < SITE_MATCH_NORM_CAP);
        }
        size_t ns = sizeof fixed_sites / sizeof *fixed_sites;
        struct site_match_pair *p = xcalloc(nc ? nc : 1, sizeof *p);
        site_match_compute(c, nc, fixed_sites, ns, 0, p);
        check(c, nc, p, ns);
        /* the rows with points as the sites: a dense, adversarial site set */
        struct site_match_site *s = xcalloc(nc ? nc : 1, sizeof *s);
        size_t k = 0;
        for (size_t i = 0; i < nc && k < 2000; i++)
            if (c[i].has_pos)
                s[k++] = (struct site_match_site){ (int64_t)i + 1, c[i].code, c[i].name, c[i].subdistrict_code,
                                                   c[i].address, c[i].pos };
        site_match_compute(c, nc, s, k, 0.5, p);
        check(c, nc, p, k);
        xfree(s);
        xfree(p);
    }
    table_close(t);
    xfree(copy);
    arena_release(&arena);
    return 0;
}
