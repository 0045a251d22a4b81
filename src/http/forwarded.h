/* http/forwarded.h - the client address behind trusted proxies (issue 12, transport):
 * X-Forwarded-For read from the right, believed only as far as the proxies named by the
 * operator (serve --trusted-proxy). Pure string work, no libmicrohttpd. */
#ifndef JY_HTTP_FORWARDED_H
#define JY_HTTP_FORWARDED_H
#include <stdbool.h>
#include <stddef.h>

/* forwarded_in_list: is ip (an IPv4/IPv6 address as text) one of list's comma-separated
 * addresses (compared as addresses: "::1" equals "0:0::1") or inside one of its CIDR ranges
 * ("10.0.0.0/8", "fd00::/8"; an entry that is neither matches nothing)? false for NULL or
 * non-addresses. */
bool forwarded_in_list(const char *list, const char *ip, size_t ip_len);
/* forwarded_client picks the client from xff (the header's value) when peer is one of
 * trusted: the rightmost entry that is not itself a trusted proxy, copied into out (cap
 * bytes, NUL-terminated). An entry that is not an address stops the walk and nothing is
 * picked (what lies left of it is the client's own say). Returns true when out was set. */
bool forwarded_client(const char *trusted, const char *peer, const char *xff, char *out, size_t cap);

#endif
