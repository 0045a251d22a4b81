/* domain/exchange/hotline_rule.h - the keyword expressions of 12345 hotline rule sets and the
 * category filter (R2.12; the interface contract of `jiayuan hotline extract`).
 *
 * Text is compared in its folded form (hotline_fold): full-width ASCII (U+FF01..U+FF5E) folded
 * to ASCII, U+3000 to a space, ASCII letters lower-cased, invalid UTF-8 bytes as U+FFFD;
 * nothing else changes (Chinese text is compared as written).
 *
 * Expressions. A term is a word or a "quoted phrase" (straight quotes, or the Chinese “…”),
 * matched as a substring of the ticket's title + content (hotline_rule_match joins them with
 * a newline, so a term never spans the two). Words end at white space, a parenthesis or a
 * quote. Operators are the words AND, OR, NOT (any letter case, full-width too; quote them
 * to search for the word itself) and parentheses (full-width （） too). Precedence NOT > AND
 * > OR; terms or groups written side by side are joined by AND, so `A NOT B` means
 * `A AND NOT B` and `A B` means `A AND B`. Examples:
 *     核酸 AND (排队 OR 人多) NOT 疫苗   = 核酸 ∧ (排队 ∨ 人多) ∧ ¬疫苗
 *     A OR B AND C                      = A ∨ (B ∧ C)
 *     NOT A AND B                       = (¬A) ∧ B
 * Errors (ERR_INVALID, one English line in why naming the character offset, never the
 * ticket text): an empty expression, an operator without its operand, an unbalanced
 * parenthesis, an unterminated or empty phrase; ERR_TOO_LARGE past the caps below.
 *
 * Synonyms (rule sets): groups of words that stand for each other. A term whose folded form
 * equals a member of a group matches when any member of that group is found.
 *
 * Categories. A ticket's 问题分类 is a path of levels joined by '/' (full-width '／' too).
 * hotline_category_norm folds it, trims white space around each level and drops empty
 * levels; a filter PATH keeps the tickets whose normalised path starts with the normalised
 * PATH at a level boundary ("卫生健康/核酸检测" keeps "卫生健康/核酸检测/排队时间长" and
 * "卫生健康/核酸检测", not "卫生健康/核酸检测点"). Several filters: any of them. An empty
 * PATH keeps everything.
 */
#ifndef JY_DOMAIN_EXCHANGE_HOTLINE_RULE_H
#define JY_DOMAIN_EXCHANGE_HOTLINE_RULE_H
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/str.h"

#define HOTLINE_RULE_MAX_TEXT 4096   /* bytes of an expression */
#define HOTLINE_RULE_MAX_TERMS 256   /* terms in an expression */
#define HOTLINE_RULE_MAX_DEPTH 32    /* nested parentheses / NOTs */
#define HOTLINE_SYN_MAX_TEXT 65536   /* bytes of a synonym list */
#define HOTLINE_SYN_MAX_WORDS 2048   /* words in a synonym list */

/* hotline_fold appends the folded form of in to out (see above). */
void hotline_fold(struct str in, struct buf *out);

/* Synonym groups. hotline_synonyms_parse reads text: one group per line, words separated by
 * white space, ',', '，', '、', ';', '；' or '='; lines with fewer than two words are
 * ignored. Words are kept folded. Errors: ERR_TOO_LARGE past the caps (why says which).
 * hotline_synonyms_release frees the contents (INIT state is fine). */
struct hotline_synonyms {
    char **words;          /* folded, NUL-terminated */
    size_t *group;         /* group number of each word */
    size_t n, cap, ngroups;
};
#define HOTLINE_SYNONYMS_INIT { NULL, NULL, 0, 0, 0 }
int hotline_synonyms_parse(struct str text, struct hotline_synonyms *out, struct buf *why);
void hotline_synonyms_release(struct hotline_synonyms *s);

/* A compiled expression; opaque. */
struct hotline_rule;

/* hotline_rule_compile parses expr with the synonyms syn (NULL: none; copied, need not
 * outlive the rule). On success *out owns a new rule (free with hotline_rule_free); on
 * failure *out is NULL and why (may be NULL) gets one line. */
int hotline_rule_compile(struct str expr, const struct hotline_synonyms *syn,
                         struct hotline_rule **out, struct buf *why);
void hotline_rule_free(struct hotline_rule *r);

/* hotline_rule_match tells whether the ticket with title and content matches r. scratch is
 * the caller's buffer for the folded text (reused between calls to save allocations). */
bool hotline_rule_match(const struct hotline_rule *r, struct str title, struct str content,
                        struct buf *scratch);
/* hotline_rule_match_folded is the same over an already folded haystack. */
bool hotline_rule_match_folded(const struct hotline_rule *r, struct str folded);

/* hotline_rule_describe appends the fully parenthesised form of r to out, e.g.
 * "(核酸 AND ((排队 OR 人多) AND NOT 疫苗))" - for tests and for showing users how an
 * expression was read. Terms are shown folded, in quotes when they hold a space. */
void hotline_rule_describe(const struct hotline_rule *r, struct buf *out);

/* hotline_category_norm replaces out with the normalised form of a category path. */
void hotline_category_norm(struct str in, struct buf *out);
/* hotline_category_under tells whether the normalised path cat lies under the normalised
 * prefix (see above). */
bool hotline_category_under(const char *cat, const char *prefix);

#endif
