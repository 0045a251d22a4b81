/* api/xlsx_reply.c - generated .xlsx downloads, never in clear on disk (issue 12, S1, S6;
 * R4.2, R4.3). See api/api.h ("Generated .xlsx downloads").
 *
 * The workbook is written by io/xlsxw.h into a sink that appends to a sealed temporary file
 * (crypto/sealed_tmp.h: no name, under <var>/tmp, SM4-CTR with an ephemeral key, HMAC-SM3
 * per 64 KiB chunk); the response streams it back, decrypting chunk by chunk, and frees it
 * (keys wiped, blocks returned to the kernel) when the response is done or the client goes.
 * A crash or a slow download leaves nothing readable behind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/sealed_tmp.h"
#include "http/stream.h"
#include "io/xlsxw.h"

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

struct api_xlsx {
    struct sealed_tmp *file;
    struct zipw_sink sink;
    struct xlsxw_dest dest;
    uint64_t off;               /* bytes streamed so far */
};

static int
api_xlsx_write(void *ctx, const void *p, size_t n)
{
    struct api_xlsx *x = ctx;
    return sealed_tmp_write(x->file, p, n);
}

int
api__xlsx_new(struct req *req, struct api_xlsx **out)
{
    char dir[sizeof req->app->var_dir + 8];
    struct sealed_tmp *file;
    int rc;

    *out = NULL;
    snprintf(dir, sizeof dir, "%s/tmp", req->app->var_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        log_error("export.tmp", "error", strerror(errno), NULL);
        return ERR_IO;
    }
    if ((rc = sealed_tmp_new(dir, &file)))
        return rc;
    struct api_xlsx *x = xcalloc(1, sizeof *x);
    x->file = file;
    x->sink = (struct zipw_sink){ api_xlsx_write, x };
    x->dest = (struct xlsxw_dest){ NULL, &x->sink };
    *out = x;
    return 0;
}

const struct xlsxw_dest *
api__xlsx_dest(const struct api_xlsx *x)
{
    return &x->dest;
}

void
api__xlsx_free(struct api_xlsx *x)
{
    if (!x)
        return;
    sealed_tmp_free(x->file);
    xfree(x);
}

static size_t
api_xlsx_fill(void *cls, char *buf, size_t max, bool *end)
{
    struct api_xlsx *x = cls;
    size_t got = 0;
    if (sealed_tmp_pread(x->file, buf, max, x->off, &got) || got == 0) {
        *end = true; /* the end, or a chunk failed its tag: the response ends (short) */
        return 0;
    }
    x->off += got;
    return got;
}

static void
api_xlsx_release(void *cls)
{
    api__xlsx_free(cls);
}

static void
api_disposition_name(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p))
            buf_addch(b, (char)*p);
        else
            buf_printf(b, "%%%02X", *p);
    }
}

int
api__xlsx_reply(struct req *req, struct api_xlsx *x, int rc, const char *ascii_name, const char *utf8_name)
{
    struct buf cd = BUF_INIT;
    if (!rc)
        rc = sealed_tmp_seal(x->file);
    if (rc) {
        api__xlsx_free(x);
        return rc;
    }
    buf_printf(&cd, "attachment; filename=\"%s\"", ascii_name);
    if (utf8_name && *utf8_name) {
        buf_adds(&cd, "; filename*=UTF-8''");
        api_disposition_name(&cd, utf8_name);
    }
    req_add_header(req, "Content-Disposition", cd.data);
    buf_release(&cd);
    uint64_t size = sealed_tmp_size(x->file);
    struct http_stream *stream = NULL;
    rc = req_reply_stream(req, XLSX_TYPE, api_xlsx_fill, x, api_xlsx_release, &stream);
    if (!rc)
        http_stream_set_length(stream, size); /* progress in the browser; a short body is an error */
    return rc;
}
