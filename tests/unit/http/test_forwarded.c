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
    /* CIDR ranges (docs/security.md Known gaps item 3) */
    assert_true(forwarded_in_list("10.0.0.0/8", "10.200.3.4", 10));
    assert_false(forwarded_in_list("10.0.0.0/8", "11.0.0.1", 8));
    assert_true(forwarded_in_list("192.168.4.0/22", "192.168.7.255", 13));
    assert_false(forwarded_in_list("192.168.4.0/22", "192.168.8.0", 11));
    assert_true(forwarded_in_list("127.0.0.1/32", "127.0.0.1", 9));
    assert_false(forwarded_in_list("127.0.0.1/32", "127.0.0.2", 9));
    assert_true(forwarded_in_list("0.0.0.0/0", "203.0.113.9", 11));
    assert_true(forwarded_in_list("fd00::/8", "fd12:3456::1", 12));
    assert_false(forwarded_in_list("fd00::/8", "fe80::1", 7));
    assert_false(forwarded_in_list("10.0.0.0/8", "::ffff:10.0.0.1", 15)); /* families differ */
    assert_false(forwarded_in_list("10.0.0.0/33", "10.0.0.1", 8));      /* bad prefixes match nothing */
    assert_false(forwarded_in_list("10.0.0.0/", "10.0.0.1", 8));
    assert_false(forwarded_in_list("10.0.0.0/8x", "10.0.0.1", 8));
    assert_false(forwarded_in_list("10.0.0.0/-1", "10.0.0.1", 8));
    assert_true(forwarded_in_list("nonsense/8, 172.16.0.0/12", "172.31.255.1", 12));
    /* a client behind two proxies of a trusted range */
    assert_string_equal(pick("10.1.0.0/16", "10.1.2.3", "198.51.100.7, 10.1.9.9"), "198.51.100.7");
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
