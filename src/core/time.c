/* core/time.c - see time.h. */
#include "core/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"

static int64_t time_fake_ms;

void time_set_fake_ms(int64_t ms) { time_fake_ms = ms; }

int64_t
time_now_ms(void)
{
    struct timespec ts;
    if (time_fake_ms)
        return time_fake_ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* time_split breaks ms into calendar fields (floor division, so times before 1970 work)
 * and returns the millisecond part, 0..999. */
static int
time_split(int64_t ms, int offset_s, struct tm *tm)
{
    int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        secs--;
    }
    time_t t = (time_t)secs + offset_s;
    gmtime_r(&t, tm);
    return (int)rem;
}

void
time_format_iso(int64_t ms, char *out, size_t cap)
{
    struct tm tm;
    int frac = time_split(ms, 0, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void
time_format_local(int64_t ms, char *out, size_t cap)
{
    struct tm tm;
    (void)time_split(ms, 8 * 3600, &tm);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
time_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return ERR_INVALID;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

/* days_from_civil: days since 1970-01-01 of y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int
time_parse_rfc3339(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0, off = 0;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (!s || time_digits(&s, 4, &y) || *s++ != '-' || time_digits(&s, 2, &mo) || *s++ != '-' ||
        time_digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
        time_digits(&s, 2, &h) || *s++ != ':' || time_digits(&s, 2, &mi) || *s++ != ':' ||
        time_digits(&s, 2, &sec))
        return ERR_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return ERR_INVALID;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return ERR_INVALID;
    if (*s == '.') {
        int scale = 100;
        s++;
        if (*s < '0' || *s > '9')
            return ERR_INVALID;
        while (*s >= '0' && *s <= '9') {
            frac += (*s - '0') * scale;
            scale /= 10;
            s++;
        }
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if (time_digits(&s, 2, &oh) || *s++ != ':' || time_digits(&s, 2, &om) || oh > 23 || om > 59)
            return ERR_INVALID;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return ERR_INVALID;
    }
    if (*s)
        return ERR_INVALID;
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                   (sec > 59 ? 59 : sec) - off;
    *ms = secs * 1000 + frac;
    return 0;
}
