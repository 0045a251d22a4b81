/* tests/unit/domain/video/test_play_link.c - signed play links (domain/video/play_link.h,
 * video_link_check) and the per-token embedding sites (embed_sites.h) of issue 9 (R3.3,
 * R3.6, R3.12; S1 HMAC-SM3), on SQLite and PostgreSQL: a link verifies for its camera
 * until it expires; changing any byte, another camera, an unknown key, a revoked token or
 * a locked user refuses it; the frame-ancestors list accepts sites and refuses anything
 * that could end the CSP directive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/keyring.h"
#include "domain/account/token.h"
#include "domain/video/embed_sites.h"
#include "domain/video/play_link.h"
#include "domain/video/video.h"

#define NOW (APPTEST_T0 + 1000)

static void
sign(struct apptest *at, int64_t camera, int64_t expires, enum play_issuer kind, int64_t issuer, struct buf *out)
{
    struct play_link l = { camera, expires, kind, issuer };
    buf_reset(out);
    assert_int_equal(play_link_sign(&at->app.keys, &l, out), 0);
    assert_int_equal(out->len, PLAY_LINK_LEN);
}

static void
test_sign_verify(void **state)
{
    struct apptest *at = *state;
    struct buf tok = BUF_INIT, tok2 = BUF_INIT;
    struct play_link l;

    sign(at, 42, NOW + 300000, PLAY_ISSUER_USER, 7, &tok);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 42, &l), 0);
    assert_int_equal(l.camera_id, 42);
    assert_int_equal(l.expires_at, NOW + 300000);
    assert_int_equal(l.issuer, PLAY_ISSUER_USER);
    assert_int_equal(l.issuer_id, 7);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 0, &l), 0);
    /* URL-safe: it goes into a path as it is */
    assert_int_equal(strspn(tok.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), tok.len);
    /* a nonce: two links for the same camera differ */
    sign(at, 42, NOW + 300000, PLAY_ISSUER_USER, 7, &tok2);
    assert_string_not_equal(tok.data, tok2.data);
    buf_release(&tok);
    buf_release(&tok2);
}

static void
test_tamper_any_byte(void **state)
{
    struct apptest *at = *state;
    struct buf tok = BUF_INIT;
    struct play_link l;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    sign(at, 42, NOW + 300000, PLAY_ISSUER_TOKEN, 3, &tok);
    for (size_t i = 0; i < tok.len; i++) {
        char saved = tok.data[i];
        for (size_t k = 0; alphabet[k]; k++) {
            if (alphabet[k] == saved)
                continue;
            tok.data[i] = alphabet[k];
            assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 0, &l), ERR_FORBIDDEN);
        }
        tok.data[i] = saved;
    }
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 0, &l), 0);
    /* shorter, longer, empty, not base64 */
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len - 1, NOW, 0, &l), ERR_FORBIDDEN);
    buf_adds(&tok, "A");
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 0, &l), ERR_FORBIDDEN);
    assert_int_equal(play_link_verify(&at->app.keys, "", 0, NOW, 0, &l), ERR_FORBIDDEN);
    char junk[PLAY_LINK_LEN + 1];
    memset(junk, '%', PLAY_LINK_LEN);
    junk[PLAY_LINK_LEN] = '\0';
    assert_int_equal(play_link_verify(&at->app.keys, junk, PLAY_LINK_LEN, NOW, 0, &l), ERR_FORBIDDEN);
    buf_release(&tok);
}

static void
test_expired_and_wrong_camera(void **state)
{
    struct apptest *at = *state;
    struct buf tok = BUF_INIT;
    struct play_link l;

    sign(at, 42, NOW + 5000, PLAY_ISSUER_USER, 7, &tok);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW + 4999, 42, &l), 0);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW + 5000, 42, &l), ERR_FORBIDDEN);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW + 999999, 42, &l), ERR_FORBIDDEN);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 43, &l), ERR_FORBIDDEN);
    /* bad inputs to sign */
    struct play_link bad = { 0, NOW + 1000, PLAY_ISSUER_USER, 7 };
    assert_int_equal(play_link_sign(&at->app.keys, &bad, &tok), ERR_INVALID);
    bad = (struct play_link){ 1, NOW + 1000, (enum play_issuer)9, 7 };
    assert_int_equal(play_link_sign(&at->app.keys, &bad, &tok), ERR_INVALID);
    buf_release(&tok);
}

static void
test_other_keys(void **state)
{
    struct apptest *at = *state;
    struct buf tok = BUF_INIT;
    struct keyring other = { 0 };
    struct play_link l;
    uint8_t raw[DATA_KEY_LEN];

    sign(at, 42, NOW + 300000, PLAY_ISSUER_USER, 7, &tok);
    /* another installation (same key id 1, other key material) refuses it */
    memset(raw, 0x5a, sizeof raw);
    assert_int_equal(keyring_add(&other, 1, raw), 0);
    assert_int_equal(play_link_verify(&other, tok.data, tok.len, NOW, 0, &l), ERR_FORBIDDEN);
    /* a rotated ring (a new active key) still verifies what the old key signed */
    memset(raw, 0x33, sizeof raw);
    assert_int_equal(keyring_add(&at->app.keys, 2, raw), 0);
    assert_int_equal(play_link_verify(&at->app.keys, tok.data, tok.len, NOW, 0, &l), 0);
    keyring_wipe(&other);
    buf_release(&tok);
}

static void
test_revoked_issuer(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT, tok = BUF_INIT;
    struct play_link l;
    int64_t tid = 0, uid;

    time_set_fake_ms(NOW);
    video_link_forget();
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "screen vendor", PERM_SET(PERM_BIT_VIDEO_PLAY), NULL,
                                  &secret, &tid), 0);
    sign(at, 42, NOW + 300000, PLAY_ISSUER_TOKEN, tid, &tok);
    assert_int_equal(video_link_check(&at->app, at->db, tok.data, tok.len, &l), 0);
    assert_int_equal(token_revoke(&at->app, at->db, &at->admin, tid), 0);
    video_link_forget(); /* else the cached answer holds for VIDEO_ISSUER_CACHE_MS */
    assert_int_equal(video_link_check(&at->app, at->db, tok.data, tok.len, &l), ERR_FORBIDDEN);
    /* a token that never existed */
    sign(at, 42, NOW + 300000, PLAY_ISSUER_TOKEN, tid + 100, &tok);
    assert_int_equal(video_link_check(&at->app, at->db, tok.data, tok.len, &l), ERR_FORBIDDEN);

    /* a user's link dies with the user's lock */
    uid = apptest_user(at, "vplayer", ROLE_DISTRICT, NULL, NULL, NULL);
    sign(at, 42, NOW + 300000, PLAY_ISSUER_USER, uid, &tok);
    assert_int_equal(video_link_check(&at->app, at->db, tok.data, tok.len, &l), 0);
    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, uid, true), 0);
    video_link_forget();
    assert_int_equal(video_link_check(&at->app, at->db, tok.data, tok.len, &l), ERR_FORBIDDEN);
    /* expired is refused before any lookup */
    time_set_fake_ms(NOW + 300000);
    assert_int_equal(video_link_check(&at->app, at->db, tok.data, tok.len, &l), ERR_FORBIDDEN);
    buf_release_secret(&secret);
    buf_release(&tok);
}

static void
test_embed_sites_parse(void **state)
{
    (void)state;
    static const char *const good[][2] = {
        { "https://a.example https://b.example", "https://a.example https://b.example" },
        { "  https://a.example:8443\thttp://10.2.3.4  ", "https://a.example:8443 http://10.2.3.4" },
        { "'self' https://*.screens.example", "'self' https://*.screens.example" },
        { "", "" },
    };
    static const char *const bad[] = {
        "https://a.example;script-src *", "https://a.example,https://b", "*", "https://", "ftp://a.example",
        "https://a.example/path", "https://a.example?x", "'none' x", "https://a..", "https://.a.example",
        "https://a.example:", "https://a.example:123456", "data:", "https://a.example\"", "'unsafe-inline'",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct buf out = BUF_INIT;
        assert_int_equal(embed_sites_parse(good[i][0], &out, NULL), 0);
        assert_string_equal(out.data, good[i][1]);
        buf_release(&out);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct buf out = BUF_INIT, why = BUF_INIT;
        if (embed_sites_parse(bad[i], &out, &why) != ERR_INVALID)
            fail_msg("accepted bad list %zu", i);
        assert_true(why.len > 0);
        buf_release(&out);
        buf_release(&why);
    }
    /* at most EMBED_SITES_MAX */
    struct buf many = BUF_INIT, out = BUF_INIT;
    for (int i = 0; i <= EMBED_SITES_MAX; i++)
        buf_printf(&many, "https://s%d.example ", i);
    assert_int_equal(embed_sites_parse(many.data, &out, NULL), ERR_INVALID);
    buf_release(&many);
    buf_release(&out);
}

static void
test_embed_sites_store(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT, got = BUF_INIT;
    int64_t tid = 0;

    assert_int_equal(token_create(&at->app, at->db, &at->admin, "screen vendor", PERM_SET(PERM_BIT_VIDEO_PLAY), NULL,
                                  &secret, &tid), 0);
    assert_int_equal(embed_sites_get(at->db, tid, &got), 0);
    assert_string_equal(got.data, "");
    assert_int_equal(embed_sites_set(&at->app, at->db, &at->admin, tid, "https://a.example  https://b.example"), 0);
    assert_int_equal(embed_sites_get(at->db, tid, &got), 0);
    assert_string_equal(got.data, "https://a.example https://b.example");
    assert_int_equal(embed_sites_set(&at->app, at->db, &at->admin, tid, "https://c.example"), 0);
    buf_reset(&got);
    assert_int_equal(embed_sites_get(at->db, tid, &got), 0);
    assert_string_equal(got.data, "https://c.example");
    assert_int_equal(embed_sites_set(&at->app, at->db, &at->admin, tid, "https://c.example;x"), ERR_INVALID);
    assert_int_equal(embed_sites_set(&at->app, at->db, &at->admin, tid + 50, "https://c.example"), ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "video.embed_sites", NULL, "ok"), 2);
    assert_int_equal(embed_sites_set(&at->app, at->db, &at->admin, tid, ""), 0);
    buf_reset(&got);
    assert_int_equal(embed_sites_get(at->db, tid, &got), 0);
    assert_string_equal(got.data, "");
    apptest_audit_intact(at);
    buf_release_secret(&secret);
    buf_release(&got);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_sign_verify),       APPTEST(test_tamper_any_byte), APPTEST(test_expired_and_wrong_camera),
        APPTEST(test_other_keys),        APPTEST(test_revoked_issuer),  cmocka_unit_test(test_embed_sites_parse),
        APPTEST(test_embed_sites_store),
    };
    return apptest_run("domain_video_play_link", tests, sizeof tests / sizeof tests[0]);
}
