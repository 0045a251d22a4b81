/* domain/places/subdistrict_names.c - resolve hand-written subdistrict names (R3.7); see the
 * header. Reads the divisions table or the compiled-in CSV files; writes nothing. */
#include "domain/places/subdistrict_names.h"

#include <string.h>

#include "core/embedded.h"
#include "domain/places/text_norm.h"
#include "domain/platform/division.h"

#define SUBDISTRICT_KEY_MAX 128

static const char *const prefixes[] = { "北京市", "北京", "西城区" };
static const char *const suffixes[] = { "街道办事处", "街道办", "办事处", "街道" };

/* subdistrict_key writes the comparable short form of text into key; its length. */
static size_t
subdistrict_key(struct str text, char key[SUBDISTRICT_KEY_MAX])
{
    bool cut;
    size_t n = text_norm(text, 0, key, SUBDISTRICT_KEY_MAX, &cut);
    if (cut)
        return 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t pl = strlen(prefixes[i]);
        if (n > pl && memcmp(key, prefixes[i], pl) == 0) {
            memmove(key, key + pl, n - pl + 1);
            n -= pl;
        }
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n > sl && memcmp(key + n - sl, suffixes[i], sl) == 0) {
            n -= sl;
            key[n] = '\0';
            break;
        }
    }
    return n;
}

static const char *const community_suffixes[] = { "社区居委会", "居委会", "社区" };

/* community_key writes "<parent>|<short name>" into key; its length (0 when too long). */
static size_t
community_key(const char *parent, struct str text, char key[SUBDISTRICT_KEY_MAX])
{
    size_t pl = strlen(parent), n;
    bool cut;
    if (pl + 2 >= SUBDISTRICT_KEY_MAX)
        return 0;
    memcpy(key, parent, pl);
    key[pl] = '|';
    n = text_norm(text, 0, key + pl + 1, SUBDISTRICT_KEY_MAX - pl - 1, &cut);
    if (cut || !n)
        return 0;
    for (size_t i = 0; i < sizeof community_suffixes / sizeof *community_suffixes; i++) {
        size_t sl = strlen(community_suffixes[i]);
        if (n > sl && memcmp(key + pl + 1 + n - sl, community_suffixes[i], sl) == 0) {
            n -= sl;
            break;
        }
    }
    key[pl + 1 + n] = '\0';
    return pl + 1 + n;
}

void
subdistrict_names_add_community(struct subdistrict_names *r, const char *parent, const char *code,
                                const char *name)
{
    struct subdistrict_entry *e = arena_alloc(&r->arena, sizeof *e);
    char key[SUBDISTRICT_KEY_MAX];
    size_t n;
    e->code = arena_strdup(&r->arena, code);
    e->name = arena_strdup(&r->arena, name);
    if ((n = community_key(parent, str_of(code), key)) && !strmap_get(&r->communities, key, n))
        strmap_put(&r->communities, key, n, e);
    if ((n = community_key(parent, str_of(name), key)) && !strmap_get(&r->communities, key, n))
        strmap_put(&r->communities, key, n, e);
}

const struct subdistrict_entry *
subdistrict_names_community(const struct subdistrict_names *r, const char *sub, struct str text)
{
    char key[SUBDISTRICT_KEY_MAX];
    size_t n = community_key(sub, text, key);
    return n ? strmap_get(&r->communities, key, n) : NULL;
}

static void
subdistrict_put(struct subdistrict_names *r, const char *key, size_t n,
                const struct subdistrict_entry *e)
{
    if (n && !strmap_get(&r->by_key, key, n))
        strmap_put(&r->by_key, key, n, (void *)e);
}

void
subdistrict_names_add(struct subdistrict_names *r, const char *code, const char *name)
{
    struct subdistrict_entry *e = arena_alloc(&r->arena, sizeof *e);
    char key[SUBDISTRICT_KEY_MAX];
    e->code = arena_strdup(&r->arena, code);
    e->name = arena_strdup(&r->arena, name);
    subdistrict_put(r, e->code, strlen(e->code), e);
    subdistrict_put(r, key, subdistrict_key(str_of(name), key), e);
}

/* subdistrict_csv calls fn for each data line of the compiled-in data file name, split at
 * commas into at most 4 fields (our own files quote nothing that these readers use). */
static void
subdistrict_csv(const char *name, void (*fn)(struct subdistrict_names *, struct str *, size_t),
                struct subdistrict_names *r)
{
    const struct embedded_file *ef = NULL;
    for (size_t i = 0; i < embedded_data_count; i++)
        if (strcmp(embedded_data[i].path, name) == 0)
            ef = &embedded_data[i];
    if (!ef)
        return;
    struct str rest = { (const char *)ef->data, ef->len };
    bool header = true;
    while (rest.n) {
        const char *nl = memchr(rest.p, '\n', rest.n);
        struct str line = { rest.p, nl ? (size_t)(nl - rest.p) : rest.n }, f[4];
        size_t nf = 0;
        rest.p += line.n + (nl ? 1 : 0);
        rest.n -= line.n + (nl ? 1 : 0);
        line = str_trim(line);
        if (!line.n || header) {
            header = false;
            continue;
        }
        while (nf < 4) {
            const char *c = memchr(line.p, ',', line.n);
            size_t len = c ? (size_t)(c - line.p) : line.n;
            f[nf++] = str_trim((struct str){ line.p, len });
            if (!c)
                break;
            line.p += len + 1;
            line.n -= len + 1;
        }
        fn(r, f, nf);
    }
}

static void
subdistrict_alias_line(struct subdistrict_names *r, struct str *f, size_t nf)
{
    char key[SUBDISTRICT_KEY_MAX];
    const struct subdistrict_entry *e;
    if (nf < 2 || !(e = strmap_get(&r->by_key, f[1].p, f[1].n)))
        return;
    subdistrict_put(r, key, subdistrict_key(f[0], key), e);
}

void
subdistrict_names_add_aliases(struct subdistrict_names *r)
{
    subdistrict_csv("subdistrict_aliases.csv", subdistrict_alias_line, r);
}

static void
subdistrict_division_line(struct subdistrict_names *r, struct str *f, size_t nf)
{
    char code[32], parent[32], name[256];
    if (nf != 4 || f[0].n >= sizeof code || f[2].n >= sizeof parent || f[3].n >= sizeof name)
        return;
    memcpy(code, f[0].p, f[0].n);
    code[f[0].n] = '\0';
    memcpy(parent, f[2].p, f[2].n);
    parent[f[2].n] = '\0';
    memcpy(name, f[3].p, f[3].n);
    name[f[3].n] = '\0';
    if (str_eq_cstr(f[1], "2"))
        subdistrict_names_add(r, code, name);
    else if (str_eq_cstr(f[1], "3"))
        subdistrict_names_add_community(r, parent, code, name);
}

void
subdistrict_names_from_data(struct subdistrict_names *r)
{
    subdistrict_csv("divisions.csv", subdistrict_division_line, r);
    subdistrict_names_add_aliases(r);
}

int
subdistrict_names_load(struct subdistrict_names *r, struct db *db)
{
    struct arena arena = ARENA_INIT;
    struct division *items = NULL;
    size_t n = 0;
    int rc = division_list(db, DIVISION_SUBDISTRICT, NULL, &arena, &items, &n);
    for (size_t i = 0; !rc && i < n; i++)
        subdistrict_names_add(r, items[i].code, items[i].name);
    if (!rc)
        rc = division_list(db, DIVISION_COMMUNITY, NULL, &arena, &items, &n);
    for (size_t i = 0; !rc && i < n; i++)
        if (items[i].parent)
            subdistrict_names_add_community(r, items[i].parent, items[i].code, items[i].name);
    if (!rc)
        subdistrict_names_add_aliases(r);
    arena_release(&arena);
    return rc;
}

const struct subdistrict_entry *
subdistrict_names_find(const struct subdistrict_names *r, struct str text, bool *exact)
{
    char key[SUBDISTRICT_KEY_MAX];
    size_t n = subdistrict_key(text, key);
    const struct subdistrict_entry *e = n ? strmap_get(&r->by_key, key, n) : NULL;
    if (exact)
        *exact = e && (str_eq_cstr(text, e->name) || str_eq_cstr(text, e->code));
    return e;
}

void
subdistrict_names_release(struct subdistrict_names *r)
{
    strmap_release(&r->by_key);
    strmap_release(&r->communities);
    arena_release(&r->arena);
    *r = (struct subdistrict_names)SUBDISTRICT_NAMES_INIT;
}
