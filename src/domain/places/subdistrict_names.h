/* domain/places/subdistrict_names.h - a subdistrict written by hand → its 9-digit code
 * (R3.7: survey sheets write 广内, "西长安街 ", 广安门内街道办事处 …).
 *
 * A resolver is built from the subdistricts of the divisions table (domain/platform/
 * division.h, level 2) plus the alias list compiled in from data/subdistrict_aliases.csv
 * (alias,code). A written name resolves when, after text_norm (spaces of every kind dropped,
 * full-width folded) and dropping a leading "北京市"/"西城区" and a trailing
 * "街道办事处"/"街道办"/"办事处"/"街道", it equals a subdistrict's name shortened the same
 * way or an alias; a 9-digit code of a known subdistrict resolves to itself.
 *
 * Memory: the resolver owns copies of everything it was given; release with
 * subdistrict_names_release. Lookups are read-only and thread-safe once built.
 */
#ifndef JY_DOMAIN_PLACES_SUBDISTRICT_NAMES_H
#define JY_DOMAIN_PLACES_SUBDISTRICT_NAMES_H
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/str.h"
#include "core/strmap.h"
#include "db/db.h"

struct subdistrict_names {
    struct strmap by_key;   /* normalised short name, alias or code → struct subdistrict_entry * */
    struct strmap communities; /* "<subdistrict code>|<short name or code>" → struct subdistrict_entry * */
    struct arena arena;
};
#define SUBDISTRICT_NAMES_INIT { STRMAP_INIT, STRMAP_INIT, ARENA_INIT }

struct subdistrict_entry {
    const char *code, *name;  /* "110102017", "广安门内街道" */
};

/* subdistrict_names_add_community registers community code (12 digits) with its official
 * name under subdistrict parent. Communities resolve within their subdistrict only, by
 * code or by name with 社区居委会/居委会/社区 dropped ("西便门西里社区" → 西便门西里社区居委会). */
void subdistrict_names_add_community(struct subdistrict_names *r, const char *parent, const char *code,
                                     const char *name);
/* subdistrict_names_community resolves a written community of subdistrict sub; NULL when
 * nothing matches. */
const struct subdistrict_entry *subdistrict_names_community(const struct subdistrict_names *r,
                                                            const char *sub, struct str text);

/* subdistrict_names_add registers subdistrict code with its official name. */
void subdistrict_names_add(struct subdistrict_names *r, const char *code, const char *name);
/* subdistrict_names_add_aliases registers the compiled-in aliases whose code was added
 * before (aliases of unknown codes are ignored). */
void subdistrict_names_add_aliases(struct subdistrict_names *r);
/* subdistrict_names_load = add every level-2 and level-3 division of db, then the aliases. Errors of
 * division_list (ERR_DB …). */
int subdistrict_names_load(struct subdistrict_names *r, struct db *db);
/* subdistrict_names_from_data builds from the compiled-in data/divisions.csv (no database:
 * fuzz targets and pure tests). */
void subdistrict_names_from_data(struct subdistrict_names *r);

/* subdistrict_names_find resolves written text; NULL when nothing matches. *exact (may be
 * NULL) is true when text was already the official name or code with nothing to tidy. */
const struct subdistrict_entry *subdistrict_names_find(const struct subdistrict_names *r,
                                                       struct str text, bool *exact);

void subdistrict_names_release(struct subdistrict_names *r);

#endif
