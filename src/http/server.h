/* http/server.h - the HTTP server on libmicrohttpd (the only folder that includes it).
 *
 * Requests flow: route lookup and body checks (404/405/413/415, centrally) -> body read into
 * the request -> gate (authentication, CSRF, permission; supplied by api/) -> handler ->
 * security headers -> response. Requests that match no API route and are GET/HEAD outside
 * /api/ are served from the embedded UI (http/static.c). Keep-alive is preserved: responses
 * are queued only after the whole request was read.
 */
#ifndef JY_HTTP_SERVER_H
#define JY_HTTP_SERVER_H
#include <stdbool.h>
#include <stddef.h>

#include "domain/platform/app.h"
#include "http/route.h"

struct http_config {
    const char *listen;              /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    unsigned threads;                /* worker threads (0 = 2 x cores, at least 4) */
    const struct route *const *routes; /* NULL-terminated list of route tables */
    /* gate runs before every routed handler: authentication, CSRF, permission. */
    int (*gate)(struct req *req);
    bool tls_offloaded;              /* a TLS proxy is in front: mark cookies Secure */
    unsigned conn_per_ip;            /* open connections per client address (0 = no cap) */
    /* native TLS (libmicrohttpd with GnuTLS): PEM text of the certificate chain and key,
     * both or neither */
    const char *tls_cert_pem, *tls_key_pem;
    /* with tls_offloaded: the proxies (comma-separated IP addresses) whose X-Forwarded-For
     * names the client; the rightmost address there that is not a trusted proxy becomes
     * actor.ip (logs, audit, login limits). NULL: the socket's peer is the client. */
    const char *trusted_proxies;
};

#define HTTP_CONN_PER_IP_DEFAULT 64

struct http_server;

/* http_start binds and starts serving in background threads. ERR_INVALID for a bad listen
 * address, ERR_FORBIDDEN for a non-loopback address with neither native TLS nor
 * tls_offloaded (issue 12: no plain HTTP off the host), ERR_IO when the port cannot be
 * bound or the TLS certificate and key are refused. */
int http_start(struct app *app, const struct http_config *cfg, struct http_server **out);
/* http_listen_check applies http_start's address rules without binding: 0, ERR_INVALID or
 * ERR_FORBIDDEN (for a caller that wants to refuse before it starts anything else). */
int http_listen_check(const struct http_config *cfg);
/* http_stop stops accepting, finishes in-flight requests and frees the server. */
void http_stop(struct http_server *srv);
/* http_cookie_secure: should cookies carry Secure (TLS here or in front, or a loopback listener,
 * which browsers treat as a secure context)? */
bool http_cookie_secure(const struct req *req);

#endif
