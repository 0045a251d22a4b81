/* http/multipart.h - a streaming multipart/form-data parser (RFC 7578 over RFC 2046), for
 * file uploads (R4.3: POST /api/v1/batches with the form field "file").
 *
 * The parser is fed the body in pieces of any size (one byte at a time works) and hands
 * each part to a handler: begin with the part's headers, data in pieces, end. Memory is
 * constant: a part's header block (capped) and a look-behind of at most the delimiter's
 * length, so a body of any size can be parsed as it arrives. Part data is never copied
 * when it can be avoided: a data piece points into the bytes given to multipart_feed,
 * except the few bytes held back at the end of a piece because they might begin a
 * boundary; so a whole body fed in one call yields each part as one contiguous slice of
 * it (multipart_field relies on that).
 *
 * What is accepted: a preamble before the first boundary and an epilogue after the last
 * (both ignored); boundary lines with trailing spaces or tabs; parts with any headers
 * (Content-Disposition and Content-Type are read, others ignored) or none. What is
 * refused, with ERR_INVALID: a malformed boundary parameter, a boundary line followed by
 * anything but "--" or white space and CRLF, a header line without a colon or folded over
 * two lines, a Content-Disposition other than form-data, a body that ends before the
 * closing boundary. ERR_TOO_LARGE: a part's header block over MULTIPART_MAX_HEADER bytes
 * or more than MULTIPART_MAX_PARTS parts. The parser never writes to disk and never logs;
 * its messages name no value from the body.
 */
#ifndef JY_HTTP_MULTIPART_H
#define JY_HTTP_MULTIPART_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

#define MULTIPART_MAX_BOUNDARY 70   /* RFC 2046 */
#define MULTIPART_MAX_HEADER 8192   /* bytes of one part's header block */
#define MULTIPART_MAX_PARTS 64
#define MULTIPART_MAX_NAME 255      /* bytes of a field name or file name; longer ones are
                                       ERR_INVALID (name) or cut at a character boundary
                                       (file name) */

/* What begin learns about a part. Strings are NUL-terminated, owned by the parser and
 * valid until begin returns. name is "" when the part has none; filename is NULL when the
 * part is not a file, else the file name with any directory part ("C:\x\a.xlsx") dropped,
 * possibly ""; content_type is NULL when absent. filename is not checked to be UTF-8. */
struct multipart_part {
    const char *name;
    const char *filename;
    const char *content_type;
};

/* Callbacks; each returns 0 or an ERR_* code, which stops the parser and is returned by
 * multipart_feed / multipart_finish. Any of them may be NULL. data is never called with
 * n == 0. */
struct multipart_handler {
    int (*begin)(void *arg, const struct multipart_part *part);
    int (*data)(void *arg, const void *p, size_t n);
    int (*end)(void *arg);
    void *arg;
};

struct multipart;

/* multipart_boundary copies the boundary parameter of a multipart/form-data content type
 * ("multipart/form-data; boundary=----x" or boundary="…") into out (at least
 * MULTIPART_MAX_BOUNDARY + 1 bytes). ERR_MEDIA_TYPE when content_type is NULL or not
 * multipart/form-data, ERR_INVALID when the boundary is missing, empty, longer than
 * MULTIPART_MAX_BOUNDARY or holds control characters. */
int multipart_boundary(const char *content_type, char *out, size_t cap);

/* multipart_new starts a parser for content_type (see multipart_boundary for its errors).
 * The handler is copied. Free with multipart_free. */
int multipart_new(const char *content_type, const struct multipart_handler *h, struct multipart **out);
/* multipart_feed parses p[0..n). After an error every later call returns the same code. */
int multipart_feed(struct multipart *m, const void *p, size_t n);
/* multipart_finish says the body is complete: ERR_INVALID unless the closing boundary was
 * seen. */
int multipart_finish(struct multipart *m);
/* multipart_message describes the last error in lower-case English ("" when none); it
 * never quotes the body. Owned by m. */
const char *multipart_message(const struct multipart *m);
/* multipart_parts returns how many parts have begun. */
size_t multipart_parts(const struct multipart *m);
/* multipart_free releases m; NULL is fine. */
void multipart_free(struct multipart *m);

/* One field of a body parsed whole (multipart_field). */
struct multipart_field {
    bool found;
    struct str data;    /* points into the body given to multipart_field */
    uint64_t size;      /* the value's bytes (http/form.h: also when data is left empty) */
    char filename[MULTIPART_MAX_NAME + 1]; /* "" when the part had no file name */
    bool has_filename;
    char content_type[128];
};

/* multipart_field parses the complete body p[0..n) (content_type from the request) and
 * finds the one part whose name is field. out->data points into p, no copy. A body that
 * has no such part gives 0 with out->found false; two parts of that name are ERR_INVALID.
 * Other parts are skipped. Errors as for multipart_new/feed/finish; when why is not NULL
 * the message is appended to it. */
int multipart_field(const char *content_type, const void *p, size_t n, const char *field,
                    struct multipart_field *out, struct buf *why);

#endif
