/* http/stream.h - responses produced while they are sent (Server-Sent Events, large exports).
 *
 * A handler calls req_reply_stream with a fill function. The server calls fill whenever the
 * socket can take more bytes. fill returns how many bytes it wrote into buf (at most max);
 * 0 means "nothing now": the connection is parked (libmicrohttpd suspend, no thread held,
 * no busy loop) until someone calls http_stream_wake. Setting *end finishes the response.
 * release is called exactly once when the response is done (client gone or ended); after
 * it returns the stream must not be woken again.
 */
#ifndef JY_HTTP_STREAM_H
#define JY_HTTP_STREAM_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/req.h"

struct http_stream;

typedef size_t (*http_stream_fill)(void *cls, char *buf, size_t max, bool *end);

/* req_reply_stream sets a streamed 200 response of content_type. *out (may be NULL) gets
 * the stream handle for http_stream_wake; it stays valid until release(cls) has run. */
int req_reply_stream(struct req *req, const char *content_type, http_stream_fill fill, void *cls,
                     void (*release)(void *cls), struct http_stream **out);
/* http_stream_set_length announces the body's length (Content-Length instead of chunked
 * encoding), so a download shows its progress and a body that ends short (fill sets *end
 * early, e.g. a sealed file that failed its check) is a broken transfer for the client, not
 * a complete-looking file. Call it before the handler returns. */
void http_stream_set_length(struct http_stream *s, uint64_t length);
/* http_stream_wake resumes a parked stream so fill is called again; cheap when not parked.
 * Thread-safe. */
void http_stream_wake(struct http_stream *s);

#endif
