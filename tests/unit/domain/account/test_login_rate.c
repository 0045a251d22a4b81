/* tests/unit/domain/account/test_login_rate.c - failed sign-ins per address and per name
 * with back-off (domain/account/login_rate.h; issue 12, S6 登录失败处理). The clock is the
 * `now` argument: every figure below is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/err.h"
#include "domain/account/login_rate.h"

#define T0 ((int64_t)1700000000000)

static int
reset(void **state)
{
    (void)state;
    login_rate_reset();
    login_rate_configure(3);
    return 0;
}

/* Three failures from an address are free; the third starts a 60 s block, refused
 * attempts do not count, and each failure after the block doubles it. */
static void
test_address_backoff(void **state)
{
    int64_t at = 0;
    (void)state;
    assert_true(login_rate_clean("198.51.100.1", T0));
    assert_false(login_rate_fail("198.51.100.1", NULL, 0, T0));
    assert_false(login_rate_clean("198.51.100.1", T0));
    assert_false(login_rate_fail("198.51.100.1", NULL, 0, T0 + 1));
    assert_int_equal(login_rate_check("198.51.100.1", "x", T0 + 2, &at), 0);
    assert_true(login_rate_fail("198.51.100.1", NULL, 0, T0 + 2));
    assert_int_equal(login_rate_check("198.51.100.1", "x", T0 + 3, &at), ERR_RATE);
    assert_int_equal(at, T0 + 2 + LOGIN_RATE_BASE_MS);
    /* another address is not affected */
    assert_int_equal(login_rate_check("198.51.100.2", "x", T0 + 3, &at), 0);
    /* after the block: one more failure blocks for twice as long */
    int64_t t1 = T0 + 2 + LOGIN_RATE_BASE_MS;
    assert_int_equal(login_rate_check("198.51.100.1", "x", t1, &at), 0);
    assert_true(login_rate_fail("198.51.100.1", NULL, 0, t1));
    assert_int_equal(login_rate_check("198.51.100.1", "x", t1 + 1, &at), ERR_RATE);
    assert_int_equal(at, t1 + 2 * LOGIN_RATE_BASE_MS);
    /* never more than the maximum */
    int64_t t = at;
    for (int i = 0; i < 12; i++) {
        assert_true(login_rate_fail("198.51.100.1", NULL, 0, t));
        assert_int_equal(login_rate_check("198.51.100.1", NULL, t, &at), ERR_RATE);
        assert_true(at - t <= LOGIN_RATE_MAX_MS);
        t = at;
    }
    /* quiet for longer than the forget time: a fresh start */
    t += LOGIN_RATE_FORGET_MS + 1;
    assert_int_equal(login_rate_check("198.51.100.1", NULL, t, &at), 0);
    assert_true(login_rate_clean("198.51.100.1", t));
}

/* The name is limited on its own, across addresses, case-folded; the block binds the
 * addresses that failed. */
static void
test_name_limit(void **state)
{
    int64_t at = 0;
    (void)state;
    login_rate_configure(1000);
    for (int i = 0; i < 4; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
        assert_int_equal(login_rate_check(ip, "Admin", T0 + i, &at), 0);
        login_rate_fail(ip, i % 2 ? "ADMIN" : "admin", 4, T0 + i);
    }
    assert_int_equal(login_rate_check("203.0.113.1", "admin", T0 + 10, &at), ERR_RATE);
    assert_int_equal(at, T0 + 3 + LOGIN_RATE_BASE_MS);
    assert_int_equal(login_rate_check("203.0.113.1", "someone", T0 + 10, &at), 0);
    /* the owner from an address with no failure on record still gets a try */
    assert_int_equal(login_rate_check("203.0.113.99", "admin", T0 + 10, &at), 0);
    login_rate_fail("203.0.113.99", "admin", 4, T0 + 11);
    assert_int_equal(login_rate_check("203.0.113.99", "admin", T0 + 12, &at), ERR_RATE);
}

/* A flood of distinct addresses reuses the oldest slots: memory stays fixed and the
 * newest keys are still tracked. */
static void
test_flood(void **state)
{
    int64_t at = 0;
    char ip[32];
    (void)state;
    for (int i = 0; i < 5000; i++) {
        snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        for (int k = 0; k < 3; k++)
            login_rate_fail(ip, NULL, 0, T0 + i);
    }
    assert_int_equal(login_rate_check(ip, NULL, T0 + 5000, &at), ERR_RATE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_address_backoff, reset),
        cmocka_unit_test_setup(test_name_limit, reset),
        cmocka_unit_test_setup(test_flood, reset),
    };
    return cmocka_run_group_tests_name("login_rate", tests, NULL, NULL);
}
