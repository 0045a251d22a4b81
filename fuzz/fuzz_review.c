/* fuzz/fuzz_review.c - libFuzzer target for the small parsers of the review work (issue 10):
 * the "YYYY-MM" month of the testing frequency (domain/testing/frequency.h) and the "by"
 * of planned vs actual (domain/testing/progress.h).
 *
 * The input is a NUL-terminated string in a heap block of exactly its size. An accepted
 * month must be exactly 7 bytes "DDDD-DD" with year 2019..2100 and month 01..12, and its
 * index must write back as the same text. An accepted "by" must be one of the three
 * words (or empty).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/testing/frequency.h"
#include "domain/testing/progress.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), back[8];
    int64_t index = 0;
    enum progress_by by;
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (frequency_month_parse(s, &index) == 0) {
        FUZZ_CHECK(strlen(s) == 7 && s[4] == '-');
        FUZZ_CHECK(index >= 2019 * 12 && index < 2101 * 12);
        frequency_month_name(index, back);
        FUZZ_CHECK(strcmp(back, s) == 0);
    }
    if (progress_parse_by(s, &by) == 0)
        FUZZ_CHECK(!*s || !strcmp(s, "subdistrict") || !strcmp(s, "community") || !strcmp(s, "industry"));
    free(s);
    return 0;
}
