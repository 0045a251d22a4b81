/* tests/unit/domain/account/test_login_rate.c - failed sign-ins per address and per name
 * with back-off, stored in the shared database (domain/account/login_rate.h; issue 12, S6
 * 登录失败处理; issue 13: the limit holds across nodes and restarts). Runs on SQLite and
 * PostgreSQL. The clock is the `now` argument: every figure below is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "crypto/keyring.h"
#include "db/db.h"
#include "domain/account/login_rate.h"
#include "dbtest.h"

#define T0 ((int64_t)1700000000000)

static struct keyring kr;

static void
keys_setup(void)
{
    uint8_t raw[DATA_KEY_LEN];
    if (kr.n)
        return;
    memset(raw, 0x5a, sizeof raw);
    assert_int_equal(keyring_add(&kr, 1, raw), 0);
}

/* check runs login_rate_check and returns its code; *at gets retry_at. */
static int
check(struct db *db, const char *addr, const char *name, int64_t now, int64_t *at)
{
    return login_rate_check(db, &kr, addr, name, now, at);
}

static bool
count_fail(struct db *db, const char *addr, const char *name, int name_limit, int64_t now)
{
    bool blocked = false;
    assert_int_equal(login_rate_fail(db, &kr, addr, name, name_limit, now, &blocked), 0);
    return blocked;
}

static bool
clean(struct db *db, const char *addr, int64_t now)
{
    bool c = false;
    assert_int_equal(login_rate_clean(db, &kr, addr, now, &c), 0);
    return c;
}

/* Three failures from an address are free; the third starts a 60 s block, refused
 * attempts do not count, and each failure after the block doubles it. */
static void
test_address_backoff(void **state)
{
    struct db *db = ((struct dbtest *)*state)->db;
    int64_t at = 0;
    keys_setup();
    login_rate_configure(3);
    assert_true(clean(db, "198.51.100.1", T0));
    assert_false(count_fail(db, "198.51.100.1", NULL, 0, T0));
    assert_false(clean(db, "198.51.100.1", T0));
    assert_false(count_fail(db, "198.51.100.1", NULL, 0, T0 + 1));
    assert_int_equal(check(db, "198.51.100.1", "x", T0 + 2, &at), 0);
    assert_true(count_fail(db, "198.51.100.1", NULL, 0, T0 + 2));
    assert_int_equal(check(db, "198.51.100.1", "x", T0 + 3, &at), ERR_RATE);
    assert_int_equal(at, T0 + 2 + LOGIN_RATE_BASE_MS);
    /* another address is not affected */
    assert_int_equal(check(db, "198.51.100.2", "x", T0 + 3, &at), 0);
    /* after the block: one more failure blocks for twice as long */
    int64_t t1 = T0 + 2 + LOGIN_RATE_BASE_MS;
    assert_int_equal(check(db, "198.51.100.1", "x", t1, &at), 0);
    assert_true(count_fail(db, "198.51.100.1", NULL, 0, t1));
    assert_int_equal(check(db, "198.51.100.1", "x", t1 + 1, &at), ERR_RATE);
    assert_int_equal(at, t1 + 2 * LOGIN_RATE_BASE_MS);
    /* never more than the maximum, which is reached */
    int64_t t = at, last = 0;
    for (int i = 0; i < 12; i++) {
        assert_true(count_fail(db, "198.51.100.1", NULL, 0, t));
        assert_int_equal(check(db, "198.51.100.1", NULL, t, &at), ERR_RATE);
        last = at - t;
        assert_true(last <= LOGIN_RATE_MAX_MS);
        t = at;
    }
    assert_int_equal(last, LOGIN_RATE_MAX_MS);
    /* quiet for longer than the forget time: a fresh start */
    t += LOGIN_RATE_FORGET_MS + 1;
    assert_int_equal(check(db, "198.51.100.1", NULL, t, &at), 0);
    assert_true(clean(db, "198.51.100.1", t));
    assert_false(count_fail(db, "198.51.100.1", NULL, 0, t)); /* counted from 1 again */
    assert_false(count_fail(db, "198.51.100.1", NULL, 0, t + 1));
    assert_true(count_fail(db, "198.51.100.1", NULL, 0, t + 2));
}

/* The name is limited on its own, across addresses, case-folded; the block binds the
 * addresses that failed. */
static void
test_name_limit(void **state)
{
    struct db *db = ((struct dbtest *)*state)->db;
    int64_t at = 0;
    keys_setup();
    login_rate_configure(1000);
    for (int i = 0; i < 4; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
        assert_int_equal(check(db, ip, "Admin", T0 + i, &at), 0);
        count_fail(db, ip, i % 2 ? "ADMIN" : "admin", 4, T0 + i);
    }
    assert_int_equal(check(db, "203.0.113.1", "admin", T0 + 10, &at), ERR_RATE);
    assert_int_equal(at, T0 + 3 + LOGIN_RATE_BASE_MS);
    assert_int_equal(check(db, "203.0.113.1", "someone", T0 + 10, &at), 0);
    /* the owner from an address with no failure on record still gets a try */
    assert_int_equal(check(db, "203.0.113.99", "admin", T0 + 10, &at), 0);
    count_fail(db, "203.0.113.99", "admin", 4, T0 + 11);
    assert_int_equal(check(db, "203.0.113.99", "admin", T0 + 12, &at), ERR_RATE);
}

/* An IPv6 address counts the same whatever the case of its hex digits. */
static void
test_address_case(void **state)
{
    struct db *db = ((struct dbtest *)*state)->db;
    int64_t at = 0;
    keys_setup();
    login_rate_configure(2);
    assert_false(count_fail(db, "2001:DB8::A", NULL, 0, T0));
    assert_true(count_fail(db, "2001:db8::a", NULL, 0, T0 + 1));
    assert_int_equal(check(db, "2001:Db8::a", NULL, T0 + 2, &at), ERR_RATE);
}

/* Two connections (two nodes) count into one limit, and a new connection (a restarted
 * node) still sees the block. */
static void
test_shared_and_durable(void **state)
{
    struct dbtest *t = *state;
    struct db *a = t->db, *b = NULL, *c = NULL;
    int64_t at = 0;
    keys_setup();
    login_rate_configure(4);
    assert_int_equal(db_open(t->db_url, NULL, &b), 0);
    assert_false(count_fail(a, "192.0.2.7", NULL, 0, T0));
    assert_false(count_fail(b, "192.0.2.7", NULL, 0, T0 + 1));
    assert_false(count_fail(a, "192.0.2.7", NULL, 0, T0 + 2));
    assert_int_equal(check(b, "192.0.2.7", NULL, T0 + 3, &at), 0);
    assert_true(count_fail(b, "192.0.2.7", NULL, 0, T0 + 3));
    assert_int_equal(check(a, "192.0.2.7", NULL, T0 + 4, &at), ERR_RATE);
    assert_int_equal(at, T0 + 3 + LOGIN_RATE_BASE_MS);
    db_close(b);
    assert_int_equal(db_open(t->db_url, NULL, &c), 0);
    assert_int_equal(check(c, "192.0.2.7", NULL, T0 + 5, &at), ERR_RATE);
    assert_int_equal(at, T0 + 3 + LOGIN_RATE_BASE_MS);
    db_close(c);
}

/* Neither the address nor the name is stored; forgotten rows are purged, blocked ones
 * kept; an unblock lifts a block. */
static void
test_storage_purge_unblock(void **state)
{
    struct db *db = ((struct dbtest *)*state)->db;
    struct db_stmt *st = NULL;
    bool row = false, found = false;
    int64_t at = 0, n = 0, deleted = 0;
    keys_setup();
    login_rate_configure(2);
    count_fail(db, "198.51.100.77", "secret-name", 8, T0);
    count_fail(db, "198.51.100.77", "secret-name", 8, T0 + 1); /* the address is blocked */
    count_fail(db, "198.51.100.78", NULL, 0, T0 + 2);          /* one failure: forgettable */
    assert_int_equal(db_prepare(db, "SELECT COUNT(*) FROM login_limits WHERE key IN (?1, ?2, ?3)", &st), 0);
    assert_int_equal(db_bind_blob(st, 1, "198.51.100.77", 13), 0);
    assert_int_equal(db_bind_blob(st, 2, "secret-name", 11), 0);
    assert_int_equal(db_bind_text(st, 3, "secret-name", 11), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 0);
    db_done(st);
    assert_int_equal(db_prepare(db, "SELECT COUNT(*) FROM login_limits", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    n = db_col_i64(st, 0);
    db_done(st);
    assert_int_equal(n, 3);
    /* within the hour nothing goes */
    assert_int_equal(login_rate_purge(db, T0 + 10, &deleted), 0);
    assert_int_equal(deleted, 0);
    /* past the forget window: the idle rows go (the block of 60 s has ended too) */
    assert_int_equal(login_rate_purge(db, T0 + 2 + LOGIN_RATE_FORGET_MS + 1, &deleted), 0);
    assert_int_equal(deleted, 3);
    /* an administrator lifts a running block */
    count_fail(db, "198.51.100.77", NULL, 0, T0 + 100);
    count_fail(db, "198.51.100.77", NULL, 0, T0 + 101);
    assert_int_equal(check(db, "198.51.100.77", NULL, T0 + 102, &at), ERR_RATE);
    assert_int_equal(login_rate_unblock(db, &kr, 'a', "198.51.100.77", &found), 0);
    assert_true(found);
    assert_int_equal(check(db, "198.51.100.77", NULL, T0 + 102, &at), 0);
    assert_int_equal(login_rate_unblock(db, &kr, 'a', "198.51.100.77", &found), 0);
    assert_false(found);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        DBTEST(test_address_backoff),
        DBTEST(test_name_limit),
        DBTEST(test_address_case),
        DBTEST(test_shared_and_durable),
        DBTEST(test_storage_purge_unblock),
    };
    int rc = dbtest_run("login_rate", tests, sizeof tests / sizeof tests[0]);
    keyring_wipe(&kr);
    return rc;
}
