/* core/embedded.h - files compiled into the binary by tools/embed.c.
 *
 * embedded_migrations: src/db/migrations/NNNN_name.sql sorted by name. embedded_data: data/NAME.csv
 * (reference data loaded on first start) and data/outlines/NAME.geojson (map outlines). embedded_ui: the built web
 * UI (web/dist), empty when the UI was not built. Arrays end with a zeroed entry; data is
 * NUL-terminated for convenience (len excludes it). sha256/sm3 are lowercase hex digests
 * computed at build time (the S2 manifest).
 */
#ifndef JY_CORE_EMBEDDED_H
#define JY_CORE_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
    const char *path;
    const unsigned char *data;
    size_t len;
    const char *sha256, *sm3;
};

extern const struct embedded_file embedded_migrations[];
extern const size_t embedded_migrations_count;
extern const struct embedded_file embedded_data[];
extern const size_t embedded_data_count;
extern const struct embedded_file embedded_ui[];
extern const size_t embedded_ui_count;

#endif
