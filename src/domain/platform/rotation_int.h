/* domain/platform/rotation_int.h - what rotation.c and rotation_scan.c share (not an API). */
#ifndef JY_DOMAIN_ROTATION_INT_H
#define JY_DOMAIN_ROTATION_INT_H
#include "domain/platform/rotation.h"

#define ROTATION_MAX_COLS 5

/* One row as read: its key and the sealed values (NULL when the column is NULL); the
 * pointers are valid only during the callback. */
struct rotation_row {
    int64_t k1, k2;
    const uint8_t *val[ROTATION_MAX_COLS];
    size_t len[ROTATION_MAX_COLS];
};
typedef int (*rotation_row_fn)(const struct rotation_table *t, const struct rotation_row *r, void *arg);

/* rotation_ncols counts t's sealed columns. */
size_t rotation_ncols(const struct rotation_table *t);
/* rotation_ad writes the associated data of column col of the row with key k1. */
void rotation_ad(const struct rotation_table *t, size_t col, int64_t k1, char *out, size_t cap);
/* rotation_scan reads up to limit rows of t after (*k1, *k2) in key order, calls fn for each
 * and leaves the last key read in *k1, *k2 and the number of rows in *rows. */
int rotation_scan(struct db *db, const struct rotation_table *t, int64_t *k1, int64_t *k2, size_t limit,
                  rotation_row_fn fn, void *arg, size_t *rows);

#endif
