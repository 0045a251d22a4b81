/* http/form.h - multipart/form-data bodies received as a stream (issue 12, R4.3, S6).
 *
 * For a ROUTE_MULTIPART route the server never buffers the body: each piece that arrives is
 * fed to the multipart parser (http/multipart.h) and each part's data goes to memory while
 * the request holds at most FORM_MEM_MAX bytes of part data in all, and beyond that to a
 * sealed temporary file (crypto/sealed_tmp.h) in <var>/tmp: nameless, mode 0600, SM4-CTR
 * under a key that lives only in this request's memory, HMAC-SM3 per chunk. So a 65 MiB
 * batch upload costs the server about FORM_MEM_MAX of memory, no plaintext reaches the disk,
 * and an aborted upload leaves nothing behind (the file has no name and closes with the
 * request).
 *
 * Handlers read the form with form_field (the value in memory: for text fields and files a
 * handler reads whole; a part on disk is decrypted into request memory, capped by the
 * route) or form_file (a file part as a random-access struct table_reader over the sealed
 * file, for io/table.h; nothing is decrypted ahead). A malformed body fails every lookup
 * with the parser's error and message, as multipart_field did over a buffered body.
 *
 * Quota (per account or token, per process): at most FORM_UPLOADS_MAX streamed uploads
 * (bodies above FORM_MEM_MAX, or chunked) in flight and FORM_BYTES_MAX bytes declared by
 * them; a request over it is refused from its headers, before its body is read: 429
 * too_many_requests with reason upload_quota_count / upload_quota_bytes.
 */
#ifndef JY_HTTP_FORM_H
#define JY_HTTP_FORM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/multipart.h"
#include "io/table.h"

#define FORM_MEM_MAX ((size_t)1 << 20)
#define FORM_UPLOADS_MAX 4
#define FORM_BYTES_MAX ((uint64_t)200 << 20)

struct req;
struct http_form;

/* form_field finds the part named field like multipart_field: out->found false when there
 * is none, ERR_INVALID for two of that name or a malformed body (the message appended to
 * why when not NULL). out->data holds the whole value (memory owned by the request);
 * out->size is its length. */
int form_field(struct req *req, const char *field, struct multipart_field *out, struct buf *why);
/* form_file is form_field without reading the value: *rd reads it in place (from memory or
 * the sealed file), valid until the request ends; out->data is left empty and out->size set. */
int form_file(struct req *req, const char *field, struct multipart_field *out, struct table_reader *rd,
              struct buf *why);

/* For http/server.c. form__admit reserves the quota for a request whose route takes a
 * multipart body of declared bytes (-1: chunked, reserved at the route's cap); 0 or ERR_RATE
 * with the message in req. form__feed passes body bytes on (errors are kept for the
 * handler, never returned: the body is always drained). form__finish ends the stream.
 * form__free closes the temporary files and releases the quota; NULL is fine. */
int form__admit(struct req *req, int64_t declared);
void form__feed(struct req *req, const void *p, size_t n);
void form__finish(struct req *req);
void form__free(struct req *req);
/* form__bytes: body bytes received so far (0 before the first). */
uint64_t form__bytes(const struct req *req);

#endif
