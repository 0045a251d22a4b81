/* domain/cameras/camera_id.c - cleaning and checking GB/T 28181 camera IDs (R3.1, R3.7).
 *
 * See camera_id.h for the ID layout and what is repaired or refused. Refusals name the
 * problem (digit count, scientific notation, type code), never the text itself.
 */
#include "domain/cameras/camera_id.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"

#define CAMERA_ID_TYPE_CAMERA 131
#define CAMERA_ID_TYPE_IPC 132

int
camera_id_type(const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < CAMERA_ID_LEN; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    if (s[CAMERA_ID_LEN] != '\0')
        return -1;
    return (s[10] - '0') * 100 + (s[11] - '0') * 10 + (s[12] - '0');
}

bool
camera_id_is_valid(const char *s)
{
    int t = camera_id_type(s);
    return t == CAMERA_ID_TYPE_CAMERA || t == CAMERA_ID_TYPE_IPC;
}

/* Blanks: ASCII white space, no-break space, ideographic space. Returns the byte length. */
static size_t
camera_id_blank(const unsigned char *p, size_t n)
{
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        return 1;
    if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
        return 3;
    return 0;
}

/* Separators people type inside IDs: - _ and the full-width, hyphen, en and em dashes. */
static size_t
camera_id_dash(const unsigned char *p, size_t n)
{
    if (*p == '-' || *p == '_')
        return 1;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x8D)
        return 3;
    if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x94)
        return 3;
    return 0;
}

/* Quote marks that wrap or lead IDs: ' " and the typographic single and double quotes. */
static size_t
camera_id_quote(const unsigned char *p, size_t n)
{
    if (*p == '\'' || *p == '"' || *p == '`')
        return 1;
    if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 &&
        (p[2] == 0x98 || p[2] == 0x99 || p[2] == 0x9C || p[2] == 0x9D))
        return 3;
    return 0;
}

static int
camera_id_fail(char *out, struct buf *why, const char *reason)
{
    out[0] = '\0';
    if (why)
        buf_adds(why, reason);
    return ERR_INVALID;
}

/* camera_id_unwrap trims blanks, an Excel ="…" and leading/trailing quote marks from
 * [*b, *e); sets *fixed when anything went. */
static void
camera_id_unwrap(const unsigned char **b, const unsigned char **e, bool *fixed)
{
    size_t k;
    for (int round = 0; round < 4; round++) {
        const unsigned char *ob = *b, *oe = *e;
        while (*b < *e && (k = camera_id_blank(*b, (size_t)(*e - *b))))
            *b += k;
        while (*b < *e) {
            const unsigned char *q = *e - 1;
            while (q > *b && (*q & 0xC0) == 0x80)
                q--; /* start of the last character */
            if (!camera_id_blank(q, (size_t)(*e - q)))
                break;
            *e = q;
        }
        if (*e - *b >= 1 && **b == '=') {
            (*b)++;
        }
        if (*b < *e && (k = camera_id_quote(*b, (size_t)(*e - *b))))
            *b += k; /* leading apostrophe or opening quote */
        if (*b < *e) {
            const unsigned char *q = *e - 1;
            while (q > *b && (*q & 0xC0) == 0x80)
                q--;
            if (camera_id_quote(q, (size_t)(*e - q)))
                *e = q;
        }
        if (ob == *b && oe == *e)
            return;
        *fixed = true;
    }
}

int
camera_id_clean(const char *s, size_t n, char out[CAMERA_ID_LEN + 1], bool *fixed,
                struct buf *why)
{
    const unsigned char *b = (const unsigned char *)s, *e;
    char digits[CAMERA_ID_LEN + 1];
    size_t nd = 0, k;
    bool fx = false, sci = false, other = false, point = false;

    if (!s || n == 0)
        return camera_id_fail(out, why, "camera ID is empty");
    if (n > CAMERA_ID_MAX_INPUT)
        return camera_id_fail(out, why, "camera ID text is too long");
    e = b + n;
    camera_id_unwrap(&b, &e, &fx);
    if (b == e)
        return camera_id_fail(out, why, "camera ID is empty");
    for (const unsigned char *p = b; p < e;) {
        size_t left = (size_t)(e - p);
        if (*p >= '0' && *p <= '9') {
            if (nd < CAMERA_ID_LEN)
                digits[nd] = (char)*p;
            nd++;
            p++;
        } else if (left >= 3 && p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
            if (nd < CAMERA_ID_LEN)
                digits[nd] = (char)('0' + (p[2] - 0x90));
            nd++;
            p += 3;
            fx = true;
        } else if ((k = camera_id_blank(p, left)) || (k = camera_id_dash(p, left))) {
            p += k;
            fx = true;
        } else if (*p == 'e' || *p == 'E') {
            sci = true;
            p++;
        } else if (*p == '.' || (left >= 3 && p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x8E)) {
            point = true;
            p += *p == '.' ? 1 : 3;
        } else if (*p == '+') {
            p++;
            other = other || !sci;
        } else {
            other = true;
            p++;
        }
    }
    if (sci && !other)
        return camera_id_fail(out, why,
                              "camera ID is in scientific notation (digits were lost)");
    if (other || sci)
        return camera_id_fail(out, why, "camera ID contains characters other than digits");
    if (point)
        return camera_id_fail(out, why, "camera ID is a decimal number (digits may be lost)");
    if (nd != CAMERA_ID_LEN) {
        if (why)
            buf_printf(why, "camera ID has %zu digits, 20 expected", nd);
        out[0] = '\0';
        return ERR_INVALID;
    }
    digits[CAMERA_ID_LEN] = '\0';
    if (!camera_id_is_valid(digits)) {
        if (why)
            buf_printf(why, "device type %.3s is not a camera (131 or 132 expected)",
                       digits + 10);
        out[0] = '\0';
        return ERR_INVALID;
    }
    memcpy(out, digits, sizeof digits);
    if (fixed)
        *fixed = fx;
    return 0;
}
