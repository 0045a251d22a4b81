/* core/idno.h - national ID numbers (公民身份号码, GB 11643-1999).
 *
 * Normalisation accepts what people and Excel produce: full-width digits and X (０-９,
 * Ｘ/ｘ), lowercase x, spaces of every kind (ASCII, tab, NBSP U+00A0, ideographic U+3000,
 * thin/zero-width U+2000-U+200B, U+FEFF) anywhere, a leading apostrophe ('), a ="…" wrapper
 * (Excel formula text) and surrounding quotes. It never repairs digits: a value Excel turned
 * into a number (scientific notation like 1.10102E+17, or 18 digits whose tail was zeroed
 * after the 15th significant digit, e.g. ending in "000" with a ".0" or from a float) is
 * IDNO_EXCEL_CORRUPTED. 15-digit first-generation numbers are converted to 18 digits
 * (century 19, check digit computed). Masking keeps the 6-digit region and the last 4:
 * "110102********1234".
 *
 * Classification, precisely. Spaces are dropped wherever they are (also CR/LF, U+0085,
 * U+2028/9, U+202F, U+205F, U+2060); full-width forms U+FF01-U+FF5E count as their ASCII
 * twins; any mix of '=', double quotes, apostrophes and curly quotes may precede the number
 * and quotes may follow it. What is left must be one of these, else NOT_AN_ID ("abc",
 * "12345", 16 or 17 digits, an X that is not last, "1101-02…", two numbers in one cell):
 *   nothing at all -> EMPTY;
 *   scientific notation (1.10102E+17, 1.10102199003077e17) of a 15- to 18-digit number
 *       -> EXCEL_CORRUPTED (other magnitudes are NOT_AN_ID);
 *   a written-out number, i.e. digits with a decimal point and a zero fraction ("….0") or
 *       with thousands commas: 16-18 digits -> EXCEL_CORRUPTED whatever the check digit
 *       says (a float cannot hold them); 15 digits -> read as a 15-digit number (a float
 *       holds 15 digits exactly); a non-zero fraction -> NOT_AN_ID;
 *   15 digits -> CONVERTED_15, or BAD_DATE (no check digit to verify);
 *   17 digits + digit/X (18 characters): check digit wrong and the last three characters
 *       "000" -> EXCEL_CORRUPTED (the tail Excel zeroes after 15 significant digits); check
 *       digit wrong otherwise -> BAD_CHECKSUM; check digit right but the date is not a real
 *       date in [1900-01-01, today] -> BAD_DATE; else OK when the input was exactly the 18
 *       canonical bytes, FIXED otherwise. The checksum is judged before the date: BAD_DATE
 *       means the number is self-consistent but cannot be anyone's birth date.
 * "Today" is the Asia/Shanghai (UTC+8) date of time_now_ms(). Rejections leave out wiped.
 */
#ifndef JY_CORE_IDNO_H
#define JY_CORE_IDNO_H
#include <stdbool.h>
#include <stddef.h>

#define IDNO_LEN 18

/* Row statuses, in the stable codes used by batch exports (R4.5). FORMULA is a cell whose
 * formula has no cached result and is not a plain literal, so its value cannot be known
 * without a spreadsheet program (io/columns.h columns_idno; idno_normalize never returns
 * it): rejected, never called empty. NOT_AN_ID stays last: loops over every status run
 * up to it. */
#define IDNO_STATUS_TABLE(X)                                 \
    X(OK, "ok", "正常")                                      \
    X(FIXED, "fixed", "已修正格式")                          \
    X(CONVERTED_15, "converted_15", "15位已转换")            \
    X(BAD_CHECKSUM, "bad_checksum", "校验位错误")            \
    X(BAD_DATE, "bad_date", "出生日期错误")                  \
    X(EXCEL_CORRUPTED, "excel_corrupted", "被Excel改坏")     \
    X(EMPTY, "empty", "空")                                  \
    X(DUPLICATE, "duplicate", "名单内重复")                  \
    X(FORMULA, "formula", "公式无缓存值")                    \
    X(NOT_AN_ID, "not_an_id", "不是身份证号")

enum idno_status {
#define IDNO__ENUM(name, code, word) IDNO_##name,
    IDNO_STATUS_TABLE(IDNO__ENUM)
#undef IDNO__ENUM
};

/* idno_status_code returns the stable code ("bad_checksum"). */
const char *idno_status_code(enum idno_status st);
/* idno_status_word returns the status in Chinese words for the 状态 column ("校验位错误",
 * issue 14); the code goes beside it in 状态代码. */
const char *idno_status_word(enum idno_status st);
/* idno_normalize cleans in[0..n) into out (18 chars + NUL, uppercase X) and returns the
 * status: OK (already clean), FIXED (cleaned), CONVERTED_15, or a rejection (BAD_CHECKSUM,
 * BAD_DATE, EXCEL_CORRUPTED, EMPTY, NOT_AN_ID) in which case out is "". Never returns
 * DUPLICATE (that is the batch's business) nor FORMULA (the reader's). Birth dates must
 * be real calendar dates between 1900-01-01 and today. */
enum idno_status idno_normalize(const char *in, size_t n, char out[IDNO_LEN + 1]);
/* idno_is_valid: true when s is exactly 18 normalised characters with valid date and check
 * digit. */
bool idno_is_valid(const char *s);
/* idno_check_digit computes the MOD 11-2 check character for the first 17 digits; '\0'
 * when one of them is not an ASCII digit. */
char idno_check_digit(const char *first17);
/* idno_mask writes "110102********1234" for a valid 18-char id (out: 19 bytes, may be
 * id18 itself); anything that is not 18 characters long gives "". */
void idno_mask(const char *id18, char out[IDNO_LEN + 1]);

#endif
