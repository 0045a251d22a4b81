/* domain/exchange/hotline_rules.c - versioned 12345 hotline rule sets (R2.12): validation with
 * the parse position, a new version per edit (old ones kept), lists with per-version runs,
 * last matched count and precision. See hotline_store.h. */
#include "domain/exchange/hotline_store.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db_value.h"
#include "domain/exchange/hotline_extract.h"
#include "domain/exchange/hotline_rule.h"
#include "domain/exchange/hotline_store_impl.h"
#include "domain/platform/audit.h"

#define HOTLINE_CATEGORIES_TEXT_MAX (16 * 1024)

static const char sql_rule_insert[] =
    "INSERT INTO hotline_rules (version, created_by, created_at) VALUES (1, ?1, ?2) RETURNING id";
static const char sql_rule_bump[] = "UPDATE hotline_rules SET version = version + 1 WHERE id = ?1 RETURNING version";
static const char sql_version_insert[] =
    "INSERT INTO hotline_rule_versions (rule_id, version, name, categories, expression, synonyms, created_by,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
#define VERSION_COLS                                                                                      \
    "SELECT v.id, v.rule_id, v.version, v.created_at, v.name, v.categories, v.expression, v.synonyms,"     \
    " v.created_by, (SELECT count(*) FROM hotline_runs r WHERE r.version_id = v.id),"                     \
    " (SELECT r.matched FROM hotline_runs r WHERE r.version_id = v.id ORDER BY r.id DESC LIMIT 1),"      \
    " (SELECT coalesce(sum(s.checked), 0) FROM hotline_samples s JOIN hotline_runs r ON r.id = s.run_id"  \
    "  WHERE r.version_id = v.id),"                                                                        \
    " (SELECT coalesce(sum(s.relevant), 0) FROM hotline_samples s JOIN hotline_runs r ON r.id = s.run_id" \
    "  WHERE r.version_id = v.id) FROM hotline_rule_versions v"
static const char sql_current[] =
    VERSION_COLS " JOIN hotline_rules h ON h.id = v.rule_id AND h.version = v.version ORDER BY v.rule_id";
static const char sql_versions[] = VERSION_COLS " WHERE v.rule_id = ?1 ORDER BY v.version DESC";

/* hotline__split_lines cuts text into its trimmed non-blank lines (in place); cap + 1 when
 * there are more than cap. */
size_t
hotline__split_lines(char *text, const char **lines, size_t cap)
{
    size_t n = 0;
    for (char *l = text; *l;) {
        char *end = l + strcspn(l, "\r\n");
        char *nextl = *end ? end + 1 : end;
        *end = '\0';
        if (str_trim(str_of(l)).n) {
            if (n == cap)
                return cap + 1;
            lines[n++] = l;
        }
        l = nextl;
    }
    return n;
}

static int
check_text(const char *what, const char *v, size_t min, size_t max, struct buf *why)
{
    size_t n = v ? strlen(v) : 0;
    bool ctl_ok = strcmp(what, "name") != 0; /* lists keep their line breaks */
    if (n < min || n > max || (n && (!str_is_utf8(v, n) || (!ctl_ok && str_has_ctl(v, n))))) {
        buf_printf(why, "'%s' must be text of %zu to %zu bytes", what, min, max);
        return n > max ? ERR_TOO_LARGE : ERR_INVALID;
    }
    return 0;
}

int
hotline_rule_check(const struct hotline_rule_def *def, struct buf *why)
{
    struct hotline_synonyms syn = HOTLINE_SYNONYMS_INIT;
    struct hotline_rule *rule = NULL;
    const char *lines[HOTLINE_MAX_CATEGORIES + 1];
    int rc;
    if ((rc = check_text("name", def->name, 1, 100, why)) ||
        (rc = check_text("categories", def->categories, 0, HOTLINE_CATEGORIES_TEXT_MAX, why)) ||
        (rc = check_text("expression", def->expression, 0, HOTLINE_RULE_MAX_TEXT, why)) ||
        (rc = check_text("synonyms", def->synonyms, 0, HOTLINE_SYN_MAX_TEXT, why)))
        return rc;
    if (!str_trim(str_of(def->name)).n) {
        buf_printf(why, "'%s' must be text of %d to %d bytes", "name", 1, 100);
        return ERR_INVALID;
    }
    char *cats = xstrdup(def->categories ? def->categories : "");
    size_t ncats = hotline__split_lines(cats, lines, HOTLINE_MAX_CATEGORIES);
    xfree(cats);
    if (ncats > HOTLINE_MAX_CATEGORIES) {
        buf_printf(why, "more than %d category filters", HOTLINE_MAX_CATEGORIES);
        return ERR_TOO_LARGE;
    }
    if (!(rc = hotline_synonyms_parse(str_of(def->synonyms ? def->synonyms : ""), &syn, why)))
        rc = hotline_rule_compile(str_of(def->expression ? def->expression : ""), &syn, &rule, why);
    hotline_rule_free(rule);
    hotline_synonyms_release(&syn);
    return rc;
}

static int
rules_version_insert(struct db *db, const struct actor *a, int64_t id, int64_t version,
                     const struct hotline_rule_def *def, int64_t now)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_version_insert, &st)) && !(rc = db_bind_i64(st, 1, id)) &&
        !(rc = db_bind_i64(st, 2, version)) && !(rc = db_bind_str(st, 3, def->name)) &&
        !(rc = db_bind_str(st, 4, def->categories ? def->categories : "")) &&
        !(rc = db_bind_str(st, 5, def->expression)) &&
        !(rc = db_bind_str(st, 6, def->synonyms ? def->synonyms : "")) && !(rc = db_bind_str(st, 7, a->name)) &&
        !(rc = db_bind_i64(st, 8, now)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
hotline_rules_save(struct app *app, struct db *db, const struct actor *a, int64_t id,
                   const struct hotline_rule_def *def, int64_t *out_id, int64_t *out_version, struct buf *why)
{
    struct db_stmt *st = NULL;
    int64_t now = time_now_ms(), version = 1;
    char detail[200];
    bool row = false;
    int rc;

    if ((rc = hotline__district(a)) || (rc = hotline_rule_check(def, why)) || (rc = db_begin(db)))
        return rc;
    if (id == 0) {
        if (!(rc = db_prepare(db, sql_rule_insert, &st)) && !(rc = db_bind_str(st, 1, a->name)) &&
            !(rc = db_bind_i64(st, 2, now)) && !(rc = db_step(st, &row)))
            id = row ? db_col_i64(st, 0) : 0;
    } else {
        if (!(rc = db_prepare(db, sql_rule_bump, &st)) && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row)))
            version = row ? db_col_i64(st, 0) : 0;
        if (!rc && !row)
            rc = ERR_NOT_FOUND;
    }
    db_done(st);
    if (!rc && !id)
        rc = ERR_INTERNAL;
    if (!rc)
        rc = rules_version_insert(db, a, id, version, def, now);
    snprintf(detail, sizeof detail, "rule=%lld version=%lld", (long long)id, (long long)version);
    if (!rc)
        rc = audit_append(db, &app->keys, a, version == 1 ? "hotline.rule.create" : "hotline.rule.update",
                          "hotline_rules", "ok", detail);
    if (!rc)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (!rc) {
        *out_id = id;
        *out_version = version;
    }
    return rc;
}

static int
versions_read(struct db_stmt *st, struct arena *arena, struct hotline_rule_version **items, size_t *n)
{
    size_t cap = 16;
    bool row = false;
    int rc;
    *items = arena_alloc(arena, cap * sizeof **items);
    *n = 0;
    while (!(rc = db_step(st, &row)) && row) {
        if (*n == cap) {
            struct hotline_rule_version *more = arena_alloc(arena, 2 * cap * sizeof *more);
            memcpy(more, *items, cap * sizeof *more);
            *items = more;
            cap *= 2;
        }
        struct hotline_rule_version *v = &(*items)[(*n)++];
        v->id = db_col_i64(st, 0);
        v->rule_id = db_col_i64(st, 1);
        v->version = db_col_i64(st, 2);
        v->created_at = db_col_i64(st, 3);
        v->name = db_col_arena(st, 4, arena);
        v->categories = db_col_arena(st, 5, arena);
        v->expression = db_col_arena(st, 6, arena);
        v->synonyms = db_col_arena(st, 7, arena);
        v->created_by = db_col_arena(st, 8, arena);
        v->runs = db_col_i64(st, 9);
        v->last_matched = db_col_is_null(st, 10) ? -1 : db_col_i64(st, 10);
        v->checked = db_col_i64(st, 11);
        v->relevant = db_col_i64(st, 12);
        v->precision = v->checked ? (double)v->relevant / (double)v->checked : -1;
    }
    return rc;
}

int
hotline_rules_list(struct app *app, struct db *db, const struct actor *a, struct arena *arena,
                   struct hotline_rule_version **items, size_t *n)
{
    struct db_stmt *st = NULL;
    int rc;
    *n = 0;
    if ((rc = hotline__district(a)))
        return rc;
    if (!(rc = db_prepare(db, sql_current, &st)))
        rc = versions_read(st, arena, items, n);
    db_done(st);
    return rc;
}

int
hotline_rule_versions(struct app *app, struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                      struct hotline_rule_version **items, size_t *n)
{
    struct db_stmt *st = NULL;
    int rc;
    *n = 0;
    if ((rc = hotline__district(a)))
        return rc;
    if (!(rc = db_prepare(db, sql_versions, &st)) && !(rc = db_bind_i64(st, 1, id)))
        rc = versions_read(st, arena, items, n);
    db_done(st);
    if (!rc && !*n)
        rc = ERR_NOT_FOUND;
    return rc;
}
