/* fuzz/fuzz_i18n.c - libFuzzer target for the message layer (core/i18n.c, issue 14).
 *
 * Any bytes go in: the whole input as an Accept-Language value (i18n_lang_parse must give
 * one of the two languages and never read past the NUL), then as an English message to
 * translate in both languages into a small and a large buffer. A translation must be
 * NUL-terminated inside its buffer, its reason code lower-case ASCII and the same in both
 * languages and buffer sizes; an untranslated message leaves the buffer untouched. The input is copied into
 * a heap buffer of exactly its size (+ NUL) so ASan catches any over-read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/i18n.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_out(const char *reason, const char *out, size_t cap)
{
    if (!reason) {
        FUZZ_CHECK(out[0] == '\x7f' && out[1] == '\0');
        return;
    }
    FUZZ_CHECK(memchr(out, 0, cap) != NULL);
    FUZZ_CHECK(reason[0] != '\0');
    for (const char *c = reason; *c; c++)
        FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    enum i18n_lang lang = i18n_lang_parse(s);
    FUZZ_CHECK(lang == I18N_ZH || lang == I18N_EN);
    FUZZ_CHECK(strcmp(i18n_lang_tag(lang), lang == I18N_EN ? "en" : "zh-CN") == 0);

    char small[8], big[1024];
    const char *r1, *r2, *r3;
    memcpy(small, "\x7f", 2);
    memcpy(big, "\x7f", 2);
    r1 = i18n_translate(s, I18N_ZH, small, sizeof small);
    check_out(r1, small, sizeof small);
    r2 = i18n_translate(s, I18N_EN, big, sizeof big);
    check_out(r2, big, sizeof big);
    memcpy(big, "\x7f", 2);
    r3 = i18n_translate(s, I18N_ZH, big, sizeof big);
    check_out(r3, big, sizeof big);
    FUZZ_CHECK((r1 == NULL) == (r2 == NULL) && (r2 == NULL) == (r3 == NULL));
    if (r1)
        FUZZ_CHECK(strcmp(r1, r2) == 0 && strcmp(r2, r3) == 0);
    xfree(s);
    return 0;
}
