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

bool
forwarded_in_list(const char *list, const char *ip, size_t ip_len)
{
    unsigned char a[17], b[17];
    if (!list || !ip || !forwarded_parse((struct str){ ip, ip_len }, a))
        return false;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (forwarded_parse((struct str){ p, n }, b) && memcmp(a, b, sizeof a) == 0)
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
