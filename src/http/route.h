/* http/route.h - declarative route tables (style: "a route table declares method, path,
 * required permission, body cap and content type; the router checks all of them before a
 * handler runs").
 */
#ifndef JY_HTTP_ROUTE_H
#define JY_HTTP_ROUTE_H
#include <stddef.h>

#include "domain/platform/perm.h"
#include "http/req.h"

enum route_flags {
    ROUTE_JSON = 1 << 0,       /* a body, when present, must be application/json */
    ROUTE_PENDING_OK = 1 << 1, /* allowed while a password change or TOTP enrolment is due */
    ROUTE_MULTIPART = 1 << 2,  /* a body, when present, must be multipart/form-data */
};

struct route {
    const char *method; /* "GET", "POST", "PATCH", "PUT", "DELETE" */
    const char *path;   /* "/api/v1/users/{id}": {name} matches one non-empty segment */
    int (*handler)(struct req *req);
    enum perm perm;
    unsigned flags;
    size_t body_cap; /* bytes; 0 = no body accepted */
};

#define ROUTE_END { NULL, NULL, NULL, PERM_PUBLIC, 0, 0 }

/* route_find looks path up in the NULL-terminated list of tables. On a match it returns 0,
 * *out, and fills req->params from the path. ERR_NOT_FOUND when no route has this path;
 * ERR_METHOD when some do but not with this method (allow gets "GET, POST"). HEAD matches
 * GET routes. */
int route_find(const struct route *const *tables, const char *method, const char *path,
               struct req *req, const struct route **out, struct buf *allow);

#endif
