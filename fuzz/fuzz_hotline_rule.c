/* fuzz/fuzz_hotline_rule.c - libFuzzer target for the 12345 rule expression (R2.12):
 * domain/exchange/hotline_rule.h. The input is split at the first NUL byte (or the middle
 * of the input) into an expression and a text; the rest after a second NUL is a synonym
 * list. Checked: compile either succeeds with a rule or fails with ERR_INVALID /
 * ERR_TOO_LARGE, a message and no rule; a compiled rule's description compiles again to
 * the same description (the parenthesised form is a fixed point) and gives the same
 * verdict on the text; NOT of a rule gives the opposite verdict; category normalisation is
 * idempotent and a path is under itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "domain/exchange/hotline_rule.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *nul = memchr(p, '\0', size);
    size_t elen = nul ? (size_t)(nul - p) : size / 2;
    struct str expr = { p, elen }, text = { p + elen + (nul ? 1 : 0), 0 }, synt = { "", 0 };
    struct hotline_synonyms syn = HOTLINE_SYNONYMS_INIT;
    struct hotline_rule *r = NULL, *r2 = NULL, *neg = NULL;
    struct buf why = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT, scratch = BUF_INIT, nb = BUF_INIT;
    struct buf c1 = BUF_INIT, c2 = BUF_INIT;

    text.n = size - (size_t)(text.p - p);
    const char *nul2 = memchr(text.p, '\0', text.n);
    if (nul2) {
        synt = (struct str){ nul2 + 1, text.n - (size_t)(nul2 + 1 - text.p) };
        text.n = (size_t)(nul2 - text.p);
    }
    int src = hotline_synonyms_parse(synt, &syn, &why);
    FUZZ_CHECK(src == 0 || src == ERR_TOO_LARGE);
    buf_reset(&why);
    int rc = hotline_rule_compile(expr, &syn, &r, &why);
    if (rc) {
        FUZZ_CHECK(rc == ERR_INVALID || rc == ERR_TOO_LARGE);
        FUZZ_CHECK(r == NULL && why.len > 0);
    } else {
        FUZZ_CHECK(r != NULL);
        bool m = hotline_rule_match(r, (struct str){ "", 0 }, text, &scratch);
        hotline_rule_describe(r, &d1);
        /* the parenthesised form reads back as itself with the same verdict (unless a term
         * cannot be written back, e.g. a phrase "and"; then the descriptions differ) */
        if (hotline_rule_compile((struct str){ d1.data, d1.len }, &syn, &r2, NULL) == 0) {
            hotline_rule_describe(r2, &d2);
            if (strcmp(d1.data, d2.data) == 0)
                FUZZ_CHECK(hotline_rule_match(r2, (struct str){ "", 0 }, text, &scratch) == m);
        }
        /* NOT (rule) is the opposite verdict */
        buf_adds(&nb, "NOT (");
        buf_add(&nb, d1.data, d1.len);
        buf_adds(&nb, ")");
        if (hotline_rule_compile((struct str){ nb.data, nb.len }, &syn, &neg, NULL) == 0) {
            buf_reset(&d2);
            hotline_rule_describe(neg, &d2);
            if (strncmp(d2.data, "NOT ", 4) == 0 && strcmp(d2.data + 4, d1.data) == 0)
                FUZZ_CHECK(hotline_rule_match(neg, (struct str){ "", 0 }, text, &scratch) == !m);
        }
    }
    hotline_category_norm(text, &c1);
    hotline_category_norm((struct str){ c1.data, c1.len }, &c2);
    FUZZ_CHECK(strcmp(c1.data, c2.data) == 0);
    FUZZ_CHECK(hotline_category_under(c1.data, c1.data));
    hotline_rule_free(r);
    hotline_rule_free(r2);
    hotline_rule_free(neg);
    hotline_synonyms_release(&syn);
    buf_release(&why);
    buf_release(&d1);
    buf_release(&d2);
    buf_release(&nb);
    buf_release(&scratch);
    buf_release(&c1);
    buf_release(&c2);
    return 0;
}
