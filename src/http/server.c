/* http/server.c - libmicrohttpd adapter: request life cycle, central errors, security
 * headers, access log (S3, S4, O3). Not the place for resource logic (api/) or for
 * authentication rules (api/gate.c): it calls the configured gate and the route's handler.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/i18n.h"
#include "core/json_escape.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "http/form.h"
#include "http/forwarded.h"
#include "http/metrics.h"
#include "http/static.h"
#include "http/stream.h"

ssize_t http__stream_reader(void *cls, uint64_t pos, char *buf, size_t max);
uint64_t http__stream_length(const struct http_stream *s);
void http__stream_free(void *cls);
void http__streams_stop(void);

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
    struct http_config cfg;
    bool loopback;
};

/* Per-request state the handlers do not see. */
struct http_req {
    struct req req; /* first: handlers get &hr->req */
    struct http_server *srv;
    int early_rc;   /* an error found before the body was read */
    bool is_static;
    bool queued;
    char allow[64];
};

#define HTTP_CSP_BASE                                                                               \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                \
    "font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; "   \
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "
static const char http_csp[] = HTTP_CSP_BASE "'none'";

static void
http_request_id(char *out, size_t cap)
{
    uint8_t rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memset(rnd, 0, sizeof rnd);
    char hex[2 * sizeof rnd + 1];
    hex_to_str(rnd, sizeof rnd, hex);
    str_copy(out, cap, hex);
}

static void
http_client_ip(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    str_copy(out, cap, "unknown");
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, (socklen_t)cap);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, (socklen_t)cap);
}

/* http_forwarded_ip replaces ip (the socket's peer) with the client X-Forwarded-For names
 * when the server is behind trusted proxies (http/forwarded.h). */
static void
http_forwarded_ip(const struct http_config *cfg, struct MHD_Connection *conn, char *ip, size_t cap)
{
    char client[64];
    if (cfg->tls_offloaded &&
        forwarded_client(cfg->trusted_proxies, ip,
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"), client,
                         sizeof client))
        str_copy(ip, cap, client);
}

/* http_streamed: is the body a multipart form, streamed to http/form.h? */
static bool
http_streamed(const struct http_req *hr)
{
    return !hr->is_static && hr->req.route && (hr->req.route->flags & ROUTE_MULTIPART);
}

/* http_precheck finds the route and checks what can be checked before the body arrives. */
static void
http_precheck(struct http_req *hr)
{
    struct req *req = &hr->req;
    struct buf allow = BUF_INIT;
    const char *cl;
    int64_t declared = 0;
    bool api = strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0;
    int rc = route_find(hr->srv->cfg.routes, req->method, req->path, req, &req->route, &allow);

    if (rc == ERR_NOT_FOUND && !api &&
        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
        hr->is_static = true;
        rc = 0;
    }
    if (rc == ERR_METHOD)
        str_copy(hr->allow, sizeof hr->allow, allow.data);
    buf_release(&allow);
    if (rc) {
        hr->early_rc = req_fail(req, rc, rc == ERR_METHOD ? "method '%s' is not allowed here"
                                                          : "no such resource", req->method);
        return;
    }
    cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    size_t cap = hr->is_static ? 0 : req->route->body_cap;
    if (cl && (cstr_to_i64(cl, &declared, 0, INT64_MAX) || (uint64_t)declared > cap))
        hr->early_rc = req_fail(req, ERR_TOO_LARGE, "the body may have at most %zu bytes", cap);
    /* a multipart body is streamed (http/form.h), never held here */
    buf_init(&req->body, cap && !http_streamed(hr) ? cap : 1);
}

/* http_has_body: does the request announce a body (a non-zero Content-Length, or a
 * Transfer-Encoding)? */
static bool
http_has_body(struct req *req)
{
    const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) || (cl && strcmp(cl, "0") != 0);
}

/* http_admit runs the gate (authentication, CSRF, pending steps, permission) from the
 * headers alone, before a byte of the body is read (issue 12): a stranger's upload is
 * refused without the server holding it. */
static int
http_admit(struct http_req *hr)
{
    struct req *req = &hr->req;
    struct app *app = hr->srv->app;
    int rc;
    if (hr->early_rc || hr->is_static || !hr->srv->cfg.gate)
        return hr->early_rc;
    req->db = db_pool_get(app->pool);
    rc = hr->srv->cfg.gate(req);
    db_pool_put(app->pool, req->db);
    req->db = NULL;
    if (!rc && http_streamed(hr) && http_has_body(req)) {
        /* the upload quota, also from the headers (http/form.h) */
        const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t declared = -1;
        if (cl && !req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING))
            (void)cstr_to_i64(cl, &declared, 0, INT64_MAX); /* checked by http_precheck */
        rc = form__admit(req, declared);
    }
    return rc;
}

/* http_check_type enforces the route's content type on a non-empty body. */
static int
http_check_type(struct req *req)
{
    const char *ct = req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    bool multipart = req->route->flags & ROUTE_MULTIPART;
    const char *want = multipart ? "multipart/form-data" : "application/json";
    size_t n = strlen(want);
    if (multipart ? !form__bytes(req) : !req->body.len)
        return 0;
    if (!ct || strncasecmp(ct, want, n) != 0 || (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' '))
        return req_fail(req, ERR_MEDIA_TYPE, "the body must be '%s'", want);
    return 0;
}

/* http_error_body builds the one error envelope. The message follows the request's
 * Accept-Language (core/i18n.h): the handler's English detail, translated through the
 * catalogue when it is there (its reason code then goes beside it); in Chinese an
 * untranslated detail gives way to the code's default message, never half English, and
 * is kept as given in error.detail so no row number or field name is lost. The
 * code stays the same in every language. */
static void
http_error_body(struct req *req, int rc)
{
    struct buf b = BUF_INIT;
    enum i18n_lang lang = i18n_lang_parse(req_header(req, "Accept-Language"));
    char text[sizeof req->fail_msg * 2];
    const char *reason = NULL, *detail = NULL, *msg = lang == I18N_EN ? err_message(rc) : err_message_zh(rc);
    /* internal errors never carry detail to the client (S4) */
    if (req->fail_msg[0] && err_status(rc) < 500) {
        reason = i18n_translate(req->fail_msg, lang, text, sizeof text);
        if (reason)
            msg = text;
        else if (lang == I18N_EN)
            msg = req->fail_msg;
        else
            detail = req->fail_msg; /* the rare uncatalogued detail: kept, beside the message */
    }
    buf_adds(&b, "{\"error\":{\"code\":");
    json_escape(&b, err_code(rc));
    buf_adds(&b, ",\"message\":");
    json_escape(&b, msg);
    if (reason) {
        buf_adds(&b, ",\"reason\":");
        json_escape(&b, reason);
    }
    if (detail) {
        buf_adds(&b, ",\"detail\":");
        json_escape(&b, detail);
    }
    buf_adds(&b, ",\"request_id\":");
    json_escape(&b, req->actor.request_id);
    buf_adds(&b, "}}\n");
    size_t len = 0;
    char *data = buf_detach(&b, &len);
    req_reply(req, err_status(rc), "application/json; charset=utf-8", data, len);
    req_add_header(req, "Content-Language", i18n_lang_tag(lang));
    req_add_header(req, "Vary", "Accept-Language");
}

/* http_run does the work once the whole request has been read. */
static void
http_run(struct http_req *hr)
{
    struct req *req = &hr->req;
    struct app *app = hr->srv->app;
    int rc = hr->early_rc;

    if (!rc && hr->is_static) {
        rc = static_serve(req);
    } else if (!rc) {
        form__finish(req);
        if (buf_error(&req->body))
            rc = req_fail(req, ERR_TOO_LARGE, "the body may have at most %zu bytes", req->route->body_cap);
        else
            rc = http_check_type(req);
        if (!rc) { /* the gate already admitted the request from its headers (http_admit) */
            req->db = db_pool_get(app->pool);
            rc = req->route->handler(req);
            db_pool_put(app->pool, req->db);
            req->db = NULL;
        }
    }
    if (rc) {
        if (err_status(rc) >= 500)
            log_error("http.error", "request_id", req->actor.request_id, "error", err_name(rc),
                      "route", req->route ? req->route->path : "-", NULL);
        http_error_body(req, rc);
        if (rc == ERR_METHOD && hr->allow[0])
            req_add_header(req, "Allow", hr->allow);
    } else if (!req->status) {
        req_reply(req, 204, NULL, NULL, 0);
    }
}

static bool
http_has_header(const struct req *req, const char *name)
{
    for (size_t i = 0; i < req->nhdr; i++)
        if (strcasecmp(req->hdr_names[i], name) == 0)
            return true;
    return false;
}

static enum MHD_Result
http_queue(struct http_req *hr)
{
    struct req *req = &hr->req;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (req->stream)
        resp = MHD_create_response_from_callback(http__stream_length(req->stream),
                                                 http__stream_length(req->stream) == MHD_SIZE_UNKNOWN
                                                     ? 4096
                                                     : 64 * 1024,
                                                 http__stream_reader, req->stream, http__stream_free);
    else if (req->resp_static || !req->resp)
        resp = MHD_create_response_from_buffer(req->resp_len, req->resp ? req->resp : (char *)"",
                                               MHD_RESPMEM_PERSISTENT);
    else
        resp = MHD_create_response_from_buffer(req->resp_len, req->resp, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        return MHD_NO;
    req->stream = NULL; /* owned by the response now */
    if (!req->resp_static)
        req->resp = NULL; /* owned by the response now */
    if (req->resp_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->resp_type);
    if (req->frame_ancestors) { /* the embeddable player only (req_set_frame_ancestors) */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                arena_printf(&req->arena, "%s%s", HTTP_CSP_BASE, req->frame_ancestors));
    } else {
        MHD_add_response_header(resp, "Content-Security-Policy", http_csp);
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    MHD_add_response_header(resp, "X-Request-Id", req->actor.request_id);
    if (hr->srv->cfg.tls_offloaded || hr->srv->cfg.tls_cert_pem)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (!http_has_header(req, "Cache-Control"))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; i < req->nhdr; i++)
        MHD_add_response_header(resp, req->hdr_names[i], req->hdr_values[i]);
    ret = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    hr->queued = true;
    return ret;
}

static struct http_req *
http_req_new(struct http_server *srv, struct MHD_Connection *conn, const char *url, const char *method)
{
    struct http_req *hr = xcalloc(1, sizeof *hr);
    struct req *req = &hr->req;
    hr->srv = srv;
    req->app = srv->app;
    req->conn = conn;
    req->t0_us = time_mono_us();
    req->method = arena_strdup(&req->arena, method);
    req->path = arena_strdup(&req->arena, url);
    req->body = (struct buf)BUF_INIT;
    req->actor.role = ROLE_NONE;
    http_request_id(req->actor.request_id, sizeof req->actor.request_id);
    http_client_ip(conn, req->actor.ip, sizeof req->actor.ip);
    http_forwarded_ip(&srv->cfg, conn, req->actor.ip, sizeof req->actor.ip);
    return hr;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
            const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct http_req *hr = *con_cls;
    (void)version;

    if (!hr) {
        hr = http_req_new(srv, conn, url, method);
        *con_cls = hr;
        http_precheck(hr);
        int routed = hr->early_rc;
        hr->early_rc = http_admit(hr);
        if (hr->early_rc == ERR_TOO_LARGE || (!routed && hr->early_rc && http_has_body(&hr->req))) {
            /* refuse now rather than read the body; libmicrohttpd then closes. A request
             * without a body is answered after its (empty) body: keep-alive stays. */
            http_error_body(&hr->req, hr->early_rc);
            return http_queue(hr);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* libmicrohttpd refuses a response in the middle of an upload, so an oversized
         * (chunked) body is drained and answered 413 at the end; the memory stays capped */
        if (!hr->early_rc && !hr->queued && http_streamed(hr)) {
            if (form__bytes(&hr->req) + *upload_size > hr->req.route->body_cap)
                hr->early_rc = req_fail(&hr->req, ERR_TOO_LARGE, "the body may have at most %zu bytes",
                                        hr->req.route->body_cap);
            else
                form__feed(&hr->req, upload, *upload_size);
        } else if (!hr->early_rc && !hr->queued) {
            buf_add(&hr->req.body, upload, *upload_size);
            if (buf_error(&hr->req.body)) {
                hr->early_rc = req_fail(&hr->req, ERR_TOO_LARGE, "the body may have at most %zu bytes",
                                        hr->req.route ? hr->req.route->body_cap : 0);
                buf_release(&hr->req.body);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (hr->queued)
        return MHD_YES;
    http_run(hr);
    return http_queue(hr);
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_req *hr = *con_cls;
    (void)cls;
    (void)conn;
    if (!hr)
        return;
    struct req *req = &hr->req;
    int64_t us = time_mono_us() - req->t0_us;
    char status[8], ms[24];
    snprintf(status, sizeof status, "%d", req->status ? req->status : 499);
    snprintf(ms, sizeof ms, "%.3f", (double)us / 1000.0);
    metrics_observe(req->status ? req->status : 499, us);
    log_info("http.request", "request_id", req->actor.request_id, "method", req->method, "route",
             hr->is_static ? "static" : req->route ? req->route->path : "-", "status", status,
             "ms", ms, "actor", req->actor.name, "ip", req->actor.ip,
             "end", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted", NULL);
    if (req->resp && !req->resp_static)
        xfree(req->resp);
    buf_release_secret(&req->body);
    form__free(req);
    arena_release(&req->arena);
    xfree(hr);
    *con_cls = NULL;
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* http_unescape decodes %XX in place like libmicrohttpd's default, except %00: a NUL would
 * silently cut the path or a query argument short ("/users/1%00/reset" read as "/users/1"),
 * so it stays literal text and fails to match or parse. */
static size_t
http_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *r = s, *w = s;
    (void)cls;
    (void)conn;
    while (*r) {
        int hi, lo;
        if (r[0] == '%' && r[1] && r[2] && (hi = hex_value(r[1])) >= 0 && (lo = hex_value(r[2])) >= 0 &&
            (hi | lo) != 0) {
            *w++ = (char)(hi << 4 | lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("http.mhd", "msg", msg, NULL);
}

/* http_parse_listen: "host:port", "[v6]:port", ":port". */
static int
http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len, bool *loopback)
{
    char host[128] = "";
    const char *colon;
    int64_t port;
    memset(ss, 0, sizeof *ss);
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':' || (size_t)(end - listen - 1) >= sizeof host)
            return ERR_INVALID;
        memcpy(host, listen + 1, (size_t)(end - listen - 1));
        colon = end + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host)
            return ERR_INVALID;
        memcpy(host, listen, (size_t)(colon - listen));
    }
    if (cstr_to_i64(colon + 1, &port, 1, 65535))
        return ERR_INVALID;
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (!host[0] || strcmp(host, "0.0.0.0") == 0) {
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        *loopback = false;
    } else if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    } else {
        return ERR_INVALID;
    }
    return 0;
}

int
http_listen_check(const struct http_config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t slen = 0;
    bool loopback = false;
    if (http_parse_listen(cfg->listen, &ss, &slen, &loopback))
        return ERR_INVALID;
    if (!loopback && !(cfg->tls_cert_pem && cfg->tls_key_pem) && !cfg->tls_offloaded)
        return ERR_FORBIDDEN;
    return 0;
}

int
http_start(struct app *app, const struct http_config *cfg, struct http_server **out)
{
    struct sockaddr_storage ss;
    socklen_t slen = 0;
    bool loopback = false;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg->threads ? cfg->threads : (unsigned)(cores > 2 ? cores * 2 : 4);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;

    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    int rc = http_listen_check(cfg);
    if (rc || http_parse_listen(cfg->listen, &ss, &slen, &loopback))
        return rc ? rc : ERR_INVALID;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->app = app;
    srv->cfg = *cfg;
    srv->loopback = loopback;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, http_access, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
        MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL, MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->conn_per_ip,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
        cfg->tls_key_pem, MHD_OPTION_END);
    if (!srv->daemon) {
        xfree(srv);
        return ERR_IO;
    }
    *out = srv;
    return 0;
}

void
http_stop(struct http_server *srv)
{
    if (!srv)
        return;
    http__streams_stop(); /* no connection may stay suspended: libmicrohttpd would abort */
    MHD_stop_daemon(srv->daemon);
    xfree(srv);
}

bool
http_cookie_secure(const struct req *req)
{
    const struct http_req *hr = (const struct http_req *)req;
    return hr->srv->cfg.tls_offloaded || hr->srv->cfg.tls_cert_pem || hr->srv->loopback;
}
