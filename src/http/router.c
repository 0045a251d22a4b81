/* http/router.c - path matching for the route tables (see route.h). */
#include "http/route.h"

#include <string.h>

#include "core/err.h"

/* route_match compares one template with path, capturing {params} into req. */
static bool
route_match(const char *tmpl, const char *path, struct req *req, bool capture)
{
    size_t np = 0;
    while (*tmpl && *path) {
        if (*tmpl == '{') {
            const char *end = strchr(tmpl, '}');
            size_t seg = strcspn(path, "/");
            if (!end || seg == 0 || np >= REQ_MAX_PARAMS)
                return false;
            if (capture)
                req->params[np] = arena_strndup(&req->arena, path, seg);
            np++;
            tmpl = end + 1;
            path += seg;
            continue;
        }
        if (*tmpl != *path)
            return false;
        tmpl++;
        path++;
    }
    if (*tmpl || *path)
        return false;
    if (capture)
        req->nparams = np;
    return true;
}

int
route_find(const struct route *const *tables, const char *method, const char *path,
           struct req *req, const struct route **out, struct buf *allow)
{
    bool path_seen = false;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t t = 0; tables[t]; t++) {
        for (const struct route *r = tables[t]; r->path; r++) {
            if (!route_match(r->path, path, req, false))
                continue;
            if (strcmp(r->method, m) == 0) {
                route_match(r->path, path, req, true);
                *out = r;
                return 0;
            }
            if (allow && !strstr(allow->data, r->method)) {
                if (allow->len)
                    buf_adds(allow, ", ");
                buf_adds(allow, r->method);
            }
            path_seen = true;
        }
    }
    return path_seen ? ERR_METHOD : ERR_NOT_FOUND;
}
