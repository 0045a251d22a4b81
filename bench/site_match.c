/* bench/site_match.c - quality and speed of city↔district site matching (issue 11, R2.11).
 *
 *   build/bench/site_match CITY.xlsx SITES.csv LABELS.csv [AUTO]
 *
 * Reads the district sites (SITES.csv: code,name,subdistrict,address,lon,lat in WGS-84), the
 * city export (read by domain/exchange/site_match.h exactly as the server reads it, GCJ-02
 * named by its header) and the labels (市点位编码,区点位编码; '' = no district site), runs
 * site_match_compute (the matcher the server runs; no database) and prints the times and,
 * for all proposed pairs and for the auto-accepted ones only, TP/FP/FN, precision, recall
 * and F1. A pair is right when its district code equals the label. bench/site_match.sh
 * makes the set and runs this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/strmap.h"
#include "core/time.h"
#include "domain/exchange/site_match.h"
#include "domain/places/subdistrict_names.h"
#include "io/table.h"

static void
score_print(const char *what, long tp, long fp, long fn)
{
    double p = tp + fp ? (double)tp / (double)(tp + fp) : 0, r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    printf("%-8s TP=%ld FP=%ld FN=%ld precision=%.4f recall=%.4f F1=%.4f\n", what, tp, fp, fn, p, r,
           p + r > 0 ? 2 * p * r / (p + r) : 0);
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: site_match CITY.xlsx SITES.csv LABELS.csv [AUTO]\n");
        return 2;
    }
    double auto_at = argc > 4 ? atof(argv[4]) : SITE_MATCH_AUTO;
    struct arena arena = ARENA_INIT;
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct table *t = NULL;
    struct table_row row;
    struct buf why = BUF_INIT;
    subdistrict_names_from_data(&names);

    /* district sites */
    struct site_match_site *s = NULL;
    size_t ns = 0, cap = 0;
    if (table_open_path(argv[2], &t, &why)) {
        fprintf(stderr, "sites: %s\n", why.data);
        return 1;
    }
    while (table_next_row(t, &row) == 0 && row.cells) {
        if (row.num == 1 || row.ncells < 6)
            continue;
        if (ns == cap) {
            cap = cap ? cap * 2 : 256;
            s = realloc(s, cap * sizeof *s);
        }
        const struct subdistrict_entry *e = subdistrict_names_find(&names, row.cells[2], NULL);
        s[ns].id = (int64_t)ns + 1;
        s[ns].code = arena_strndup(&arena, row.cells[0].p, row.cells[0].n);
        s[ns].name = arena_strndup(&arena, row.cells[1].p, row.cells[1].n);
        s[ns].subdistrict = e ? e->code : "";
        s[ns].address = arena_strndup(&arena, row.cells[3].p, row.cells[3].n);
        s[ns].pos.lon = atof(arena_strndup(&arena, row.cells[4].p, row.cells[4].n));
        s[ns].pos.lat = atof(arena_strndup(&arena, row.cells[5].p, row.cells[5].n));
        ns++;
    }
    table_close(t);

    /* labels */
    struct strmap labels = STRMAP_INIT;
    if (table_open_path(argv[3], &t, &why)) {
        fprintf(stderr, "labels: %s\n", why.data);
        return 1;
    }
    while (table_next_row(t, &row) == 0 && row.cells)
        if (row.num > 1)
            strmap_put(&labels, row.cells[0].p, row.cells[0].n,
                       arena_strndup(&arena, row.ncells > 1 ? row.cells[1].p : "", row.ncells > 1 ? row.cells[1].n : 0));
    table_close(t);

    /* the city file, matched */
    struct site_match_city *c;
    size_t nc;
    uint64_t header;
    int64_t t0 = time_mono_us();
    enum geo_crs crs = GEO_GCJ02;
    if (table_open_path(argv[1], &t, &why) ||
        site_match_read(t, &crs, &names, &arena, &c, &nc, &header, &why)) {
        fprintf(stderr, "city: %s\n", why.data);
        return 1;
    }
    table_close(t);
    int64_t t1 = time_mono_us();
    struct site_match_pair *p = calloc(nc ? nc : 1, sizeof *p);
    site_match_compute(c, nc, s, ns, auto_at, p);
    int64_t t2 = time_mono_us();
    printf("city rows=%zu district sites=%zu read=%.3fs match=%.3fs\n", nc, ns, (t1 - t0) / 1e6, (t2 - t1) / 1e6);

    long tp = 0, fp = 0, fn = 0, atp = 0, afp = 0, afn = 0;
    for (size_t i = 0; i < nc; i++) {
        const char *want = strmap_get(&labels, c[i].code, strlen(c[i].code));
        const char *got = p[i].site >= 0 ? s[p[i].site].code : "";
        const char *agot = p[i].status == SITE_MATCH_AUTOACC ? got : "";
        want = want ? want : "";
        tp += got[0] && strcmp(got, want) == 0;
        fp += got[0] && strcmp(got, want) != 0;
        fn += want[0] && strcmp(got, want) != 0;
        atp += agot[0] && strcmp(agot, want) == 0;
        afp += agot[0] && strcmp(agot, want) != 0;
        afn += want[0] && strcmp(agot, want) != 0;
        if (getenv("SITE_MATCH_SHOW") && strcmp(got, want) != 0)
            printf("  row %llu %s [%s] got=%s want=%s %.3f %s\n", (unsigned long long)c[i].num, c[i].code,
                   c[i].name, got, want, p[i].score, p[i].reasons);
    }
    score_print("proposed", tp, fp, fn);
    score_print("auto", atp, afp, afn);
    return 0;
}
