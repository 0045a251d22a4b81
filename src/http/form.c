/* http/form.c - streamed multipart/form-data bodies: parts in memory up to FORM_MEM_MAX,
 * beyond it in sealed temporary files; the per-account upload quota (see form.h; issue 12,
 * R4.3, S6).
 */
#include "http/form.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "crypto/sealed_tmp.h"
#include "http/req.h"
#include "http/route.h"

#define FORM_FILES_MAX 4        /* parts on disk in one request */
#define FORM_QUOTA_SLOTS 256    /* accounts with an upload in flight, per process */

struct form_part {
    char name[MULTIPART_MAX_NAME + 1];
    char filename[MULTIPART_MAX_NAME + 1];
    bool has_filename;
    char content_type[128];
    struct buf mem;             /* the value while it is in memory */
    struct sealed_tmp *file;    /* the value once it went to disk */
    uint64_t size;
    char *whole;                /* form_field's decrypted copy of a part on disk */
};

struct http_form {
    struct req *req;
    struct multipart *mp;
    bool started, finished;
    int rc;
    char msg[200];
    struct form_part *parts;
    size_t nparts, nfiles;
    struct form_part *cur;
    size_t mem_total;
    uint64_t bytes;
    bool reserved;
    uint64_t reserved_bytes;
};

/* --- quota ------------------------------------------------------------------------------------ */

struct form_slot {
    int kind;
    int64_t id;
    unsigned uploads;
    uint64_t bytes;
};

static pthread_mutex_t form_quota_lock = PTHREAD_MUTEX_INITIALIZER;
static struct form_slot form_slots[FORM_QUOTA_SLOTS];

static struct form_slot *
form_slot(const struct actor *a, bool add)
{
    struct form_slot *free_slot = NULL;
    for (size_t i = 0; i < FORM_QUOTA_SLOTS; i++) {
        struct form_slot *s = &form_slots[i];
        if (s->uploads && s->kind == (int)a->kind && s->id == a->id)
            return s;
        if (!s->uploads && !free_slot)
            free_slot = s;
    }
    if (add && free_slot)
        *free_slot = (struct form_slot){ (int)a->kind, a->id, 0, 0 };
    return add ? free_slot : NULL;
}

static struct http_form *
form_get(struct req *req)
{
    if (!req->form) {
        req->form = xcalloc(1, sizeof *req->form);
        req->form->req = req;
    }
    return req->form;
}

int
form__admit(struct req *req, int64_t declared)
{
    uint64_t want = declared < 0 ? req->route->body_cap : (uint64_t)declared;
    struct form_slot *s;
    int rc = 0;
    if (declared >= 0 && want <= FORM_MEM_MAX)
        return 0; /* held in memory: no file, nothing to reserve */
    pthread_mutex_lock(&form_quota_lock);
    s = form_slot(&req->actor, true);
    if (!s || s->uploads >= FORM_UPLOADS_MAX)
        rc = req_fail(req, ERR_RATE, "this account already has %d uploads in progress; wait for one to finish",
                      FORM_UPLOADS_MAX);
    else if (s->bytes + want > FORM_BYTES_MAX)
        rc = req_fail(req, ERR_RATE, "this account's uploads in progress may hold at most %d MiB; wait for one to finish",
                      (int)(FORM_BYTES_MAX >> 20));
    if (!rc) {
        s->uploads++;
        s->bytes += want;
        form_get(req)->reserved = true;
        req->form->reserved_bytes = want;
    }
    pthread_mutex_unlock(&form_quota_lock);
    return rc;
}

static void
form_unreserve(struct http_form *f)
{
    struct form_slot *s;
    if (!f->reserved)
        return;
    pthread_mutex_lock(&form_quota_lock);
    if ((s = form_slot(&f->req->actor, false))) {
        s->uploads--;
        s->bytes -= f->reserved_bytes < s->bytes ? f->reserved_bytes : s->bytes;
        if (!s->uploads)
            *s = (struct form_slot){ 0 };
    }
    pthread_mutex_unlock(&form_quota_lock);
    f->reserved = false;
}

/* --- the stream ------------------------------------------------------------------------------- */

static int
form_fail(struct http_form *f, int rc, const char *msg)
{
    if (!f->msg[0])
        str_copy(f->msg, sizeof f->msg, msg);
    return rc;
}

static int
form_begin(void *arg, const struct multipart_part *part)
{
    struct http_form *f = arg;
    struct form_part *p;
    f->parts = xrealloc(f->parts, (f->nparts + 1) * sizeof *f->parts);
    p = f->cur = &f->parts[f->nparts++];
    memset(p, 0, sizeof *p);
    str_copy(p->name, sizeof p->name, part->name);
    p->has_filename = part->filename != NULL;
    str_copy(p->filename, sizeof p->filename, part->filename ? part->filename : "");
    str_copy(p->content_type, sizeof p->content_type, part->content_type ? part->content_type : "");
    buf_init(&p->mem, FORM_MEM_MAX);
    return 0;
}

/* form_spill moves the current part from memory to a new sealed file. */
static int
form_spill(struct http_form *f, struct form_part *p)
{
    char dir[sizeof f->req->app->var_dir + 8];
    int rc;
    if (f->nfiles >= FORM_FILES_MAX)
        return form_fail(f, ERR_TOO_LARGE, "the form has too many large parts");
    snprintf(dir, sizeof dir, "%s/tmp", f->req->app->var_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return form_fail(f, ERR_IO, "the upload cannot be stored on the server");
    if ((rc = sealed_tmp_new(dir, &p->file)) || (rc = sealed_tmp_write(p->file, p->mem.data, p->mem.len)))
        return form_fail(f, rc, "the upload cannot be stored on the server");
    f->nfiles++;
    f->mem_total -= p->mem.len;
    buf_release_secret(&p->mem);
    return 0;
}

static int
form_data(void *arg, const void *data, size_t n)
{
    struct http_form *f = arg;
    struct form_part *p = f->cur;
    int rc;
    p->size += n;
    if (!p->file && f->mem_total + n <= FORM_MEM_MAX) {
        buf_add(&p->mem, data, n);
        f->mem_total += n;
        return 0;
    }
    if (!p->file && (rc = form_spill(f, p)))
        return rc;
    if ((rc = sealed_tmp_write(p->file, data, n)))
        return form_fail(f, rc, "the upload cannot be stored on the server");
    return 0;
}

static int
form_end(void *arg)
{
    struct http_form *f = arg;
    int rc;
    if (f->cur && f->cur->file && (rc = sealed_tmp_seal(f->cur->file)))
        return form_fail(f, rc, "the upload cannot be stored on the server");
    f->cur = NULL;
    return 0;
}

void
form__feed(struct req *req, const void *p, size_t n)
{
    struct http_form *f = form_get(req);
    f->bytes += n;
    if (f->rc)
        return; /* drained: the error is the handler's to report */
    if (!f->started) {
        struct multipart_handler h = { form_begin, form_data, form_end, f };
        f->started = true;
        if ((f->rc = multipart_new(req_header(req, "Content-Type"), &h, &f->mp))) {
            form_fail(f, f->rc, f->rc == ERR_MEDIA_TYPE ? "the body is not multipart/form-data"
                                                        : "the multipart boundary is missing or malformed");
            return;
        }
    }
    if ((f->rc = multipart_feed(f->mp, p, n)))
        form_fail(f, f->rc, multipart_message(f->mp));
}

void
form__finish(struct req *req)
{
    struct http_form *f = req->form;
    if (!f || f->finished)
        return;
    f->finished = true;
    if (!f->rc && f->mp && (f->rc = multipart_finish(f->mp)))
        form_fail(f, f->rc, multipart_message(f->mp));
    multipart_free(f->mp);
    f->mp = NULL;
}

uint64_t form__bytes(const struct req *req) { return req->form ? req->form->bytes : 0; }

void
form__free(struct req *req)
{
    struct http_form *f = req->form;
    if (!f)
        return;
    form_unreserve(f);
    multipart_free(f->mp);
    for (size_t i = 0; i < f->nparts; i++) {
        struct form_part *p = &f->parts[i];
        buf_release_secret(&p->mem);
        sealed_tmp_free(p->file);
        if (p->whole)
            xfree_secret(p->whole, (size_t)p->size + 1);
    }
    xfree(f->parts);
    xfree(f);
    req->form = NULL;
}

/* --- lookups ---------------------------------------------------------------------------------- */

static int
form_find(struct req *req, const char *field, struct multipart_field *out, struct form_part **found,
          struct buf *why)
{
    struct http_form *f = req->form;
    *found = NULL;
    memset(out, 0, sizeof *out);
    out->data = (struct str){ "", 0 };
    if (!f || !f->bytes)
        return 0;
    if (f->rc) {
        if (why)
            buf_adds(why, f->msg);
        return f->rc;
    }
    for (size_t i = 0; i < f->nparts; i++) {
        if (strcmp(f->parts[i].name, field) != 0)
            continue;
        if (*found) {
            if (why)
                buf_printf(why, "the form has two '%s' fields", field);
            *found = NULL;
            return ERR_INVALID;
        }
        *found = &f->parts[i];
    }
    if (*found) {
        struct form_part *p = *found;
        out->found = true;
        out->has_filename = p->has_filename;
        str_copy(out->filename, sizeof out->filename, p->filename);
        str_copy(out->content_type, sizeof out->content_type, p->content_type);
        out->size = p->size;
    }
    return 0;
}

int
form_field(struct req *req, const char *field, struct multipart_field *out, struct buf *why)
{
    struct form_part *p;
    size_t got = 0;
    int rc = form_find(req, field, out, &p, why);
    if (rc || !p)
        return rc;
    if (!p->file) {
        out->data = (struct str){ p->mem.data, p->mem.len };
        return 0;
    }
    if (!p->whole) {
        p->whole = xmalloc((size_t)p->size + 1);
        if ((rc = sealed_tmp_pread(p->file, p->whole, (size_t)p->size, 0, &got)) || got != p->size) {
            if (why)
                buf_adds(why, "the uploaded file was altered on the server's disk");
            return rc == ERR_IO ? ERR_IO : ERR_INVALID;
        }
        p->whole[p->size] = '\0';
    }
    out->data = (struct str){ p->whole, (size_t)p->size };
    return 0;
}

static int
form_read(void *arg, void *dst, size_t n, uint64_t off, size_t *got)
{
    struct form_part *p = arg;
    *got = 0;
    if (p->file)
        return sealed_tmp_pread(p->file, dst, n, off, got);
    if (off < p->mem.len) {
        *got = p->mem.len - (size_t)off < n ? p->mem.len - (size_t)off : n;
        memcpy(dst, p->mem.data + off, *got);
    }
    return 0;
}

int
form_file(struct req *req, const char *field, struct multipart_field *out, struct table_reader *rd,
          struct buf *why)
{
    struct form_part *p;
    int rc = form_find(req, field, out, &p, why);
    *rd = (struct table_reader){ 0, NULL, NULL };
    if (rc || !p)
        return rc;
    *rd = (struct table_reader){ p->size, form_read, p };
    return 0;
}
