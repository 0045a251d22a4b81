/* fuzz/fuzz_time.c - libFuzzer target for core/time: time_parse_rfc3339 and the formatters.
 *
 * The input is a NUL-terminated string in a heap block of exactly its size. An accepted
 * timestamp must have the documented shape (YYYY-MM-DD, 'T'/'t'/' ', hh:mm:ss, optional
 * fraction, 'Z'/'z' or +hh:mm/-hh:mm, nothing after), and its value must equal what
 * timegm(3) gives for the same fields (a leap second :60 reads as :59), plus the first
 * three fraction digits. time_format_iso of that value must parse back to it. Separately,
 * the first 8 bytes as an int64 are formatted: the output is NUL-terminated within cap.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
fuzz_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* fuzz_expect recomputes an accepted timestamp independently; false if the shape is wrong. */
static bool
fuzz_expect(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, sign = 0;
    size_t n = strlen(s), i = 19;
    if (n < 20 || !fuzz_digits(s, 4, &y) || s[4] != '-' || !fuzz_digits(s + 5, 2, &mo) ||
        s[7] != '-' || !fuzz_digits(s + 8, 2, &d) || !strchr("Tt ", s[10]) || s[10] == '\0' ||
        !fuzz_digits(s + 11, 2, &h) || s[13] != ':' || !fuzz_digits(s + 14, 2, &mi) ||
        s[16] != ':' || !fuzz_digits(s + 17, 2, &sec))
        return false;
    if (s[i] == '.') {
        int scale = 100, k = 0;
        i++;
        while (s[i] >= '0' && s[i] <= '9') {
            if (k++ < 3) {
                frac += (s[i] - '0') * scale;
                scale /= 10;
            }
            i++;
        }
        if (k == 0)
            return false;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        sign = 0;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == n && fuzz_digits(s + i + 1, 2, &oh) &&
               s[i + 3] == ':' && fuzz_digits(s + i + 4, 2, &om)) {
        sign = s[i] == '-' ? -1 : 1;
    } else {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
        return false;
    struct tm tm = { 0 };
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec > 59 ? 59 : sec;
    time_t t = timegm(&tm);
    /* timegm normalises 02-30 to 03-02: such a day does not exist */
    if (tm.tm_mday != d || tm.tm_mon != mo - 1)
        return false;
    *ms = ((int64_t)t - sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size + 1); /* exactly the text and its NUL */
    char out[32], again[32];
    int64_t ms = 0, want = 0, back = 0;

    if (size)
        memcpy(in, data, size);
    in[size] = '\0';
    int rc = time_parse_rfc3339(in, &ms);
    bool shape = fuzz_expect(in, &want);
    FUZZ_CHECK(rc == 0 || rc == ERR_INVALID);
    FUZZ_CHECK((rc == 0) == shape);
    if (rc == 0) {
        FUZZ_CHECK(ms == want);
        if (ms >= -62135596800000 && ms <= 253402300799999) { /* years 0001..9999 */
            time_format_iso(ms, out, sizeof out);
            FUZZ_CHECK(strlen(out) == 24);
            FUZZ_CHECK(time_parse_rfc3339(out, &back) == 0 && back == ms);
            time_format_iso(back, again, sizeof again);
            FUZZ_CHECK(strcmp(out, again) == 0);
        }
        memset(out, 'Z', sizeof out);
        time_format_local(ms, out, 24);
        FUZZ_CHECK(strlen(out) >= 19 && strlen(out) < 24); /* year 10000 once shifted to +8 */
    }

    if (size >= 8) {
        int64_t any;
        memcpy(&any, data, sizeof any);
        memset(out, 'Z', sizeof out);
        time_format_iso(any, out, sizeof out);
        FUZZ_CHECK(memchr(out, '\0', sizeof out) != NULL);
        memset(out, 'Z', sizeof out);
        time_format_local(any, out, 24);
        FUZZ_CHECK(memchr(out, '\0', 24) != NULL && out[24] == 'Z');
    }
    xfree(in);
    return 0;
}
