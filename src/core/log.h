/* core/log.h - structured JSON-lines log to stderr (O3).
 *
 * One line per event: {"ts":"…","level":"info","event":"http.request", key: value …}.
 * Values are strings given as NULL-terminated key/value pairs and are JSON-escaped here.
 * Never pass personal data (ID numbers, names, phones, addresses) or key material.
 */
#ifndef JY_CORE_LOG_H
#define JY_CORE_LOG_H
#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* log_set_level drops events below level. log_set_quiet(true) drops everything (tests). */
void log_set_level(enum log_level level);
void log_set_quiet(bool quiet);
/* log_event writes one line: pairs are const char *key, const char *value, …, NULL. */
void log_event(enum log_level level, const char *event, ...) __attribute__((sentinel));

#define log_info(event, ...) log_event(LOG_INFO, event, __VA_ARGS__)
#define log_warn(event, ...) log_event(LOG_WARN, event, __VA_ARGS__)
#define log_error(event, ...) log_event(LOG_ERROR, event, __VA_ARGS__)
#define log_debug(event, ...) log_event(LOG_DEBUG, event, __VA_ARGS__)

#endif
