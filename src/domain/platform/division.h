/* domain/platform/division.h - administrative divisions (GB/T 2260) and industries (GB/T 4754):
 * the reference data every record is keyed by (R1.x, R2.8, R2.9).
 *
 * Loaded on first start from the CSV files compiled into the binary (data/NAME.csv).
 */
#ifndef JY_DOMAIN_DIVISION_H
#define JY_DOMAIN_DIVISION_H
#include <stddef.h>

#include "core/arena.h"
#include "db/db.h"

#define DIVISION_DISTRICT 1
#define DIVISION_SUBDISTRICT 2
#define DIVISION_COMMUNITY 3

struct division {
    const char *code, *parent, *name;
    int level;
};

/* reference_seed loads divisions and industries when their tables are empty. */
int reference_seed(struct db *db);
/* division_get: ERR_NOT_FOUND when code is not a known division; strings in arena. */
int division_get(struct db *db, const char *code, struct arena *arena, struct division *out);
/* division_list returns divisions of level (0 = any) under parent (NULL = any), by code. */
int division_list(struct db *db, int level, const char *parent, struct arena *arena,
                  struct division **items, size_t *n);
struct industry {
    const char *code, *name, *name_en;
};
/* industry_list returns the industries (GB/T 4754 sections unless imported), by code. */
int industry_list(struct db *db, struct arena *arena, struct industry **items, size_t *n);

/* division_is_subdistrict: 0 when code names a subdistrict, else ERR_INVALID. */
int division_check_subdistrict(struct db *db, const char *code);

#endif
