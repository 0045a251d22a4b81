/* tests/unit/core/test_i18n_coverage.c - every English error detail the server writes has
 * a catalogue row (issue 14: messages in the user's language; R-i18n).
 *
 * Scans src/ (JIAYUAN_SRC) for the English format literals passed to the error-detail
 * sites: req_fail (3rd argument), ingest_reject (3rd), geo_fail / place_geom_fail (2nd),
 * mp_fail / xlsx__xml_fail / batch__fail / webhooks_fail / imp_reject (3rd), buf_adds /
 * buf_printf into a `why` or `msg` buffer (2nd) and the stored batch-job error (run_finish). Adjacent literals are joined, PRIu64 and friends expanded as on LP64,
 * each literal of a ?: taken on its own, literals inside a nested call skipped. Each literal, with its conversions standing for
 * any text, must be found by i18n_translate; the test fails listing every one that is not.
 * src/cli is left out: the console's messages never pass through the error envelope.
 * A literal made only of conversions ("%s": a detail passed through) is skipped.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/i18n.h"

struct site {
    const char *call; /* the callee, matched as a whole identifier followed by '(' */
    const char *first; /* the first argument must start with one of these ('|'-separated), or NULL */
    int arg;          /* the 1-based argument holding the format */
};

static const struct site sites[] = {
    { "req_fail", NULL, 3 },
    { "ingest_reject", NULL, 3 },
    { "geo_fail", NULL, 2 },
    { "place_geom_fail", NULL, 2 },
    { "buf_adds", "why|&why|msg|&msg|ps->why|m->why", 2 },
    { "buf_printf", "why|&why|msg|&msg|ps->why|m->why", 2 },
    { "run_finish", NULL, 4 },
    { "mp_fail", NULL, 3 },
    { "xlsx__xml_fail", NULL, 3 },
    { "batch__fail", NULL, 3 },
    { "webhooks_fail", NULL, 3 },
    { "imp_reject", NULL, 3 },
};

struct scan {
    size_t literals, missing;
    char report[131072];
    size_t at;
};

/* lit_append decodes the C string literal at p (p[0] == '"') onto out; returns the
 * position after its closing quote. */
static const char *
lit_append(const char *p, char *out, size_t cap, size_t *len)
{
    p++;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\' && *p) {
            char e = *p++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        if (*len + 1 < cap)
            out[(*len)++] = c;
    }
    out[*len] = '\0';
    return *p ? p + 1 : p;
}

static const char *
skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* macro_text gives the LP64 expansion of an inttypes macro at p (and its length). */
static const char *
macro_text(const char *p, size_t *n)
{
    static const char *const names[][2] = {
        { "PRIu64", "lu" }, { "PRId64", "ld" }, { "PRIi64", "li" }, { "PRIx64", "lx" },
        { "PRIu32", "u" },  { "PRId32", "d" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t k = strlen(names[i][0]);
        if (strncmp(p, names[i][0], k) == 0) {
            *n = k;
            return names[i][1];
        }
    }
    return NULL;
}

static bool
only_conversions(const char *s)
{
    for (; *s; s++) {
        if (*s != '%')
            return false;
        s++;
        while (*s && strchr("-+ #0123456789.*hlLjzt", *s))
            s++;
        if (!*s)
            return true;
    }
    return true;
}

static void
check_literal(struct scan *sc, const char *file, const char *src, const char *at, const char *text)
{
    char out[1024];
    if (!text[0] || only_conversions(text))
        return;
    sc->literals++;
    if (i18n_translate(text, I18N_ZH, out, sizeof out))
        return;
    size_t line = 1;
    for (const char *q = src; q < at; q++)
        line += *q == '\n';
    sc->missing++;
    int w = snprintf(sc->report + sc->at, sizeof sc->report - sc->at, "  %s:%zu: \"%s\"\n", file, line, text);
    if (w > 0 && sc->at + (size_t)w < sizeof sc->report)
        sc->at += (size_t)w;
}

/* scan_arg walks one argument from p to its ',' or ')' at depth 0, checking each run of
 * adjacent literals; returns the position of that delimiter. */
static const char *
scan_arg(struct scan *sc, const char *file, const char *src, const char *p)
{
    int depth = 0;
    char text[1024];
    while (*p) {
        if (*p == '"') {
            const char *start = p;
            size_t len = 0;
            text[0] = '\0';
            for (;;) {
                size_t mn = 0;
                const char *m;
                if (*p == '"') {
                    p = lit_append(p, text, sizeof text, &len);
                } else if ((m = macro_text(p, &mn))) {
                    size_t k = strlen(m);
                    if (len + k + 1 < sizeof text) {
                        memcpy(text + len, m, k + 1);
                        len += k;
                    }
                    p += mn;
                } else {
                    break;
                }
                p = skip_space(p);
            }
            if (depth == 0) /* a literal inside a nested call (strcmp(x, "site")) is no format */
                check_literal(sc, file, src, start, text);
            continue;
        }
        if (*p == '\'') { /* a character literal */
            p++;
            if (*p == '\\')
                p++;
            if (*p)
                p++;
            if (*p == '\'')
                p++;
            continue;
        }
        if (*p == '(' || *p == '[' || *p == '{')
            depth++;
        else if (*p == ')' || *p == ']' || *p == '}') {
            if (depth == 0)
                return p;
            depth--;
        } else if (*p == ',' && depth == 0)
            return p;
        p++;
    }
    return p;
}

static bool
first_arg_ok(const struct site *s, const char *p)
{
    if (!s->first)
        return true;
    p = skip_space(p);
    char list[64];
    snprintf(list, sizeof list, "%s", s->first);
    for (char *tok = strtok(list, "|"); tok; tok = strtok(NULL, "|")) {
        size_t k = strlen(tok);
        if (strncmp(p, tok, k) == 0 && (p[k] == ',' || p[k] == ' '))
            return true;
    }
    return false;
}

static bool
is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void
scan_source(struct scan *sc, const char *file, const char *src)
{
    for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
        const struct site *s = &sites[i];
        size_t k = strlen(s->call);
        for (const char *p = strstr(src, s->call); p; p = strstr(p + k, s->call)) {
            if ((p > src && is_ident(p[-1])) || p[k] != '(')
                continue;
            const char *q = p + k + 1;
            if (!first_arg_ok(s, q))
                continue;
            /* skip to the format argument without checking the ones before it */
            for (int a = 1; a < s->arg && *q; a++) {
                struct scan ignore = { 0 };
                q = scan_arg(&ignore, file, src, q);
                if (*q != ',')
                    break;
                q++;
            }
            if (*q && q[-1] == ',')
                scan_arg(sc, file, src, q);
        }
    }
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    size_t got = p ? fread(p, 1, (size_t)n, f) : 0;
    fclose(f);
    if (p)
        p[got] = '\0';
    return p;
}

static void
scan_dir(struct scan *sc, const char *root, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        char sub[2048], full[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (strcmp(sub, "src/cli") != 0)
                scan_dir(sc, root, sub);
            continue;
        }
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        char *text = slurp(full);
        assert_non_null(text);
        scan_source(sc, sub, text);
        free(text);
    }
    closedir(d);
}

static void
test_every_detail_catalogued(void **state)
{
    (void)state;
    const char *root = getenv("JIAYUAN_SRC");
    if (!root)
        skip();
    static struct scan sc;
    memset(&sc, 0, sizeof sc);
    scan_dir(&sc, root, "src");
    if (sc.missing)
        fprintf(stderr, "%zu of %zu English error details have no catalogue row (core/i18n_table.h):\n%s",
                sc.missing, sc.literals, sc.report);
    assert_true(sc.literals > 300); /* the scan really found the sites */
    assert_int_equal(sc.missing, 0);
}

/* The scanner itself: a missing literal is reported, joined literals and PRIu64 handled. */
static void
test_scanner_finds(void **state)
{
    (void)state;
    static struct scan sc;
    memset(&sc, 0, sizeof sc);
    scan_source(&sc, "x.c",
                "int f(void) { return req_fail(req, ERR_INVALID, \"the file \" \"is empty\"); }\n"
                "int g(void) { buf_printf(why, \"no such thing %\" PRIu64 \" here\", n); }\n"
                "int h(void) { buf_adds(other, \"not a site\"); ingest_reject(out, \"f\", c ? \"%s\" : "
                "\"nobody wrote this\"); }\n");
    assert_int_equal(sc.literals, 3);
    assert_int_equal(sc.missing, 2);
    assert_non_null(strstr(sc.report, "x.c:2: \"no such thing %lu here\""));
    assert_non_null(strstr(sc.report, "x.c:3: \"nobody wrote this\""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_finds),
        cmocka_unit_test(test_every_detail_catalogued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
