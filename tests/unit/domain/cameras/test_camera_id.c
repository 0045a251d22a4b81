/* tests/unit/domain/cameras/test_camera_id.c - GB/T 28181 camera IDs (R3.1, R3.7).
 *
 * Inputs are the forms survey sheets really hold: clean IDs, full-width digits, blanks,
 * hyphens, a leading apostrophe, Excel ="…", scientific notation, a digit too few or too
 * many, other device types. IDs are synthetic (centre code 11010200 = 西城区).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "domain/cameras/camera_id.h"

#define CAM "11010200001320000001"

static void
test_valid(void **state)
{
    assert_true(camera_id_is_valid(CAM));
    assert_true(camera_id_is_valid("11010200001310000099"));
    assert_false(camera_id_is_valid("11010200001110000001")); /* DVR */
    assert_false(camera_id_is_valid("1101020000132000000"));
    assert_false(camera_id_is_valid("110102000013200000011"));
    assert_false(camera_id_is_valid("1101020000132000000x"));
    assert_false(camera_id_is_valid(NULL));
    assert_int_equal(camera_id_type(CAM), 132);
    assert_int_equal(camera_id_type("11010200001180000001"), 118);
    assert_int_equal(camera_id_type("abc"), -1);
}

struct fix_case {
    const char *in;
    bool fixed;
};

static void
test_clean_fixes(void **state)
{
    static const struct fix_case cases[] = {
        { CAM, false },
        { "  " CAM " ", true },
        { "'" CAM, true },
        { "’" CAM, true },
        { "=\"" CAM "\"", true },
        { "\"" CAM "\"", true },
        { "1101-0200-0013-2000-0001", true },
        { "11010200 00132 0000001", true },
        { "１１０１０２０００01320000001", true },
        { "11010200001320000001\xe3\x80\x80", true },
        { "1101020000132－0000001", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[CAMERA_ID_LEN + 1];
        bool fixed = !cases[i].fixed;
        struct buf why = BUF_INIT;
        int rc = camera_id_clean(cases[i].in, strlen(cases[i].in), out, &fixed, &why);
        if (rc)
            fail_msg("case %zu refused: %s", i, why.data);
        assert_string_equal(out, CAM);
        assert_int_equal(fixed, cases[i].fixed);
        assert_int_equal(why.len, 0);
        buf_release(&why);
    }
}

struct bad_case {
    const char *in, *reason;
};

static void
test_clean_rejects(void **state)
{
    static const struct bad_case cases[] = {
        { "1.10102000013200E+19", "camera ID is in scientific notation (digits were lost)" },
        { "1.10102E19", "camera ID is in scientific notation (digits were lost)" },
        { "1101020000132000001", "camera ID has 19 digits, 20 expected" },
        { "110102000013200000011", "camera ID has 21 digits, 20 expected" },
        { "11010200001110000001", "device type 111 is not a camera (131 or 132 expected)" },
        { "11010200001320000001.0", "camera ID is a decimal number (digits may be lost)" },
        { "ID11010200001320000001", "camera ID contains characters other than digits" },
        { "", "camera ID is empty" },
        { " ' ", "camera ID is empty" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[CAMERA_ID_LEN + 1] = "x";
        struct buf why = BUF_INIT;
        assert_int_equal(camera_id_clean(cases[i].in, strlen(cases[i].in), out, NULL, &why),
                         ERR_INVALID);
        assert_string_equal(out, "");
        assert_string_equal(why.data, cases[i].reason);
        buf_release(&why);
    }
    char big[CAMERA_ID_MAX_INPUT + 2], out[CAMERA_ID_LEN + 1];
    memset(big, '1', sizeof big);
    assert_int_equal(camera_id_clean(big, sizeof big, out, NULL, NULL), ERR_INVALID);
    assert_int_equal(camera_id_clean(NULL, 0, out, NULL, NULL), ERR_INVALID);
    /* n bounds the read. */
    assert_int_equal(camera_id_clean(CAM "999", 20, out, NULL, NULL), 0);
    assert_string_equal(out, CAM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_clean_fixes),
        cmocka_unit_test(test_clean_rejects),
    };
    return cmocka_run_group_tests_name("camera_id", tests, NULL, NULL);
}
