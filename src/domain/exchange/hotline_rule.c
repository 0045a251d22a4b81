/* domain/exchange/hotline_rule.c - the hotline keyword expression: folding, lexing, a
 * recursive-descent parser to postfix form, the evaluator, synonyms and the category prefix
 * filter (R2.12). Pure: no database, no I/O. Semantics are stated in hotline_rule.h. */
#include "domain/exchange/hotline_rule.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/vec.h"

enum node_kind { NODE_TERM, NODE_NOT, NODE_AND, NODE_OR };

struct node {
    enum node_kind kind;
    size_t term;                /* NODE_TERM: index into terms */
};

struct term {
    char *text;                 /* folded, as written */
    char **needles;             /* text and its synonyms, folded */
    size_t n;
};

struct hotline_rule {
    struct node *nodes;         /* postfix */
    size_t n, cap;
    struct term *terms;
    size_t nterms, capterms;
};

enum tok_kind { TOK_END, TOK_LP, TOK_RP, TOK_AND, TOK_OR, TOK_NOT, TOK_TERM };

struct parser {
    const char *p;              /* width-folded expression */
    size_t n, i;
    enum tok_kind tok;
    size_t tok_at;              /* offset of the current token */
    struct str word;            /* TOK_TERM: the term as written (width-folded) */
    int depth, rc;
    struct buf *why;
    const struct hotline_synonyms *syn;
    struct hotline_rule *r;
};

static void
fold_cp(struct buf *out, uint32_t cp, bool lower)
{
    cp = utf8_fold_width(cp);
    if (lower && cp >= 'A' && cp <= 'Z')
        cp += 'a' - 'A';
    utf8_put(out, cp);
}

void
hotline_fold(struct str in, struct buf *out)
{
    for (size_t i = 0; i < in.n;)
        fold_cp(out, utf8_next_or_fffd(in.p, in.n, &i), true);
}

/* ---- synonyms ---- */

static bool
syn_is_sep(uint32_t cp)
{
    return utf8_is_space(cp) || cp == ',' || cp == 0xFF0C || cp == 0x3001 || cp == ';' ||
           cp == 0xFF1B || cp == '=' || cp == 0xFF1D;
}

/* syn_add appends the folded word w to s as a member of group s->ngroups. */
static int
syn_add(struct hotline_synonyms *s, struct buf *w, struct buf *why)
{
    if (s->n >= HOTLINE_SYN_MAX_WORDS) {
        if (why)
            buf_printf(why, "synonyms: more than %d words", HOTLINE_SYN_MAX_WORDS);
        return ERR_TOO_LARGE;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->words = xrealloc(s->words, s->cap * sizeof *s->words);
        s->group = xrealloc(s->group, s->cap * sizeof *s->group);
    }
    s->words[s->n] = xstrdup(w->data);
    s->group[s->n++] = s->ngroups;
    buf_reset(w);
    return 0;
}

int
hotline_synonyms_parse(struct str text, struct hotline_synonyms *out, struct buf *why)
{
    struct buf w = BUF_INIT;
    size_t i = 0, line_start = out->n;
    int rc = ERR_TOO_LARGE;
    if (text.n > HOTLINE_SYN_MAX_TEXT) {
        if (why)
            buf_printf(why, "synonyms: more than %d bytes", HOTLINE_SYN_MAX_TEXT);
        goto out;
    }
    for (;;) {
        bool end = i >= text.n;
        uint32_t cp = end ? '\n' : utf8_next_or_fffd(text.p, text.n, &i);
        if (cp != '\n' && cp != '\r' && !syn_is_sep(cp)) {
            fold_cp(&w, cp, true);
            continue;
        }
        if (w.len && (rc = syn_add(out, &w, why)))
            goto out;
        if (cp == '\n' || cp == '\r') {
            if (out->n - line_start >= 2)
                out->ngroups++;
            else
                while (out->n > line_start)
                    xfree(out->words[--out->n]);
            line_start = out->n;
        }
        if (end)
            break;
    }
    rc = 0;
out:
    buf_release(&w);
    return rc;
}

void
hotline_synonyms_release(struct hotline_synonyms *s)
{
    for (size_t i = 0; i < s->n; i++)
        xfree(s->words[i]);
    xfree(s->words);
    xfree(s->group);
    *s = (struct hotline_synonyms)HOTLINE_SYNONYMS_INIT;
}

/* ---- lexer ---- */

static bool
is_open_quote(uint32_t cp)
{
    return cp == '"' || cp == 0x201C || cp == 0x201D;
}

static bool
is_word_end(uint32_t cp)
{
    return utf8_is_space(cp) || cp == '(' || cp == ')' || is_open_quote(cp);
}

static int
fail(struct parser *ps, int rc, const char *what, size_t at)
{
    if (!ps->rc) {
        ps->rc = rc;
        if (ps->why)
            buf_printf(ps->why, "rule: %s at offset %zu", what, at);
    }
    return ps->rc;
}

static bool
word_is(struct str w, const char *op)
{
    size_t n = strlen(op);
    if (w.n != n)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = w.p[k];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != op[k])
            return false;
    }
    return true;
}

/* lex reads the next token of ps into ps->tok. */
static int
lex(struct parser *ps)
{
    size_t j;
    uint32_t cp;
    if (ps->rc)
        return ps->rc;
    for (;;) {
        if (ps->i >= ps->n) {
            ps->tok = TOK_END;
            ps->tok_at = ps->n;
            return 0;
        }
        j = ps->i;
        cp = utf8_next_or_fffd(ps->p, ps->n, &j);
        if (!utf8_is_space(cp))
            break;
        ps->i = j;
    }
    ps->tok_at = ps->i;
    if (cp == '(' || cp == ')') {
        ps->tok = cp == '(' ? TOK_LP : TOK_RP;
        ps->i = j;
        return 0;
    }
    if (is_open_quote(cp)) {
        size_t start = j, end = j;
        for (;;) {
            if (end >= ps->n)
                return fail(ps, ERR_INVALID, "unterminated phrase", ps->tok_at);
            size_t k = end;
            uint32_t c = utf8_next_or_fffd(ps->p, ps->n, &k);
            if (is_open_quote(c) && c != 0x201C)
                break;
            end = k;
        }
        ps->word = (struct str){ ps->p + start, end - start };
        ps->i = end + (ps->p[end] == '"' ? 1 : 3);
        if (!ps->word.n)
            return fail(ps, ERR_INVALID, "empty phrase", ps->tok_at);
        ps->tok = TOK_TERM;
        return 0;
    }
    size_t start = ps->i, end = ps->i;
    while (end < ps->n) {
        size_t k = end;
        if (is_word_end(utf8_next_or_fffd(ps->p, ps->n, &k)))
            break;
        end = k;
    }
    ps->i = end;
    ps->word = (struct str){ ps->p + start, end - start };
    ps->tok = word_is(ps->word, "AND") ? TOK_AND
            : word_is(ps->word, "OR")  ? TOK_OR
            : word_is(ps->word, "NOT") ? TOK_NOT
                                       : TOK_TERM;
    return 0;
}

/* ---- parser: or := and (OR and)* ; and := not ([AND] not)* ; not := NOT not | primary ;
 * primary := TERM | '(' or ')' ---- */

static void
emit(struct parser *ps, enum node_kind kind, size_t term)
{
    VEC_ROOM(ps->r->nodes, ps->r->n, ps->r->cap);
    ps->r->nodes[ps->r->n++] = (struct node){ kind, term };
}

static int
add_term(struct parser *ps)
{
    struct buf f = BUF_INIT;
    struct term t = { NULL, NULL, 0 };
    struct hotline_rule *r = ps->r;
    if (r->nterms >= HOTLINE_RULE_MAX_TERMS)
        return fail(ps, ERR_TOO_LARGE, "too many terms", ps->tok_at);
    hotline_fold(ps->word, &f);
    t.text = buf_detach(&f, NULL);
    t.needles = xcalloc(1, sizeof *t.needles);
    t.needles[t.n++] = xstrdup(t.text);
    if (ps->syn) {
        for (size_t k = 0; k < ps->syn->n; k++) {
            if (strcmp(ps->syn->words[k], t.text) != 0)
                continue;
            for (size_t m = 0; m < ps->syn->n; m++) {
                if (ps->syn->group[m] != ps->syn->group[k] || strcmp(ps->syn->words[m], t.text) == 0)
                    continue;
                t.needles = xrealloc(t.needles, (t.n + 1) * sizeof *t.needles);
                t.needles[t.n++] = xstrdup(ps->syn->words[m]);
            }
        }
    }
    VEC_ROOM(r->terms, r->nterms, r->capterms);
    r->terms[r->nterms] = t;
    emit(ps, NODE_TERM, r->nterms++);
    return 0;
}

static int parse_or(struct parser *ps);

static int
parse_not(struct parser *ps)
{
    if (ps->depth >= HOTLINE_RULE_MAX_DEPTH)
        return fail(ps, ERR_TOO_LARGE, "nested too deeply", ps->tok_at);
    switch (ps->tok) {
    case TOK_NOT:
        ps->depth++;
        if (!lex(ps) && !parse_not(ps))
            emit(ps, NODE_NOT, 0);
        ps->depth--;
        return ps->rc;
    case TOK_TERM:
        if (!add_term(ps))
            lex(ps);
        return ps->rc;
    case TOK_LP: {
        size_t at = ps->tok_at;
        ps->depth++;
        if (!lex(ps) && !parse_or(ps)) {
            if (ps->tok != TOK_RP)
                return fail(ps, ERR_INVALID, "missing ')' for the '('", at);
            lex(ps);
        }
        ps->depth--;
        return ps->rc;
    }
    case TOK_RP:
        return fail(ps, ERR_INVALID, "unexpected ')'", ps->tok_at);
    case TOK_END:
        return fail(ps, ERR_INVALID, "a term is missing", ps->tok_at);
    default:
        return fail(ps, ERR_INVALID, "an operator needs a term before it", ps->tok_at);
    }
}

static int
parse_and(struct parser *ps)
{
    if (parse_not(ps))
        return ps->rc;
    for (;;) {
        if (ps->tok == TOK_AND) {
            if (lex(ps))
                return ps->rc;
        } else if (ps->tok != TOK_NOT && ps->tok != TOK_TERM && ps->tok != TOK_LP) {
            return 0;
        }
        if (parse_not(ps))
            return ps->rc;
        emit(ps, NODE_AND, 0);
    }
}

static int
parse_or(struct parser *ps)
{
    if (parse_and(ps))
        return ps->rc;
    while (ps->tok == TOK_OR) {
        if (lex(ps) || parse_and(ps))
            return ps->rc;
        emit(ps, NODE_OR, 0);
    }
    return 0;
}

int
hotline_rule_compile(struct str expr, const struct hotline_synonyms *syn,
                     struct hotline_rule **out, struct buf *why)
{
    struct buf wide = BUF_INIT;
    struct parser ps;
    int rc;
    *out = NULL;
    if (expr.n > HOTLINE_RULE_MAX_TEXT) {
        if (why)
            buf_printf(why, "rule: more than %d bytes", HOTLINE_RULE_MAX_TEXT);
        return ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < expr.n;)
        fold_cp(&wide, utf8_next_or_fffd(expr.p, expr.n, &i), false);
    memset(&ps, 0, sizeof ps);
    ps.p = wide.data;
    ps.n = wide.len;
    ps.why = why;
    ps.syn = syn;
    ps.r = xcalloc(1, sizeof *ps.r);
    if (!lex(&ps) && !parse_or(&ps) && ps.tok != TOK_END)
        fail(&ps, ERR_INVALID, ps.tok == TOK_RP ? "unexpected ')'" : "unexpected operator", ps.tok_at);
    rc = ps.rc;
    if (rc)
        hotline_rule_free(ps.r);
    else
        *out = ps.r;
    buf_release(&wide);
    return rc;
}

void
hotline_rule_free(struct hotline_rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nterms; i++) {
        for (size_t k = 0; k < r->terms[i].n; k++)
            xfree(r->terms[i].needles[k]);
        xfree(r->terms[i].needles);
        xfree(r->terms[i].text);
    }
    xfree(r->terms);
    xfree(r->nodes);
    xfree(r);
}

/* ---- evaluation ---- */

bool
hotline_rule_match_folded(const struct hotline_rule *r, struct str folded)
{
    bool small[64], *stack = r->n <= 64 ? small : xcalloc(r->n, sizeof *stack);
    size_t sp = 0;
    bool result;
    for (size_t i = 0; i < r->n; i++) {
        const struct node *nd = &r->nodes[i];
        switch (nd->kind) {
        case NODE_TERM: {
            const struct term *t = &r->terms[nd->term];
            bool found = false;
            for (size_t k = 0; k < t->n && !found; k++)
                found = memmem(folded.p, folded.n, t->needles[k], strlen(t->needles[k])) != NULL;
            stack[sp++] = found;
            break;
        }
        case NODE_NOT:
            stack[sp - 1] = !stack[sp - 1];
            break;
        case NODE_AND:
            sp--;
            stack[sp - 1] = stack[sp - 1] && stack[sp];
            break;
        case NODE_OR:
            sp--;
            stack[sp - 1] = stack[sp - 1] || stack[sp];
            break;
        }
    }
    result = sp == 1 && stack[0];
    if (stack != small)
        xfree(stack);
    return result;
}

bool
hotline_rule_match(const struct hotline_rule *r, struct str title, struct str content,
                   struct buf *scratch)
{
    buf_reset(scratch);
    hotline_fold(title, scratch);
    buf_addch(scratch, '\n');
    hotline_fold(content, scratch);
    return hotline_rule_match_folded(r, (struct str){ scratch->data, scratch->len });
}

void
hotline_rule_describe(const struct hotline_rule *r, struct buf *out)
{
    char **stack = xcalloc(r->n ? r->n : 1, sizeof *stack);
    size_t sp = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct buf b = BUF_INIT;
        const struct node *nd = &r->nodes[i];
        if (nd->kind == NODE_TERM) {
            const char *t = r->terms[nd->term].text;
            bool q = strpbrk(t, " \t\n()\"") != NULL;
            buf_printf(&b, q ? "\"%s\"" : "%s", t);
        } else if (nd->kind == NODE_NOT) {
            buf_printf(&b, "NOT %s", stack[sp - 1]);
            xfree(stack[--sp]);
        } else {
            buf_printf(&b, "(%s %s %s)", stack[sp - 2], nd->kind == NODE_AND ? "AND" : "OR",
                       stack[sp - 1]);
            xfree(stack[--sp]);
            xfree(stack[--sp]);
        }
        stack[sp++] = buf_detach(&b, NULL);
    }
    if (sp)
        buf_adds(out, stack[0]);
    while (sp)
        xfree(stack[--sp]);
    xfree(stack);
}

/* ---- categories ---- */

void
hotline_category_norm(struct str in, struct buf *out)
{
    struct buf f = BUF_INIT;
    size_t i = 0;
    buf_reset(out);
    hotline_fold(in, &f);
    while (i <= f.len) {
        size_t end = i;
        while (end < f.len && f.data[end] != '/')
            end++;
        struct str level = { f.data + i, end - i };
        /* trim white space of every kind around the level */
        for (;;) {
            size_t k = 0;
            if (!level.n || !utf8_is_space(utf8_next_or_fffd(level.p, level.n, &k)))
                break;
            level.p += k, level.n -= k;
        }
        while (level.n) {
            size_t start = level.n - 1;
            while (start && ((unsigned char)level.p[start] & 0xC0) == 0x80)
                start--;
            size_t k = start;
            if (!utf8_is_space(utf8_next_or_fffd(level.p, level.n, &k)))
                break;
            level.n = start;
        }
        if (level.n) {
            if (out->len)
                buf_addch(out, '/');
            buf_add(out, level.p, level.n);
        }
        i = end + 1;
    }
    buf_release(&f);
}

bool
hotline_category_under(const char *cat, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!n)
        return true;
    return strncmp(cat, prefix, n) == 0 && (cat[n] == '\0' || cat[n] == '/');
}
