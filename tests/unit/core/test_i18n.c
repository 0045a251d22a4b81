/* tests/unit/core/test_i18n.c - core/i18n: Accept-Language negotiation, the message
 * catalogue and the Chinese defaults of the error table (issue 14).
 *
 * The catalogue is checked as a whole (every Chinese format takes the English one's
 * conversions, reason codes unique); translations of messages the code really writes
 * (with their arguments carried over), an unknown message left alone, truncation on a
 * UTF-8 boundary, and every error code with a Chinese default message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/i18n.h"
#include "core/str.h"

static void
test_lang_parse(void **state)
{
    (void)state;
    assert_int_equal(i18n_lang_parse(NULL), I18N_ZH);
    assert_int_equal(i18n_lang_parse(""), I18N_ZH);
    assert_int_equal(i18n_lang_parse("*"), I18N_ZH);
    assert_int_equal(i18n_lang_parse("fr-FR, de;q=0.5"), I18N_ZH);
    assert_int_equal(i18n_lang_parse("zh-CN"), I18N_ZH);
    assert_int_equal(i18n_lang_parse("zh-CN,zh;q=0.9,en;q=0.8"), I18N_ZH);
    assert_int_equal(i18n_lang_parse("en"), I18N_EN);
    assert_int_equal(i18n_lang_parse("EN-us"), I18N_EN);
    assert_int_equal(i18n_lang_parse("en-US,en;q=0.9,zh-CN;q=0.8"), I18N_EN);
    assert_int_equal(i18n_lang_parse("zh;q=0.5, en;q=0.7"), I18N_EN);
    assert_int_equal(i18n_lang_parse("fr, en ; q=0.3"), I18N_EN);
    assert_int_equal(i18n_lang_parse("en;q=0, zh;q=0.1"), I18N_ZH);  /* q=0: not acceptable */
    assert_int_equal(i18n_lang_parse("en;q=0"), I18N_ZH);
    assert_int_equal(i18n_lang_parse("english, enx, zhx"), I18N_ZH); /* prefixes are not ranges */
    assert_int_equal(i18n_lang_parse(",,;;q=,en"), I18N_EN);
    assert_string_equal(i18n_lang_tag(I18N_ZH), "zh-CN");
    assert_string_equal(i18n_lang_tag(I18N_EN), "en");
}

static void
test_catalogue_consistent(void **state)
{
    (void)state;
    assert_int_equal(i18n_catalogue_check(), 0);
}

static void
test_translate(void **state)
{
    (void)state;
    char out[256];
    const char *r;

    r = i18n_translate("the file is not an Excel workbook or CSV", I18N_ZH, out, sizeof out);
    assert_string_equal(r, "file_not_table");
    assert_string_equal(out, "不是有效的 Excel 或 CSV 文件");

    r = i18n_translate("the file is not an Excel workbook or CSV (it is a PNG file)", I18N_ZH, out, sizeof out);
    assert_string_equal(r, "file_other_type");
    assert_string_equal(out, "不是有效的 Excel 或 CSV 文件（它是 PNG 文件）");

    r = i18n_translate("the password must have at least 12 characters", I18N_ZH, out, sizeof out);
    assert_string_equal(r, "password_too_short");
    assert_string_equal(out, "密码至少需要 12 个字符");
    r = i18n_translate("the password must have at least 12 characters", I18N_EN, out, sizeof out);
    assert_string_equal(r, "password_too_short");
    assert_string_equal(out, "the password must have at least 12 characters");

    r = i18n_translate("no column of ID numbers found", I18N_ZH, out, sizeof out);
    assert_string_equal(r, "batch_no_id_column");
    assert_string_equal(out, "未找到身份证号码列");

    /* two arguments, in order; a quote and a colon inside an argument */
    r = i18n_translate("the workbook is damaged (xl/worksheets/sheet1.xml, XML line 7: not well-formed)", I18N_ZH,
                       out, sizeof out);
    assert_string_equal(r, "workbook_part_damaged_xml");
    assert_string_equal(out, "工作簿已损坏（xl/worksheets/sheet1.xml 第 7 行 XML：not well-formed）");
    r = i18n_translate("the batch has no results yet (status 'queued')", I18N_ZH, out, sizeof out);
    assert_string_equal(out, "该批次还没有结果（状态“queued”）");
    r = i18n_translate("csv row 3: the text is neither UTF-8 nor GB18030 (GBK)", I18N_ZH, out, sizeof out);
    assert_string_equal(r, "csv_encoding");
    assert_true(str_has_prefix(str_of(out), "CSV 第 3 行："));

    /* not in the catalogue: NULL, out untouched; near misses do not match */
    strcpy(out, "unchanged");
    assert_null(i18n_translate("something nobody wrote", I18N_ZH, out, sizeof out));
    assert_null(i18n_translate("the file is empty!", I18N_ZH, out, sizeof out));
    assert_null(i18n_translate("", I18N_ZH, out, sizeof out));
    assert_null(i18n_translate(NULL, I18N_ZH, out, sizeof out));
    assert_string_equal(out, "unchanged");
}

static void
test_translate_truncates_on_character(void **state)
{
    (void)state;
    char out[10]; /* "未找到身份证号码列" is 27 bytes: 3 characters fit */
    assert_non_null(i18n_translate("no column of ID numbers found", I18N_ZH, out, sizeof out));
    assert_string_equal(out, "未找到");
    char tiny[1];
    assert_non_null(i18n_translate("no column of ID numbers found", I18N_ZH, tiny, sizeof tiny));
    assert_string_equal(tiny, "");
}

/* A long argument with many candidate split points stays bounded and still matches. */
static void
test_translate_long_argument(void **state)
{
    (void)state;
    char in[300], out[512];
    memset(in, 0, sizeof in);
    strcpy(in, "the workbook is damaged (");
    size_t n = strlen(in);
    for (size_t i = 0; i < 200; i++)
        in[n + i] = (i % 2) ? ':' : ' ';
    strcat(in, ": x)");
    const char *r = i18n_translate(in, I18N_ZH, out, sizeof out);
    assert_non_null(r);
    assert_true(str_has_prefix(str_of(out), "工作簿已损坏（"));
}

static void
test_err_zh_defaults(void **state)
{
    (void)state;
    for (int rc = 0; rc < ERR__COUNT; rc++) {
        const char *zh = err_message_zh(rc);
        assert_non_null(zh);
        assert_true(strlen(zh) > 0);
        /* Chinese: the first byte is a UTF-8 lead byte of a CJK character */
        assert_true((unsigned char)zh[0] >= 0xE0);
    }
    assert_string_equal(err_message_zh(ERR_INVALID), "提交的内容有误");
    assert_string_equal(err_code(ERR_LOGIN_LOCKED), "login_locked");
    assert_string_equal(err_code(ERR_TOTP_WRONG), "totp_wrong");
    assert_string_equal(err_message_zh(ERR__COUNT + 5), "系统内部错误");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_parse),
        cmocka_unit_test(test_catalogue_consistent),
        cmocka_unit_test(test_translate),
        cmocka_unit_test(test_translate_truncates_on_character),
        cmocka_unit_test(test_translate_long_argument),
        cmocka_unit_test(test_err_zh_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
