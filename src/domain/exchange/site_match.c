/* domain/exchange/site_match.c - candidates, scores, reasons and the one-to-one assignment
 * of city rows to district sites (R2.11; see site_match.h, steps 3-5). Pure. */
#include "domain/exchange/site_match.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/vec.h"

/* Grid cells of about 1 km (longitude 0.012°, latitude 0.009° at Beijing's latitude). */
#define CELL_LON 0.012
#define CELL_LAT 0.009

struct cell_ix {
    int64_t key;
    long site;
};

struct cand {
    size_t row;
    long site;
    double score, dist, name_sim, addr_sim;
    bool sub_mismatch, sub_match, number_conflict;
};

/* numbers_conflict: both texts hold house numbers (digit runs) and share none of them
 * ("德胜门外大街15号" vs "德胜门外大街16号"): another house on the same road. */
static bool
numbers_conflict(const char *a, const char *b)
{
    long na[8], nb[8];
    size_t ka = 0, kb = 0;
    for (const char *p = a; *p && ka < 8;)
        if (*p >= '0' && *p <= '9')
            na[ka++] = strtol(p, (char **)&p, 10);
        else
            p++;
    for (const char *p = b; *p && kb < 8;)
        if (*p >= '0' && *p <= '9')
            nb[kb++] = strtol(p, (char **)&p, 10);
        else
            p++;
    if (!ka || !kb)
        return false;
    for (size_t i = 0; i < ka; i++)
        for (size_t j = 0; j < kb; j++)
            if (na[i] == nb[j])
                return false;
    return true;
}

static const char *const status_codes[SITE_MATCH__COUNT] = { "none", "auto", "review", "accepted", "rejected" };

const char *
site_match_status_code(enum site_match_status s)
{
    return (unsigned)s < SITE_MATCH__COUNT ? status_codes[s] : "none";
}

int
site_match_status_parse(const char *s, enum site_match_status *out)
{
    for (int i = 0; i < SITE_MATCH__COUNT; i++)
        if (s && strcmp(s, status_codes[i]) == 0) {
            *out = (enum site_match_status)i;
            return 0;
        }
    return -1;
}

static int64_t
cell_key(long cx, long cy)
{
    return (int64_t)cx * 1000003 + cy;
}

static int
cell_cmp(const void *a, const void *b)
{
    const struct cell_ix *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

static int
cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    double dx = x->dist < 0 ? 1e12 : x->dist, dy = y->dist < 0 ? 1e12 : y->dist;
    if (dx != dy)
        return dx < dy ? -1 : 1;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

struct norm_site {
    char name[SITE_MATCH_NORM_CAP], addr[SITE_MATCH_NORM_CAP];
};

/* score fills c's score for row r against site s. */
static void
score(const struct site_match_city *r, const char *rname, const char *raddr, const struct site_match_site *s,
      const struct norm_site *ns, struct cand *c)
{
    c->name_sim = site_match_similarity(rname, ns->name);
    /* the city's address against our address, and against our name (addresses are often
     * written into names: "广安门内大街311号院核酸点") */
    c->addr_sim = -1;
    if (raddr[0] && ns->addr[0])
        c->addr_sim = site_match_similarity(raddr, ns->addr);
    double nm = c->name_sim;
    if (raddr[0]) {
        double an = site_match_similarity(raddr, ns->name);
        if (an > nm && an >= 0.9)
            nm = (nm + an) / 2;
    }
    c->number_conflict = numbers_conflict(rname, ns->name);
    if (c->number_conflict)
        nm *= 0.4;
    c->name_sim = nm;
    c->dist = -1;
    double ds = 0;
    if (r->has_pos) {
        c->dist = geo_distance_m(r->pos, s->pos);
        ds = c->dist <= 50 ? 1 : c->dist >= 800 ? 0 : 1 - (c->dist - 50) / 750;
    }
    if (c->addr_sim >= 0)
        c->score = 0.45 * nm + 0.35 * ds + 0.20 * c->addr_sim;
    else
        c->score = 0.55 * nm + 0.45 * ds;
    c->sub_match = r->subdistrict_code[0] && strcmp(r->subdistrict_code, s->subdistrict) == 0;
    c->sub_mismatch = r->subdistrict_code[0] && !c->sub_match;
    if (c->sub_mismatch)
        c->score *= 0.85;
    if (!r->has_pos && c->score > SITE_MATCH_AUTO - 0.05)
        c->score = SITE_MATCH_AUTO - 0.05;
}

static void
reasons(const struct cand *c, struct site_match_pair *p)
{
    int n = snprintf(p->reasons, sizeof p->reasons, "名称相似度%.2f", c->name_sim);
    if (c->dist >= 0)
        n += snprintf(p->reasons + n, sizeof p->reasons - (size_t)n, "；距离%.0f米", c->dist);
    else
        n += snprintf(p->reasons + n, sizeof p->reasons - (size_t)n, "；无坐标，仅按名称");
    if (c->addr_sim >= 0)
        n += snprintf(p->reasons + n, sizeof p->reasons - (size_t)n, "；地址相似度%.2f", c->addr_sim);
    if (c->number_conflict)
        n += snprintf(p->reasons + n, sizeof p->reasons - (size_t)n, "；门牌号不同");
    if (c->sub_match)
        snprintf(p->reasons + n, sizeof p->reasons - (size_t)n, "；街道一致");
    else if (c->sub_mismatch)
        snprintf(p->reasons + n, sizeof p->reasons - (size_t)n, "；街道不一致");
}

/* candidates appends the candidate pairs of row i to *cs. */
static void
candidates(const struct site_match_city *r, size_t i, const struct site_match_site *s, size_t ns,
           const struct norm_site *norm, const struct cell_ix *cells, struct cand **cs, size_t *n, size_t *cap)
{
    char rname[SITE_MATCH_NORM_CAP], raddr[SITE_MATCH_NORM_CAP];
    site_match_norm(r->name, rname);
    site_match_norm(r->address, raddr);
    if (!r->has_pos) {
        for (size_t j = 0; j < ns; j++) {
            if (r->subdistrict_code[0] && strcmp(r->subdistrict_code, s[j].subdistrict) != 0)
                continue;
            struct cand c = { .row = i, .site = (long)j };
            score(r, rname, raddr, &s[j], &norm[j], &c);
            if (c.score >= SITE_MATCH_MIN_SCORE) {
                VEC_ROOM(*cs, *n, *cap);
                (*cs)[(*n)++] = c;
            }
        }
        return;
    }
    long cx = (long)floor(r->pos.lon / CELL_LON), cy = (long)floor(r->pos.lat / CELL_LAT);
    for (long dx = -1; dx <= 1; dx++)
        for (long dy = -1; dy <= 1; dy++) {
            struct cell_ix key = { cell_key(cx + dx, cy + dy), -1 };
            size_t lo = 0, hi = ns;
            while (lo < hi) {      /* first cell entry >= key */
                size_t mid = (lo + hi) / 2;
                if (cell_cmp(&cells[mid], &key) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t k = lo; k < ns && cells[k].key == key.key; k++) {
                const struct site_match_site *site = &s[cells[k].site];
                if (geo_distance_m(r->pos, site->pos) > SITE_MATCH_RADIUS_M)
                    continue;
                struct cand c = { .row = i, .site = cells[k].site };
                score(r, rname, raddr, site, &norm[cells[k].site], &c);
                if (c.score >= SITE_MATCH_MIN_SCORE) {
                    VEC_ROOM(*cs, *n, *cap);
                    (*cs)[(*n)++] = c;
                }
            }
        }
}

void
site_match_compute(const struct site_match_city *c, size_t nc, const struct site_match_site *s, size_t ns,
                   double auto_at, struct site_match_pair *out)
{
    struct norm_site *norm = xcalloc(ns ? ns : 1, sizeof *norm);
    struct cell_ix *cells = xcalloc(ns ? ns : 1, sizeof *cells);
    bool *taken = xcalloc(ns ? ns : 1, sizeof *taken);
    struct cand *cs = NULL;
    size_t n = 0, cap = 0;
    if (auto_at <= 0)
        auto_at = SITE_MATCH_AUTO;
    for (size_t j = 0; j < ns; j++) {
        site_match_norm(s[j].name, norm[j].name);
        site_match_norm(s[j].address, norm[j].addr);
        cells[j].key = cell_key((long)floor(s[j].pos.lon / CELL_LON), (long)floor(s[j].pos.lat / CELL_LAT));
        cells[j].site = (long)j;
    }
    qsort(cells, ns, sizeof *cells, cell_cmp);
    for (size_t i = 0; i < nc; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].site = -1;
        out[i].distance_m = -1;
        out[i].status = SITE_MATCH_NONE;
        snprintf(out[i].reasons, sizeof out[i].reasons, "%s",
                 c[i].has_pos ? "附近无相似点位" : "无坐标且无同名点位");
        candidates(&c[i], i, s, ns, norm, cells, &cs, &n, &cap);
    }
    if (n)
        qsort(cs, n, sizeof *cs, cand_cmp);
    for (size_t k = 0; k < n; k++) {
        struct site_match_pair *p = &out[cs[k].row];
        if (p->site >= 0 || taken[cs[k].site])
            continue;
        taken[cs[k].site] = true;
        p->site = cs[k].site;
        p->score = cs[k].score;
        p->distance_m = cs[k].dist;
        p->status = cs[k].score >= auto_at ? SITE_MATCH_AUTOACC : SITE_MATCH_REVIEW;
        reasons(&cs[k], p);
    }
    xfree(cs);
    xfree(taken);
    xfree(cells);
    xfree(norm);
}
