/* tests/unit/domain/exchange/test_hotline_rule.c - the 12345 rule expression (R2.12, issue 11
 * interface contract): the precedence table (NOT > AND > OR, side by side = AND, `A NOT B` =
 * `A AND NOT B`), every operator with its truth table, phrases, full-width folding, Latin
 * case, synonyms, every error, and the category prefix filter at level boundaries. Pure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "domain/exchange/hotline_rule.h"

/* describe returns how expr was read (static storage); fails the test on a parse error. */
static const char *
describe(const char *expr)
{
    static char out[512];
    struct hotline_rule *r = NULL;
    struct buf b = BUF_INIT, why = BUF_INIT;
    int rc = hotline_rule_compile(str_of(expr), NULL, &r, &why);
    if (rc)
        fail_msg("'%s': %s", expr, why.data);
    hotline_rule_describe(r, &b);
    snprintf(out, sizeof out, "%s", b.data);
    hotline_rule_free(r);
    buf_release(&b);
    buf_release(&why);
    return out;
}

static bool
matches_syn(const char *expr, const struct hotline_synonyms *syn, const char *title, const char *content)
{
    struct hotline_rule *r = NULL;
    struct buf scratch = BUF_INIT, why = BUF_INIT;
    if (hotline_rule_compile(str_of(expr), syn, &r, &why))
        fail_msg("'%s': %s", expr, why.data);
    bool m = hotline_rule_match(r, str_of(title), str_of(content), &scratch);
    hotline_rule_free(r);
    buf_release(&scratch);
    buf_release(&why);
    return m;
}

static bool
matches(const char *expr, const char *text)
{
    return matches_syn(expr, NULL, "", text);
}

static void
test_precedence(void **state)
{
    static const struct {
        const char *expr, *read;
    } table[] = {
        { "A", "a" },
        { "A OR B AND C", "(a OR (b AND c))" },
        { "A AND B OR C", "((a AND b) OR c)" },
        { "NOT A AND B", "(NOT a AND b)" },
        { "NOT A OR B", "(NOT a OR b)" },
        { "A NOT B", "(a AND NOT b)" },
        { "A B", "(a AND b)" },
        { "A B OR C", "((a AND b) OR c)" },
        { "A OR B NOT C", "(a OR (b AND NOT c))" },
        { "NOT NOT A", "NOT NOT a" },
        { "NOT (A OR B)", "NOT (a OR b)" },
        { "(A OR B) AND C", "((a OR b) AND c)" },
        { "A AND B AND C", "((a AND b) AND c)" },
        { "A OR B OR C", "((a OR b) OR c)" },
        { "核酸 AND (排队 OR 人多) NOT 疫苗", "((核酸 AND (排队 OR 人多)) AND NOT 疫苗)" },
        { "a and b or not c", "((a AND b) OR NOT c)" },
        { "ＡＮＤ（Ａ ＯＲ Ｂ）", NULL }, /* an operator first: an error, checked below */
        { "（核酸 ｏｒ 检测）　排队", "((核酸 OR 检测) AND 排队)" },
        { "\"AND\" OR \"a b\"", "(and OR \"a b\")" },
        { "“排 队” 核酸", "(\"排 队\" AND 核酸)" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (!table[i].read)
            continue;
        assert_string_equal(describe(table[i].expr), table[i].read);
    }
}

static void
test_operators(void **state)
{
    (void)state;
    /* AND */
    assert_true(matches("核酸 AND 排队", "核酸点排队"));
    assert_false(matches("核酸 AND 排队", "核酸点"));
    assert_false(matches("核酸 AND 排队", "排队"));
    /* OR */
    assert_true(matches("排队 OR 人多", "人多"));
    assert_true(matches("排队 OR 人多", "排队"));
    assert_false(matches("排队 OR 人多", "核酸"));
    /* NOT */
    assert_true(matches("NOT 疫苗", "核酸"));
    assert_false(matches("NOT 疫苗", "疫苗"));
    /* NOT binds tighter than AND, AND than OR */
    assert_true(matches("A OR B AND C", "a"));       /* a ∨ (b ∧ c) */
    assert_false(matches("A OR B AND C", "b"));
    assert_true(matches("A AND B OR C", "c"));       /* (a ∧ b) ∨ c */
    assert_false(matches("A AND (B OR C)", "c"));
    assert_true(matches("NOT A AND B", "b"));        /* (¬a) ∧ b */
    assert_false(matches("NOT A AND B", "ab"));
    assert_true(matches("NOT (A AND B)", "a"));
    /* A NOT B = A AND NOT B */
    assert_true(matches("核酸 NOT 疫苗", "核酸排队"));
    assert_false(matches("核酸 NOT 疫苗", "核酸疫苗"));
    assert_false(matches("核酸 NOT 疫苗", "排队"));
    /* the contract's example */
    const char *ex = "核酸 AND (排队 OR 人多) NOT 疫苗";
    assert_true(matches(ex, "核酸点排队两小时"));
    assert_true(matches(ex, "核酸点人多"));
    assert_false(matches(ex, "核酸点人多，疫苗也在"));
    assert_false(matches(ex, "核酸结果没出"));
    assert_false(matches(ex, "排队人多"));
}

static void
test_terms(void **state)
{
    (void)state;
    /* title + content, never spanning the two */
    assert_true(matches_syn("核酸 AND 排队", NULL, "核酸", "排队"));
    assert_false(matches_syn("核酸排队", NULL, "核酸", "排队"));
    /* phrases keep their spaces; words do not span them */
    assert_true(matches("\"pcr test\"", "a PCR test here"));
    assert_false(matches("\"pcr test\"", "pcr, test"));
    assert_true(matches("pcr test", "pcr, test"));
    assert_true(matches("“排队 两小时”", "排队 两小时"));
    /* Latin case, full-width letters and digits, in either the rule or the text */
    assert_true(matches("PCR", "pcr"));
    assert_true(matches("pcr", "ＰＣＲ"));
    assert_true(matches("ＰＣＲ", "Pcr"));
    assert_true(matches("12345", "１２３４５热线"));
    assert_true(matches("\"a b\"", "Ａ　Ｂ")); /* U+3000 is a space */
    /* operators as words need quotes; lower-case operators are operators */
    assert_true(matches("\"not\"", "do not"));
    assert_true(matches("a or b", "b"));
    /* a word is a substring: no word boundaries in Chinese */
    assert_true(matches("核酸", "做核酸检测"));
}

static void
test_synonyms(void **state)
{
    struct hotline_synonyms syn = HOTLINE_SYNONYMS_INIT;
    struct buf why = BUF_INIT;
    (void)state;
    assert_int_equal(hotline_synonyms_parse(STR_LIT("核酸, 核检、做检测\n排队 = 人多；PCR\n单独\n"), &syn, &why), 0);
    assert_int_equal(syn.ngroups, 2);
    assert_int_equal(syn.n, 6);
    assert_true(matches_syn("核酸 AND 排队", &syn, "", "做检测人多"));
    assert_true(matches_syn("核检", &syn, "", "核酸"));
    assert_true(matches_syn("人多", &syn, "", "ＰＣＲ"));
    assert_false(matches_syn("核酸 AND 排队", &syn, "", "做检测"));
    assert_false(matches_syn("单独", &syn, "", "核酸")); /* a one-word line is no group */
    assert_false(matches_syn("核酸 AND 排队", NULL, "", "做检测人多"));
    hotline_synonyms_release(&syn);
    buf_release(&why);
}

static void
test_errors(void **state)
{
    static const struct {
        const char *expr;
        int rc;
        const char *why;
    } bad[] = {
        { "", ERR_INVALID, "a term is missing" },
        { "   ", ERR_INVALID, "a term is missing" },
        { "A AND", ERR_INVALID, "a term is missing" },
        { "AND A", ERR_INVALID, "an operator needs a term" },
        { "A OR OR B", ERR_INVALID, "an operator needs a term" },
        { "NOT", ERR_INVALID, "a term is missing" },
        { "(A OR B", ERR_INVALID, "missing ')'" },
        { "A OR B)", ERR_INVALID, "unexpected ')'" },
        { "()", ERR_INVALID, "unexpected ')'" },
        { "\"unterminated", ERR_INVALID, "unterminated phrase" },
        { "A \"\"", ERR_INVALID, "empty phrase" },
        { "ＡＮＤ（Ａ ＯＲ Ｂ）", ERR_INVALID, "an operator needs a term" },
    };
    char deep[200];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct hotline_rule *r = (struct hotline_rule *)&deep; /* must be reset to NULL */
        struct buf why = BUF_INIT;
        assert_int_equal(hotline_rule_compile(str_of(bad[i].expr), NULL, &r, &why), bad[i].rc);
        assert_null(r);
        if (!strstr(why.data, bad[i].why))
            fail_msg("'%s': '%s' lacks '%s'", bad[i].expr, why.data, bad[i].why);
        buf_release(&why);
    }
    /* nesting and size caps */
    memset(deep, '(', 100);
    deep[100] = 'a';
    memset(deep + 101, ')', 98);
    deep[199] = '\0';
    struct hotline_rule *r = NULL;
    assert_int_equal(hotline_rule_compile(str_of(deep), NULL, &r, NULL), ERR_TOO_LARGE);
    struct buf big = BUF_INIT;
    for (int i = 0; i < 300; i++)
        buf_adds(&big, "x OR ");
    buf_adds(&big, "y");
    assert_int_equal(hotline_rule_compile((struct str){ big.data, big.len }, NULL, &r, NULL), ERR_TOO_LARGE);
    buf_release(&big);
}

static void
test_categories(void **state)
{
    struct buf a = BUF_INIT, p = BUF_INIT;
    (void)state;
    hotline_category_norm(STR_LIT(" 卫生健康 ／ 核酸检测 /排队时间长 "), &a);
    assert_string_equal(a.data, "卫生健康/核酸检测/排队时间长");
    hotline_category_norm(STR_LIT("卫生健康/核酸检测"), &p);
    assert_true(hotline_category_under(a.data, p.data));
    assert_true(hotline_category_under("卫生健康/核酸检测", p.data));
    assert_false(hotline_category_under("卫生健康/核酸检测点", p.data));
    assert_false(hotline_category_under("卫生健康", p.data));
    assert_true(hotline_category_under("城市管理", ""));
    hotline_category_norm(STR_LIT("/卫生健康//"), &p);
    assert_string_equal(p.data, "卫生健康");
    assert_true(hotline_category_under(a.data, p.data));
    hotline_category_norm(STR_LIT("ＡＢＣ/Ｘ"), &p);
    assert_string_equal(p.data, "abc/x");
    buf_release(&a);
    buf_release(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence), cmocka_unit_test(test_operators),
        cmocka_unit_test(test_terms),      cmocka_unit_test(test_synonyms),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_categories),
    };
    return cmocka_run_group_tests_name("hotline_rule", tests, NULL, NULL);
}
