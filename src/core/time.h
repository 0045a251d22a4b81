/* core/time.h - wall-clock milliseconds, monotonic time, and formatting.
 *
 * Stored timestamps are int64 milliseconds since the Unix epoch, UTC. Display is in
 * Asia/Shanghai (UTC+8, no DST), which time_format_local writes.
 */
#ifndef JY_CORE_TIME_H
#define JY_CORE_TIME_H
#include <stddef.h>
#include <stdint.h>

int64_t time_now_ms(void);
int64_t time_mono_us(void);
/* time_format_iso writes "2026-11-24T09:15:20.123Z" into out (cap >= 32). */
void time_format_iso(int64_t ms, char *out, size_t cap);
/* time_format_local writes "2026-11-24 17:15:20" (UTC+8) into out (cap >= 24). */
void time_format_local(int64_t ms, char *out, size_t cap);
/* time_parse_rfc3339 parses "2026-11-24T17:15:20+08:00" (fraction and Z allowed). */
int time_parse_rfc3339(const char *s, int64_t *ms);

/* time_set_fake_ms makes time_now_ms return ms (0 = real clock again); tests only. */
void time_set_fake_ms(int64_t ms);

#endif
