/* core/i18n.h - messages in the user's language (issue 14).
 *
 * Handlers and domain code write their human detail in English (req_fail, the `why`
 * buffers); the error envelope translates it once, at the edge, for the request's
 * Accept-Language: zh-CN by default, en on request. The catalogue (core/i18n_table.h)
 * gives each known English message a stable reason code and its Chinese text. An English
 * entry is a printf format: its conversions (%s, %d, %zu, %llu, ...) match any text, which
 * is carried over, in order, into the Chinese format's conversions. A message not in the
 * catalogue is never shown half-translated: in Chinese the error code's default message
 * (err_message_zh) stands in for it and the English detail goes, unchanged, into the
 * envelope's separate error.detail (http/server.c). tests/unit/core/test_i18n_coverage.c
 * fails for any English literal of an error-detail site in src/ without a row.
 */
#ifndef JY_CORE_I18N_H
#define JY_CORE_I18N_H
#include <stddef.h>

enum i18n_lang { I18N_ZH, I18N_EN };

/* i18n_lang_parse picks the language of an Accept-Language header value (RFC 9110
 * 12.5.4): the zh* or en* range with the highest q wins, the first on a tie; NULL, an
 * empty value, "*" or only other languages give I18N_ZH. */
enum i18n_lang i18n_lang_parse(const char *accept_language);

/* i18n_lang_tag returns "zh-CN" or "en" (for Content-Language). */
const char *i18n_lang_tag(enum i18n_lang lang);

/* i18n_translate looks the English message en up in the catalogue. Found: writes the
 * message in lang to out[0..cap) (NUL-terminated, truncated on a UTF-8 boundary) and
 * returns the row's reason code ("file_not_table"). Not found: returns NULL and leaves
 * out untouched. */
const char *i18n_translate(const char *en, enum i18n_lang lang, char *out, size_t cap);

/* i18n_catalogue_check verifies the catalogue (every Chinese format has the English
 * one's number of conversions, reason codes are unique, lower-case ASCII): 0, or the
 * 1-based index of the first bad row. For the unit tests. */
size_t i18n_catalogue_check(void);

#endif
