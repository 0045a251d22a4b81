/* tests/unit/domain/platform/test_perm.c - roles, permissions and API-token scopes of
 * domain/platform/perm.h and the actor helpers of domain/platform/app.h (R1.7, S6 三权分立: the system,
 * security and audit administrators hold separate powers and none sees business data).
 * Pure tables: no database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "domain/platform/app.h"
#include "domain/platform/perm.h"

#define P(x) PERM_SET(PERM_BIT_##x)

static bool
has(enum role r, enum perm_bit p)
{
    return (role_perms(r) & PERM_SET(p)) != 0;
}

/* Scope names of business data and of administration. Names not (yet) in PERM_TABLE are
 * skipped, so the lists may name resources still being built. */
static const char *const business_scopes[] = {
    "dashboard.read", "pii.reveal", "sites.read", "sites.write", "plans.read", "plans.write",
    "actuals.read", "actuals.write", "samples.read", "samples.write", "transports.read",
    "transports.write", "results.read", "results.write", "checkins.read", "checkins.write",
    "stats.read", "events.read", "people.read", "places.read", "places.write", "cameras.read",
    "cameras.write", "video.play", NULL,
};
static const char *const admin_scopes[] = {
    "users.read", "users.write", "tokens.read", "tokens.write", "settings.read",
    "settings.write", "audit.read", "webhooks.read", "webhooks.write", NULL,
};

static perm_set
scopes(const char *const *names)
{
    perm_set all = 0, one = 0;
    const char *bad = NULL;
    size_t bad_len = 0;
    for (; *names; names++)
        if (perm_parse_scopes(*names, &one, &bad, &bad_len) == 0)
            all |= one;
    return all;
}

static void
test_role_names(void **state)
{
    (void)state;
    static const char *const names[] = { "sysadmin", "secadmin", "auditor", "district", "subdistrict", "viewer" };
    assert_int_equal(ROLE__COUNT, 6);
    for (int r = 0; r < ROLE__COUNT; r++) {
        assert_string_equal(role_name((enum role)r), names[r]);
        assert_int_equal(role_parse(names[r]), r);
    }
    assert_int_equal(role_parse("root"), ROLE_NONE);
    assert_int_equal(role_parse(""), ROLE_NONE);
    assert_int_equal(role_parse(NULL), ROLE_NONE);
    assert_int_equal(role_parse("SYSADMIN"), ROLE_NONE);
    assert_int_equal(role_parse("sysadmin "), ROLE_NONE);
    assert_int_equal(role_parse("none"), ROLE_NONE);
    assert_string_equal(role_name(ROLE_NONE), "none");
    assert_string_equal(role_name((enum role)99), "none");
    assert_int_equal(role_perms(ROLE_NONE), 0);
    assert_int_equal(role_perms((enum role)99), 0);
}

/* 三权分立: each administrative power belongs to exactly one admin role. */
static void
test_separation_of_duties(void **state)
{
    (void)state;
    /* sysadmin: accounts and tokens; no audit, no policy changes */
    assert_true(has(ROLE_SYSADMIN, PERM_BIT_USERS_READ));
    assert_true(has(ROLE_SYSADMIN, PERM_BIT_USERS_WRITE));
    assert_true(has(ROLE_SYSADMIN, PERM_BIT_TOKENS_READ));
    assert_true(has(ROLE_SYSADMIN, PERM_BIT_TOKENS_WRITE));
    assert_false(has(ROLE_SYSADMIN, PERM_BIT_AUDIT_READ));
    assert_false(has(ROLE_SYSADMIN, PERM_BIT_SETTINGS_WRITE));
    /* secadmin: the security policy; no accounts, no audit */
    assert_true(has(ROLE_SECADMIN, PERM_BIT_SETTINGS_READ));
    assert_true(has(ROLE_SECADMIN, PERM_BIT_SETTINGS_WRITE));
    assert_false(has(ROLE_SECADMIN, PERM_BIT_USERS_WRITE));
    assert_false(has(ROLE_SECADMIN, PERM_BIT_TOKENS_WRITE));
    assert_false(has(ROLE_SECADMIN, PERM_BIT_AUDIT_READ));
    /* auditor: reads the audit log; changes nothing */
    assert_true(has(ROLE_AUDITOR, PERM_BIT_AUDIT_READ));
    assert_false(has(ROLE_AUDITOR, PERM_BIT_USERS_WRITE));
    assert_false(has(ROLE_AUDITOR, PERM_BIT_SETTINGS_WRITE));
    assert_false(has(ROLE_AUDITOR, PERM_BIT_TOKENS_WRITE));

    /* exactly one role holds each administrative write and the audit read */
    static const enum perm_bit exclusive[] = { PERM_BIT_USERS_WRITE, PERM_BIT_TOKENS_WRITE,
                                               PERM_BIT_SETTINGS_WRITE, PERM_BIT_AUDIT_READ };
    static const enum role owner[] = { ROLE_SYSADMIN, ROLE_SYSADMIN, ROLE_SECADMIN, ROLE_AUDITOR };
    for (size_t i = 0; i < sizeof exclusive / sizeof *exclusive; i++)
        for (int r = 0; r < ROLE__COUNT; r++)
            assert_int_equal(has((enum role)r, exclusive[i]), r == (int)owner[i]);

    /* no admin role sees business or personal data; business roles administer nothing */
    perm_set business = scopes(business_scopes), admin = scopes(admin_scopes);
    assert_true(business & P(DASHBOARD_READ));
    assert_true(business & P(PII_REVEAL));
    for (int r = ROLE_SYSADMIN; r <= ROLE_AUDITOR; r++)
        if (role_perms((enum role)r) & business)
            fail_msg("admin role %s holds business permissions", role_name((enum role)r));
    for (int r = ROLE_DISTRICT; r <= ROLE_VIEWER; r++) {
        assert_true(has((enum role)r, PERM_BIT_DASHBOARD_READ));
        assert_true(has((enum role)r, PERM_BIT_DIVISIONS_READ));
        if (role_perms((enum role)r) & admin)
            fail_msg("business role %s holds admin permissions", role_name((enum role)r));
    }
    /* a viewer never reveals personal data */
    assert_false(has(ROLE_VIEWER, PERM_BIT_PII_REVEAL));
    /* nor is any of it delegated to an API token */
    assert_int_equal(PERM_TOKEN_ALLOWED & admin, 0);
    assert_int_equal(PERM_TOKEN_ALLOWED & P(PII_REVEAL), 0);
    assert_true(PERM_TOKEN_ALLOWED & P(DASHBOARD_READ));
    /* every set stays within the defined bits */
    for (int r = 0; r < ROLE__COUNT; r++)
        assert_int_equal(role_perms((enum role)r) >> PERM__COUNT, 0);
}

static void
test_totp_roles(void **state)
{
    (void)state;
    assert_true(role_requires_totp(ROLE_SYSADMIN));
    assert_true(role_requires_totp(ROLE_SECADMIN));
    assert_true(role_requires_totp(ROLE_AUDITOR));
    assert_false(role_requires_totp(ROLE_DISTRICT));
    assert_false(role_requires_totp(ROLE_SUBDISTRICT));
    assert_false(role_requires_totp(ROLE_VIEWER));
    assert_false(role_requires_totp(ROLE_NONE));
    assert_false(role_requires_totp((enum role)42));
}

static void
test_perm_names(void **state)
{
    (void)state;
    static const char *const known[] = { "users.read", "users.write", "tokens.read", "tokens.write",
                                         "settings.read", "settings.write", "audit.read",
                                         "dashboard.read", "divisions.read", "pii.reveal" };
    assert_true(PERM__COUNT >= 10 && PERM__COUNT <= 64);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        assert_string_equal(perm_name((enum perm_bit)i), known[i]);
    for (int i = 0; i < PERM__COUNT; i++) {
        const char *n = perm_name((enum perm_bit)i), *dot = strchr(n, '.');
        perm_set one = 0;
        const char *bad = NULL;
        size_t bad_len = 0;
        assert_non_null(dot);
        assert_true(dot > n && dot[1] != '\0');
        assert_true(strspn(n, "abcdefghijklmnopqrstuvwxyz.") == strlen(n));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(n, perm_name((enum perm_bit)j));
        assert_int_equal(perm_parse_scopes(n, &one, &bad, &bad_len), 0);
        assert_int_equal(one, PERM_SET(i));
    }
    assert_string_equal(perm_name(PERM__COUNT), "");
    assert_string_equal(perm_name((enum perm_bit)-1), "");
    /* route values beyond the bits do not collide with them */
    assert_true(PERM_PUBLIC >= 64 && PERM_LOGIN >= 64);
}

static void
test_parse_scopes(void **state)
{
    (void)state;
    perm_set set = 0;
    const char *bad = NULL;
    size_t bad_len = 99;

    assert_int_equal(perm_parse_scopes("users.read", &set, &bad, &bad_len), 0);
    assert_int_equal(set, P(USERS_READ));
    assert_int_equal(perm_parse_scopes("dashboard.read,pii.reveal,audit.read", &set, &bad, &bad_len), 0);
    assert_int_equal(set, P(DASHBOARD_READ) | P(PII_REVEAL) | P(AUDIT_READ));
    assert_int_equal(perm_parse_scopes("users.read,users.read", &set, &bad, &bad_len), 0);
    assert_int_equal(set, P(USERS_READ));
}

static void
test_parse_scope_errors(void **state)
{
    (void)state;
    perm_set set = 0;
    const char *bad = NULL;
    size_t bad_len = 99;
    struct {
        const char *s;
        size_t bad_at, bad_len;
    } const cases[] = {
        { "", 0, 0 },
        { "bogus", 0, 5 },
        { "users.read,bogus.x", 11, 7 },
        { "users.read,,audit.read", 11, 0 },
        { ",users.read", 0, 0 },
        { "USERS.READ", 0, 10 },
        { " users.read", 0, 11 },
        { "users.read ", 0, 11 },
        { "users", 0, 5 },
        { "users.readx", 0, 11 },
        { "users.rea", 0, 9 },
        { "users.read;audit.read", 0, 21 },
        { "dashboard.read,users.read,pii", 26, 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bad = NULL;
        bad_len = 99;
        if (perm_parse_scopes(cases[i].s, &set, &bad, &bad_len) != ERR_INVALID)
            fail_msg("scopes '%s' accepted", cases[i].s);
        assert_ptr_equal(bad, cases[i].s + cases[i].bad_at);
        assert_int_equal(bad_len, cases[i].bad_len);
    }
}

static void
roundtrip(perm_set s)
{
    struct buf b = BUF_INIT;
    perm_set back = 0;
    const char *bad = NULL;
    size_t bad_len = 0;
    perm_format(s, &b);
    assert_int_equal(perm_parse_scopes(b.data, &back, &bad, &bad_len), 0);
    assert_int_equal(back, s);
    buf_release(&b);
}

static void
test_format_roundtrip(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, want = BUF_INIT;
    perm_set all = PERM__COUNT == 64 ? ~(perm_set)0 : ((perm_set)1 << PERM__COUNT) - 1;

    perm_format(0, &b);
    assert_string_equal(b.data, "");
    buf_reset(&b);
    perm_format(P(USERS_READ) | P(AUDIT_READ) | P(PII_REVEAL), &b);
    assert_string_equal(b.data, "users.read,audit.read,pii.reveal");
    buf_reset(&b);
    perm_format(all, &b);
    for (int i = 0; i < PERM__COUNT; i++)
        buf_printf(&want, "%s%s", i ? "," : "", perm_name((enum perm_bit)i));
    assert_string_equal(b.data, want.data);

    roundtrip(all);
    for (int i = 0; i < PERM__COUNT; i++) {
        for (int j = i; j < PERM__COUNT; j++)
            roundtrip(PERM_SET(i) | PERM_SET(j));
    }
    for (int r = 0; r < ROLE__COUNT; r++)
        roundtrip(role_perms((enum role)r));
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int k = 0; k < 1000; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x & all)
            roundtrip(x & all);
    }
    buf_release(&b);
    buf_release(&want);
}

static void
test_actor_helpers(void **state)
{
    (void)state;
    struct actor a;

    actor_system(&a, "cli");
    assert_int_equal(a.kind, ACTOR_SYSTEM);
    assert_string_equal(a.name, "cli");
    for (int p = 0; p < PERM__COUNT; p++)
        assert_true(actor_can(&a, (enum perm_bit)p));
    assert_true(actor_in_scope(&a, "110102001"));
    assert_true(actor_in_scope(&a, NULL));

    memset(&a, 0, sizeof a);
    a.kind = ACTOR_USER;
    a.perms = role_perms(ROLE_AUDITOR);
    assert_true(actor_can(&a, PERM_BIT_AUDIT_READ));
    assert_false(actor_can(&a, PERM_BIT_USERS_READ));
    memcpy(a.subdistrict, "110102001", 10);
    assert_true(actor_in_scope(&a, "110102001"));
    assert_false(actor_in_scope(&a, "110102003"));
    assert_false(actor_in_scope(&a, "1101020"));
    assert_false(actor_in_scope(&a, NULL));
    assert_false(actor_in_scope(&a, ""));

    memset(&a, 0, sizeof a);
    a.kind = ACTOR_NONE;
    for (int p = 0; p < PERM__COUNT; p++)
        assert_false(actor_can(&a, (enum perm_bit)p));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_separation_of_duties),
        cmocka_unit_test(test_totp_roles),
        cmocka_unit_test(test_perm_names),
        cmocka_unit_test(test_parse_scopes),
        cmocka_unit_test(test_parse_scope_errors),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_actor_helpers),
    };
    return cmocka_run_group_tests_name("domain_perm", tests, NULL, NULL);
}
