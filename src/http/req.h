/* http/req.h - one HTTP request as handlers see it, and the replies they give.
 *
 * A struct req lives from the first byte of a request to the end of its response. Its
 * arena holds request-lifetime memory. db is a pooled connection held while the handler
 * runs. actor is filled by the gate (api/gate.c) before a handler runs. Handlers return 0
 * after setting a reply, or an ERR_* code: the server then answers with the one error
 * envelope, using the message given to req_fail (or the table's default).
 *
 * http/ knows the shapes of struct app and struct actor but none of the domain logic.
 */
#ifndef JY_HTTP_REQ_H
#define JY_HTTP_REQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8

struct route;
struct http_stream;
struct http_form;

struct req {
    struct arena arena;
    struct app *app;
    struct db *db;
    struct actor actor;
    const struct route *route;
    const char *method, *path;
    const char *params[REQ_MAX_PARAMS];
    size_t nparams;
    struct buf body;             /* a JSON body; empty for a ROUTE_MULTIPART route */
    struct http_form *form;      /* a ROUTE_MULTIPART body, streamed (http/form.h) */
    /* session details, for the gate and the auth handlers */
    bool via_cookie;
    char csrf[64];
    /* response */
    int status;
    char *resp;
    size_t resp_len;
    bool resp_static; /* resp points at embedded data, not owned */
    const char *resp_type;
    struct http_stream *stream; /* a streamed response (http/stream.h) instead of resp */
    const char *hdr_names[REQ_MAX_HEADERS], *hdr_values[REQ_MAX_HEADERS];
    size_t nhdr;
    const char *frame_ancestors; /* req_set_frame_ancestors; NULL: 'none' */
    char fail_msg[256];
    int64_t t0_us;
    void *conn; /* the libmicrohttpd connection */
};

/* req_header returns a request header value or NULL. */
const char *req_header(struct req *req, const char *name);
/* req_query returns a query-string argument or NULL. */
const char *req_query(struct req *req, const char *name);
/* req_param_i64 parses route parameter i ({id}) as a positive id; ERR_NOT_FOUND if not. */
int req_param_i64(struct req *req, size_t i, int64_t *out);
/* req_fail records a client-facing message for rc and returns rc. Messages are lower case,
 * quote the subject, and never carry personal data or internal detail. */
int req_fail(struct req *req, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* req_add_header adds a response header (copied into the arena). */
void req_add_header(struct req *req, const char *name, const char *value);
/* req_set_frame_ancestors lets this one response be framed by sources (CSP frame-ancestors
 * syntax, e.g. "'self'" or "https://a.example https://b.example"; copied into the arena):
 * the server's Content-Security-Policy then says "frame-ancestors <sources>" instead of
 * 'none' and X-Frame-Options is left out. Every other response stays unframeable. The
 * caller validates sources (no ';' or ','); only the embeddable video player uses it. */
void req_set_frame_ancestors(struct req *req, const char *sources);
/* req_reply sets the response, taking ownership of data (from xmalloc). */
void req_reply(struct req *req, int status, const char *content_type, char *data, size_t len);
/* req_reply_static sets a response whose data outlives the request (embedded files). */
void req_reply_static(struct req *req, int status, const char *content_type,
                      const unsigned char *data, size_t len);

#endif
