/* tests/unit/http/test_forwarded.c - the client address behind trusted proxies
 * (http/forwarded.h; issue 12 transport). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/forwarded.h"

static const char *
pick(const char *trusted, const char *peer, const char *xff)
{
    static char out[64];
    return forwarded_client(trusted, peer, xff, out, sizeof out) ? out : NULL;
}

static void
test_pick(void **state)
{
    (void)state;
    /* one proxy */
    assert_string_equal(pick("127.0.0.1", "127.0.0.1", "198.51.100.7"), "198.51.100.7");
    /* the client's own prefix is ignored: the rightmost non-proxy entry counts */
    assert_string_equal(pick("127.0.0.1", "127.0.0.1", "6.6.6.6, 198.51.100.7"), "198.51.100.7");
    /* a chain of trusted proxies is skipped */
    assert_string_equal(pick("127.0.0.1,203.0.113.9", "127.0.0.1", "1.2.3.4 ,198.51.100.7, 203.0.113.9"),
                        "198.51.100.7");
    /* IPv6, compared as addresses */
    assert_string_equal(pick("::1", "0:0::1", "2001:db8::5"), "2001:db8::5");
    /* an untrusted peer: the header means nothing */
    assert_null(pick("127.0.0.1", "192.0.2.1", "198.51.100.7"));
    assert_null(pick(NULL, "127.0.0.1", "198.51.100.7"));
    assert_null(pick("127.0.0.1", "127.0.0.1", NULL));
    /* garbage right of the client stops the walk */
    assert_null(pick("127.0.0.1", "127.0.0.1", "198.51.100.7, unknown"));
    assert_null(pick("127.0.0.1", "127.0.0.1", "198.51.100.7, 1.2.3.4:80"));
    assert_null(pick("127.0.0.1", "127.0.0.1", ""));
    assert_null(pick("127.0.0.1", "127.0.0.1", ",,,"));
    /* only proxies: no client named */
    assert_null(pick("127.0.0.1", "127.0.0.1", "127.0.0.1"));
}

static void
test_in_list(void **state)
{
    (void)state;
    assert_true(forwarded_in_list("10.0.0.1, 127.0.0.1", "127.0.0.1", 9));
    assert_false(forwarded_in_list("10.0.0.1", "10.0.0.10", 9)); /* a prefix is not the address */
    assert_true(forwarded_in_list("10.0.0.1", "10.0.0.10", 8));
    assert_false(forwarded_in_list("", "10.0.0.1", 8));
    assert_false(forwarded_in_list("not-an-ip", "not-an-ip", 9));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_in_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
