/* tests/unit/media/test_ring.c - the fragment ring of a live session (issue 9; R3.1, R3.3):
 * numbering of segments (GOPs) and parts, eviction of whole GOPs by bytes and by segment
 * count, a lone GOP over the cap, a new generation after a reconnect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/ring.h"

#define FRAME_US 40000 /* 25 fps */

static void add(struct media_ring *r, bool key, size_t len)
{
    static uint8_t data[4096];
    static int64_t dts;
    dts += FRAME_US;
    media_ring_add(r, data, len, key, dts, FRAME_US);
}

static void test_numbering(void **state)
{
    (void)state;
    struct media_ring r;
    media_ring_init(&r, 1 << 20, 200000);
    media_ring_set_init(&r, "ftypmoov", 8);
    assert_int_equal(r.gen, 1);
    assert_false(media_ring_add(&r, "x", 1, false, 0, FRAME_US)); /* must begin with a keyframe */
    assert_null(media_ring_first(&r));
    for (int i = 0; i < 25; i++) /* GOP of 12: keyframes at 0, 12, 24 */
        add(&r, i % 12 == 0, 100);
    const struct media_frag *f = media_ring_first(&r);
    assert_int_equal(f->seq, 0);
    assert_true(f->key && f->part_start);
    assert_int_equal(f->msn, 0);
    /* parts of 5 frames (5 x 40 ms = 200 ms): frames 0-4 part 0, 5-9 part 1, 10-11 part 2 */
    assert_int_equal(media_ring_at(&r, 4)->part, 0);
    assert_int_equal(media_ring_at(&r, 5)->part, 1);
    assert_true(media_ring_at(&r, 5)->part_start);
    assert_false(media_ring_at(&r, 6)->part_start);
    assert_int_equal(media_ring_at(&r, 11)->part, 2);
    assert_int_equal(media_ring_at(&r, 12)->msn, 1);
    assert_int_equal(media_ring_at(&r, 12)->part, 0);
    assert_int_equal(media_ring_newest_key(&r)->seq, 24);
    assert_int_equal(media_ring_last(&r)->msn, 2);
    assert_null(media_ring_at(&r, 25));

    /* a reconnect: new generation, empty ring, numbers keep counting */
    media_ring_set_init(&r, "ftypmoov2", 9);
    assert_int_equal(r.gen, 2);
    assert_int_equal(r.discontinuity, 1);
    assert_null(media_ring_first(&r));
    assert_null(media_ring_newest_key(&r));
    add(&r, true, 100);
    assert_int_equal(media_ring_first(&r)->seq, 25);
    assert_int_equal(media_ring_first(&r)->msn, 3);
    media_ring_release(&r);
}

static void test_eviction(void **state)
{
    (void)state;
    struct media_ring r;
    media_ring_init(&r, 10 * 1000, 200000);
    media_ring_set_init(&r, "i", 1);
    for (int i = 0; i < 40; i++) /* GOPs of 10 x 400 bytes = 4000 bytes */
        add(&r, i % 10 == 0, 400);
    /* 10,000 bytes hold two GOPs whole (8,000): older GOPs went whole */
    assert_true(r.bytes <= 10 * 1000);
    assert_true(media_ring_first(&r)->key);
    assert_int_equal(media_ring_first(&r)->seq, 20);
    assert_int_equal(r.count, 20);

    /* one GOP larger than the cap loses its head; the newest fragment always stays */
    for (int i = 0; i < 30; i++)
        add(&r, i == 0, 400);
    assert_true(r.bytes <= 10 * 1000);
    assert_false(media_ring_first(&r)->key);
    assert_null(media_ring_newest_key(&r));
    add(&r, true, 4096); /* a keyframe again */
    assert_non_null(media_ring_newest_key(&r));
    media_ring_release(&r);

    /* the segment cap */
    media_ring_init(&r, 1 << 20, 200000);
    media_ring_set_init(&r, "i", 1);
    for (int i = 0; i < (MEDIA_RING_MAX_SEGMENTS + 5) * 2; i++)
        add(&r, i % 2 == 0, 10);
    assert_int_equal(r.count, MEDIA_RING_MAX_SEGMENTS * 2);
    assert_true(media_ring_first(&r)->key);
    media_ring_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbering),
        cmocka_unit_test(test_eviction),
    };
    return cmocka_run_group_tests_name("media/ring", tests, NULL, NULL);
}
