/* core/log.c - see log.h. One write(2) per line, so lines from threads never interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/json_escape.h"
#include "core/time.h"

static enum log_level log_min = LOG_INFO;
static bool log_quiet;

void log_set_level(enum log_level level) { log_min = level; }
void log_set_quiet(bool quiet) { log_quiet = quiet; }

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_event(enum log_level level, const char *event, ...)
{
    struct buf b = BUF_INIT;
    char ts[40];
    va_list ap;
    const char *k;

    if (log_quiet || level < log_min)
        return;
    time_format_iso(time_now_ms(), ts, sizeof ts);
    buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, log_names[level]);
    json_escape(&b, event);
    va_start(ap, event);
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        buf_addch(&b, ',');
        json_escape(&b, k);
        buf_addch(&b, ':');
        json_escape(&b, v ? v : "");
    }
    va_end(ap);
    buf_adds(&b, "}\n");
    if (!buf_error(&b)) {
        ssize_t w = write(STDERR_FILENO, b.data, b.len);
        (void)w;
    }
    buf_release(&b);
}
