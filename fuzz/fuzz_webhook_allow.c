/* fuzz/fuzz_webhook_allow.c - libFuzzer target for the webhook allow-list grammar and matching
 * (domain/notify/webhook_allow.c, issue 12) and the reveal-reason rule
 * (domain/testing/person.c person_reason_ok).
 *
 * The input, split at its first NUL byte, is an allow-list and a URL (or host). The list
 * check must not crash; a list it accepts holds at most WEBHOOK_ALLOW_MAX entries; matching
 * and the URL rule must agree: a URL webhook_allow_url accepts has a host the list matches.
 * The whole input as a reason: an accepted reason holds no run of 11 ASCII digits.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "domain/notify/webhook_allow.h"
#include "domain/testing/person.h"
#include "push/webhook.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = xmalloc(size + 2), *url;
    const char *why = NULL;
    size_t count = 0, run = 0;
    char host[256];

    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    url = buf + strlen(buf) + 1;
    if (url > buf + size)
        url = buf + size;
    if (webhook_allow_check(buf, &why) == 0) {
        for (const char *p = buf; *p; p++)
            count += *p == ',';
        FUZZ_CHECK(!*buf || count + 1 <= WEBHOOK_ALLOW_MAX);
    } else {
        FUZZ_CHECK(why != NULL);
    }
    (void)webhook_allow_loopback(buf);
    (void)webhook_allow_match(buf, url);
    why = NULL;
    if (webhook_allow_url(buf, url, &why) == 0) {
        FUZZ_CHECK(webhook_url_check(url, host, sizeof host, NULL) == 0);
        FUZZ_CHECK(webhook_allow_match(buf, host));
    }
    if (person_reason_ok(buf)) {
        for (const char *p = buf; *p; p++) {
            run = (*p >= '0' && *p <= '9') ? run + 1 : 0;
            FUZZ_CHECK(run < 11);
        }
    }
    xfree(buf);
    return 0;
}
