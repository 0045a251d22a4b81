/* http/forwarded.c - X-Forwarded-For behind trusted proxies (see forwarded.h). */
#include "http/forwarded.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/str.h"

/* forwarded_parse reads one address (surrounding blanks allowed) into a tagged 17-byte form. */
static bool
forwarded_parse(struct str s, unsigned char out[17])
{
    char text[INET6_ADDRSTRLEN + 1];
    s = str_trim(s);
    if (!s.n || s.n >= sizeof text)
        return false;
    memcpy(text, s.p, s.n);
    text[s.n] = '\0';
    memset(out, 0, 17);
    if (inet_pton(AF_INET, text, out + 1) == 1) {
        out[0] = 4;
        return true;
    }
    out[0] = 6;
    return inet_pton(AF_INET6, text, out + 1) == 1;
}

/* forwarded_range reads a list entry: an address, or a CIDR range "ADDR/BITS" (BITS at most
 * 32 for IPv4, 128 for IPv6; the address's bits past BITS are ignored). *bits gets the prefix
 * length (the whole address without "/"). */
static bool
forwarded_range(struct str s, unsigned char out[17], int *bits)
{
    s = str_trim(s);
    const char *slash = memchr(s.p, '/', s.n);
    if (!slash) {
        if (!forwarded_parse(s, out))
            return false;
        *bits = out[0] == 4 ? 32 : 128;
        return true;
    }
    size_t digits = s.n - (size_t)(slash - s.p) - 1;
    int v = 0;
    if (digits < 1 || digits > 3)
        return false;
    for (size_t i = 1; i <= digits; i++) {
        if (slash[i] < '0' || slash[i] > '9')
            return false;
        v = v * 10 + (slash[i] - '0');
    }
    if (!forwarded_parse((struct str){ s.p, (size_t)(slash - s.p) }, out) || v > (out[0] == 4 ? 32 : 128))
        return false;
    *bits = v;
    return true;
}

/* forwarded_match: does address a lie in the range b/bits (same family, first bits equal)? */
static bool
forwarded_match(const unsigned char a[17], const unsigned char b[17], int bits)
{
    if (a[0] != b[0])
        return false;
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a + 1, b + 1, (size_t)whole) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xff00u >> rest);
    return !rest || ((a[1 + whole] ^ b[1 + whole]) & mask) == 0;
}

bool
forwarded_in_list(const char *list, const char *ip, size_t ip_len)
{
    unsigned char a[17], b[17];
    int bits = 0;
    if (!list || !ip || !forwarded_parse((struct str){ ip, ip_len }, a))
        return false;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (forwarded_range((struct str){ p, n }, b, &bits) && forwarded_match(a, b, bits))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

bool
forwarded_client(const char *trusted, const char *peer, const char *xff, char *out, size_t cap)
{
    unsigned char tmp[17];
    if (!trusted || !peer || !xff || !forwarded_in_list(trusted, peer, strlen(peer)))
        return false;
    for (size_t end = strlen(xff); end > 0;) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        struct str tok = str_trim((struct str){ xff + start, end - start });
        if (!forwarded_parse(tok, tmp))
            return false;
        if (!forwarded_in_list(trusted, tok.p, tok.n)) {
            if (tok.n >= cap)
                return false;
            memcpy(out, tok.p, tok.n);
            out[tok.n] = '\0';
            return true;
        }
        end = start ? start - 1 : 0;
    }
    return false;
}
