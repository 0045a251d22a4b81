/* http/stream.c - streamed responses with libmicrohttpd suspend/resume (see stream.h).
 * The content reader parks the connection when fill has nothing, as microhttpd.h
 * prescribes for "no body data yet"; http_stream_wake resumes it from any thread. */
#include "http/stream.h"

#include <microhttpd.h>
#include <pthread.h>

#include "core/alloc.h"
#include "core/err.h"

struct http_stream {
    pthread_mutex_t mu;
    struct MHD_Connection *conn;
    http_stream_fill fill;
    void *cls;
    void (*release)(void *cls);
    bool parked, woken, ended;
};

/* http__stream_reader is the MHD content reader (used by http/server.c). */
ssize_t http__stream_reader(void *cls, uint64_t pos, char *buf, size_t max);
void http__stream_free(void *cls);

int
req_reply_stream(struct req *req, const char *content_type, http_stream_fill fill, void *cls,
                 void (*release)(void *cls), struct http_stream **out)
{
    struct http_stream *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->conn = req->conn;
    s->fill = fill;
    s->cls = cls;
    s->release = release;
    req->status = 200;
    req->resp_type = content_type;
    req->stream = s;
    if (out)
        *out = s;
    return 0;
}

ssize_t
http__stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *s = cls;
    bool end = false;
    size_t n;
    (void)pos;
    if (s->ended)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = s->fill(s->cls, buf, max, &end);
    if (end && n == 0) {
        s->ended = true;
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (end)
        s->ended = true;
    if (n)
        return (ssize_t)n;
    pthread_mutex_lock(&s->mu);
    if (s->woken) {
        s->woken = false; /* a wake raced with fill: ask again rather than park */
    } else {
        s->parked = true;
        MHD_suspend_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void
http_stream_wake(struct http_stream *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->parked) {
        s->parked = false;
        MHD_resume_connection(s->conn);
    } else {
        s->woken = true;
    }
    pthread_mutex_unlock(&s->mu);
}

void
http__stream_free(void *cls)
{
    struct http_stream *s = cls;
    if (s->release)
        s->release(s->cls);
    pthread_mutex_destroy(&s->mu);
    xfree(s);
}
