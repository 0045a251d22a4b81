/* http/stream.c - streamed responses with libmicrohttpd suspend/resume (see stream.h).
 * The content reader parks the connection when fill has nothing, as microhttpd.h
 * prescribes for "no body data yet"; http_stream_wake resumes it from any thread. */
#include "http/stream.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/alloc.h"
#include "core/err.h"

struct http_stream {
    pthread_mutex_t mu;
    struct MHD_Connection *conn;
    http_stream_fill fill;
    void *cls;
    void (*release)(void *cls);
    bool parked, woken, ended;
    uint64_t length; /* MHD_SIZE_UNKNOWN unless announced */
    struct http_stream *prev, *next; /* every live stream, for http__streams_stop */
};

/* libmicrohttpd refuses to stop (it aborts the process) while a connection is suspended, so
 * http_stop first ends every stream: parked ones are resumed and read their end. */
static pthread_mutex_t http_streams_mu = PTHREAD_MUTEX_INITIALIZER;
static struct http_stream *http_streams;
static atomic_bool http_streams_stopping;

/* http__stream_reader is the MHD content reader (used by http/server.c). */
ssize_t http__stream_reader(void *cls, uint64_t pos, char *buf, size_t max);
uint64_t http__stream_length(const struct http_stream *s);
void http__stream_free(void *cls);
void http__streams_stop(void);

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
    s->length = MHD_SIZE_UNKNOWN;
    req->status = 200;
    req->resp_type = content_type;
    req->stream = s;
    pthread_mutex_lock(&http_streams_mu);
    s->next = http_streams;
    if (http_streams)
        http_streams->prev = s;
    http_streams = s;
    pthread_mutex_unlock(&http_streams_mu);
    if (out)
        *out = s;
    return 0;
}

void
http_stream_set_length(struct http_stream *s, uint64_t length)
{
    s->length = length;
}

uint64_t
http__stream_length(const struct http_stream *s)
{
    return s->length;
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
    if (atomic_load(&http_streams_stopping)) {
        s->ended = true;
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
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
http__streams_stop(void)
{
    pthread_mutex_lock(&http_streams_mu);
    atomic_store(&http_streams_stopping, true);
    for (struct http_stream *s = http_streams; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        if (s->parked) {
            s->parked = false;
            MHD_resume_connection(s->conn);
        } else {
            s->woken = true;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&http_streams_mu);
}

void
http__stream_free(void *cls)
{
    struct http_stream *s = cls;
    pthread_mutex_lock(&http_streams_mu);
    if (s->prev)
        s->prev->next = s->next;
    else if (http_streams == s)
        http_streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&http_streams_mu);
    if (s->release)
        s->release(s->cls);
    pthread_mutex_destroy(&s->mu);
    xfree(s);
}
