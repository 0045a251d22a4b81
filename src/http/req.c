/* http/req.c - request accessors and replies over libmicrohttpd (see req.h). */
#include "http/req.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"

const char *
req_header(struct req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
req_query(struct req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int
req_param_i64(struct req *req, size_t i, int64_t *out)
{
    if (i >= req->nparams || cstr_to_i64(req->params[i], out, 1, INT64_MAX))
        return req_fail(req, ERR_NOT_FOUND, "no such resource");
    return 0;
}

int
req_fail(struct req *req, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->fail_msg, sizeof req->fail_msg, fmt, ap);
    va_end(ap);
    return rc;
}

void
req_add_header(struct req *req, const char *name, const char *value)
{
    if (req->nhdr >= REQ_MAX_HEADERS)
        return;
    req->hdr_names[req->nhdr] = arena_strdup(&req->arena, name);
    req->hdr_values[req->nhdr] = arena_strdup(&req->arena, value);
    req->nhdr++;
}

static void
req_drop_reply(struct req *req)
{
    if (req->resp && !req->resp_static)
        xfree(req->resp);
    req->resp = NULL;
    req->resp_len = 0;
    req->resp_static = false;
}

void
req_reply(struct req *req, int status, const char *content_type, char *data, size_t len)
{
    req_drop_reply(req);
    req->status = status;
    req->resp_type = content_type;
    req->resp = data;
    req->resp_len = len;
}

void
req_reply_static(struct req *req, int status, const char *content_type,
                 const unsigned char *data, size_t len)
{
    req_drop_reply(req);
    req->status = status;
    req->resp_type = content_type;
    req->resp = (char *)data;
    req->resp_len = len;
    req->resp_static = true;
}

void
req_set_frame_ancestors(struct req *req, const char *sources)
{
    req->frame_ancestors = sources && *sources ? arena_strdup(&req->arena, sources) : NULL;
}
