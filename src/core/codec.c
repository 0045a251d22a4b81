/* core/codec.c - see codec.h. */
#include "core/codec.h"

#include "core/err.h"

static const char hex_digits[] = "0123456789abcdef";
static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void
hex_encode(struct buf *b, const void *p, size_t n)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        char two[2] = { hex_digits[s[i] >> 4], hex_digits[s[i] & 15] };
        buf_add(b, two, 2);
    }
}

void
hex_to_str(const void *p, size_t n, char *out)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[s[i] >> 4];
        out[2 * i + 1] = hex_digits[s[i] & 15];
    }
    out[2 * n] = '\0';
}

int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n)
{
    if (slen % 2)
        return ERR_INVALID;
    if (slen / 2 > cap)
        return ERR_TOO_LARGE;
    for (size_t i = 0; i < slen; i += 2) {
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return ERR_INVALID;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *n = slen / 2;
    return 0;
}

void
b64url_encode(struct buf *b, const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        char four[4] = { b64url_alphabet[v >> 18], b64url_alphabet[(v >> 12) & 63],
                         b64url_alphabet[(v >> 6) & 63], b64url_alphabet[v & 63] };
        buf_add(b, four, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        char two[2] = { b64url_alphabet[v >> 18], b64url_alphabet[(v >> 12) & 63] };
        buf_add(b, two, 2);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        char three[3] = { b64url_alphabet[v >> 18], b64url_alphabet[(v >> 12) & 63],
                          b64url_alphabet[(v >> 6) & 63] };
        buf_add(b, three, 3);
    }
}

static int
b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

int
b64url_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    while (slen && s[slen - 1] == '=')
        slen--;
    if (slen % 4 == 1)
        return ERR_INVALID;
    for (size_t i = 0; i < slen; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            return ERR_INVALID;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return ERR_TOO_LARGE;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *n = o;
    return 0;
}

void
base32_encode(struct buf *b, const void *p, size_t n)
{
    const uint8_t *s = p;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | s[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            buf_addch(b, base32_alphabet[(acc >> bits) & 31]);
        }
    }
    if (bits)
        buf_addch(b, base32_alphabet[(acc << (5 - bits)) & 31]);
}

int
base32_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < slen; i++) {
        char c = s[i];
        int v;
        if (c == '=' || c == ' ' || c == '-')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= '2' && c <= '7')
            v = c - '2' + 26;
        else
            return ERR_INVALID;
        acc = acc << 5 | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return ERR_TOO_LARGE;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *n = o;
    return 0;
}
