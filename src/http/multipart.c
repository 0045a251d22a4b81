/* http/multipart.c - streaming multipart/form-data parser (see multipart.h; R4.3 uploads,
 * S4 hostile input). Not an HTTP body reader: it is fed bytes by whoever has them (the batch
 * upload handler today, a streaming body hook tomorrow) and knows nothing of the fields.
 *
 * The delimiter searched for is CRLF "--" boundary. The body is parsed as if it began with
 * a CRLF, so a first boundary at the very start needs no special case; the preamble and
 * epilogue are part data that is thrown away. Across pieces, at most the delimiter's length
 * minus one bytes are held back (they might begin a delimiter that the next piece
 * completes), which keeps memory constant and lets a one-piece body be handed out as
 * slices of the caller's memory.
 */
#include "http/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/utf8.h"

enum mp_state {
    MP_PREAMBLE,  /* data before the first delimiter, discarded */
    MP_BOUNDARY,  /* after a delimiter: "--" (close) or LWSP* CRLF */
    MP_HEADERS,   /* a part's header block, up to the empty line */
    MP_BODY,      /* a part's data, up to the next delimiter */
    MP_EPILOGUE,  /* after the close delimiter, discarded */
    MP_ERROR,
};

enum mp_bstate { MPB_START, MPB_DASH, MPB_LWSP, MPB_CR };

#define MP_DELIM_MAX (MULTIPART_MAX_BOUNDARY + 4)
#define MP_MAX_LWSP 256

struct multipart {
    struct multipart_handler h;
    enum mp_state state;
    enum mp_bstate bstate;
    size_t lwsp;
    char delim[MP_DELIM_MAX + 1]; /* "\r\n--" boundary */
    size_t dlen;
    char tail[MP_DELIM_MAX];      /* held-back bytes that may begin a delimiter */
    size_t tail_len;
    char hdr[MULTIPART_MAX_HEADER];
    size_t hdr_len;
    size_t parts;
    bool in_part; /* begin was called, end not yet */
    int err;
    const char *why;
};

static int
mp_fail(struct multipart *m, int rc, const char *why)
{
    m->state = MP_ERROR;
    m->err = rc;
    if (!m->why || !*m->why)
        m->why = why;
    return rc;
}

/* mp_param finds parameter name (case-insensitive) in a header value's "; a=b; c="d""
 * list and copies its value (unquoted) into out. Returns 1 when found, 0 when not, -1 when
 * the value does not fit or the list is malformed. Backslash escapes only '"' and '\'
 * inside quotes; other backslashes stay (Windows paths in file names). */
static int
mp_param(const char *v, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = strchr(v, ';');
    int found = 0;

    while (p && *p) {
        const char *k;
        size_t klen, o = 0;
        bool match;
        p++; /* skip ';' */
        while (*p == ' ' || *p == '\t')
            p++;
        k = p;
        while (*p && *p != '=' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        klen = (size_t)(p - k);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=') {
            if (*p == ';' || !*p)
                continue; /* a parameter without a value: ignore it */
            return -1;
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        match = klen == nlen && strncasecmp(k, name, nlen) == 0 && !found;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                char c = *p;
                if (c == '\\' && (p[1] == '"' || p[1] == '\\'))
                    c = *++p;
                if (match) {
                    if (o + 1 >= cap)
                        return -1;
                    out[o++] = c;
                }
                p++;
            }
            if (*p != '"')
                return -1;
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p && *p != ';')
                return -1;
        } else {
            const char *s = p;
            while (*p && *p != ';')
                p++;
            const char *e = p;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (match) {
                if ((size_t)(e - s) + 1 > cap)
                    return -1;
                memcpy(out, s, (size_t)(e - s));
                o = (size_t)(e - s);
            }
        }
        if (match) {
            out[o] = '\0';
            found = 1;
        }
    }
    return found;
}

int
multipart_boundary(const char *content_type, char *out, size_t cap)
{
    static const char want[] = "multipart/form-data";
    const char *ct = content_type;
    int r;

    if (!ct)
        return ERR_MEDIA_TYPE;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, sizeof want - 1) != 0 ||
        (ct[sizeof want - 1] && ct[sizeof want - 1] != ';' && ct[sizeof want - 1] != ' ' &&
         ct[sizeof want - 1] != '\t'))
        return ERR_MEDIA_TYPE;
    if (cap < MULTIPART_MAX_BOUNDARY + 1)
        return ERR_INTERNAL;
    r = mp_param(ct, "boundary", out, MULTIPART_MAX_BOUNDARY + 1);
    if (r != 1 || !out[0])
        return ERR_INVALID;
    for (const char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            return ERR_INVALID;
    return 0;
}

int
multipart_new(const char *content_type, const struct multipart_handler *h, struct multipart **out)
{
    char b[MULTIPART_MAX_BOUNDARY + 1];
    struct multipart *m;
    int rc;

    *out = NULL;
    if ((rc = multipart_boundary(content_type, b, sizeof b)))
        return rc;
    m = xcalloc(1, sizeof *m);
    if (h)
        m->h = *h;
    m->dlen = (size_t)snprintf(m->delim, sizeof m->delim, "\r\n--%s", b);
    /* the body is read as if it began with CRLF: a first boundary at offset 0 matches */
    memcpy(m->tail, "\r\n", 2);
    m->tail_len = 2;
    m->state = MP_PREAMBLE;
    m->why = "";
    *out = m;
    return 0;
}

/* mp_emit hands part data to the handler (preamble and epilogue are dropped). */
static int
mp_emit(struct multipart *m, const char *p, size_t n)
{
    int rc;
    if (!n || m->state != MP_BODY || !m->h.data)
        return 0;
    if ((rc = m->h.data(m->h.arg, p, n)))
        return mp_fail(m, rc, "the upload was refused");
    return 0;
}

/* mp_delimited ends the current part (if any) at a delimiter. */
static int
mp_delimited(struct multipart *m)
{
    int rc;
    if (m->state == MP_BODY && m->in_part) {
        m->in_part = false;
        if (m->h.end && (rc = m->h.end(m->h.arg)))
            return mp_fail(m, rc, "the upload was refused");
    }
    m->state = MP_BOUNDARY;
    m->bstate = MPB_START;
    m->lwsp = 0;
    return 0;
}

/* mp_partial: does p[0..n) (n < dlen) equal the first n bytes of the delimiter? */
static bool
mp_partial(const struct multipart *m, const char *p, size_t n)
{
    return memcmp(p, m->delim, n) == 0;
}

/* mp_body consumes data up to and including the next delimiter; returns bytes used of p,
 * or (size_t)-1 after an error. */
static size_t
mp_body(struct multipart *m, const char *p, size_t n)
{
    size_t dlen = m->dlen;

    if (m->tail_len) {
        char w[2 * MP_DELIM_MAX];
        size_t take = n < dlen - 1 ? n : dlen - 1, wn = m->tail_len + take;
        memcpy(w, m->tail, m->tail_len);
        memcpy(w + m->tail_len, p, take);
        for (size_t i = 0; i < m->tail_len; i++) {
            if (wn - i >= dlen) {
                if (memcmp(w + i, m->delim, dlen) != 0)
                    continue;
                size_t used = i + dlen - m->tail_len;
                if (mp_emit(m, w, i))
                    return (size_t)-1;
                m->tail_len = 0;
                if (mp_delimited(m))
                    return (size_t)-1;
                return used;
            }
            if (mp_partial(m, w + i, wn - i)) {
                /* undecidable until more arrives: every byte of p is in w */
                if (mp_emit(m, w, i))
                    return (size_t)-1;
                memmove(m->tail, w + i, wn - i);
                m->tail_len = wn - i;
                return n;
            }
        }
        if (mp_emit(m, m->tail, m->tail_len))
            return (size_t)-1;
        m->tail_len = 0;
    }
    const char *hit = memmem(p, n, m->delim, dlen);
    if (hit) {
        size_t j = (size_t)(hit - p);
        if (mp_emit(m, p, j) || mp_delimited(m))
            return (size_t)-1;
        return j + dlen;
    }
    size_t k = n > dlen - 1 ? n - (dlen - 1) : 0;
    for (; k < n; k++)
        if (mp_partial(m, p + k, n - k))
            break;
    if (mp_emit(m, p, k))
        return (size_t)-1;
    memcpy(m->tail, p + k, n - k);
    m->tail_len = n - k;
    return n;
}

/* mp_boundary_line reads what follows a delimiter; returns bytes used or (size_t)-1. */
static size_t
mp_boundary_line(struct multipart *m, const char *p, size_t n)
{
    size_t i = 0;
    for (; i < n; i++) {
        char c = p[i];
        switch (m->bstate) {
        case MPB_START:
            if (c == '-') {
                m->bstate = MPB_DASH;
                continue;
            }
            /* fall through */
        case MPB_LWSP:
            if (c == ' ' || c == '\t') {
                m->bstate = MPB_LWSP;
                if (++m->lwsp > MP_MAX_LWSP)
                    goto bad;
                continue;
            }
            if (c == '\r') {
                m->bstate = MPB_CR;
                continue;
            }
            goto bad;
        case MPB_DASH:
            if (c != '-')
                goto bad;
            m->state = MP_EPILOGUE;
            return i + 1;
        case MPB_CR:
            if (c != '\n')
                goto bad;
            if (m->parts >= MULTIPART_MAX_PARTS) {
                mp_fail(m, ERR_TOO_LARGE, "the form has too many parts");
                return (size_t)-1;
            }
            m->state = MP_HEADERS;
            m->hdr_len = 0;
            return i + 1;
        }
    }
    return n;
bad:
    mp_fail(m, ERR_INVALID, "a boundary line is malformed");
    return (size_t)-1;
}

/* mp_headers_done parses the header block hdr[0..hdr_len) (its final CRLF CRLF included,
 * or just CRLF when empty) and calls begin. */
static int
mp_headers_done(struct multipart *m)
{
    char name[MULTIPART_MAX_NAME + 1] = "", filename[MULTIPART_MAX_NAME * 4 + 1] = "";
    char ctype[256] = "";
    bool has_name = false, has_file = false, has_type = false, has_disp = false;
    char *line = m->hdr, *end = m->hdr + m->hdr_len;
    struct multipart_part part;
    int r;

    /* NUL-terminate every line in place: the block ends in CRLF, so there is room */
    while (line < end) {
        char *eol = memchr(line, '\r', (size_t)(end - line));
        if (!eol || eol + 1 >= end || eol[1] != '\n')
            return mp_fail(m, ERR_INVALID, "a part header is malformed");
        *eol = '\0';
        if (line == eol) /* the empty line */
            break;
        if (memchr(line, '\0', (size_t)(eol - line)) || memchr(line, '\n', (size_t)(eol - line)))
            return mp_fail(m, ERR_INVALID, "a part header is malformed");
        if (*line == ' ' || *line == '\t')
            return mp_fail(m, ERR_INVALID, "folded part headers are not supported");
        char *colon = strchr(line, ':');
        if (!colon || colon == line)
            return mp_fail(m, ERR_INVALID, "a part header has no name");
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strcasecmp(line, "Content-Disposition") == 0) {
            if (has_disp)
                return mp_fail(m, ERR_INVALID, "a part has two Content-Disposition headers");
            has_disp = true;
            if (strncasecmp(v, "form-data", 9) != 0 || (v[9] && v[9] != ';' && v[9] != ' ' && v[9] != '\t'))
                return mp_fail(m, ERR_INVALID, "a part is not form-data");
            r = mp_param(v, "name", name, sizeof name);
            if (r < 0)
                return mp_fail(m, ERR_INVALID, "a part's field name is malformed or too long");
            has_name = r == 1;
            r = mp_param(v, "filename", filename, sizeof filename);
            if (r < 0)
                return mp_fail(m, ERR_INVALID, "a part's file name is malformed or too long");
            has_file = r == 1;
        } else if (strcasecmp(line, "Content-Type") == 0) {
            str_copy(ctype, sizeof ctype, v);
            has_type = true;
        }
        line = eol + 2;
    }
    if (has_file) {
        /* keep the last path component (old browsers send "C:\dir\a.xlsx") */
        char *base = filename;
        for (char *c = filename; *c; c++)
            if (*c == '/' || *c == '\\')
                base = c + 1;
        memmove(filename, base, strlen(base) + 1);
        /* cut at MULTIPART_MAX_NAME bytes on a UTF-8 character boundary */
        filename[utf8_cut(filename, strlen(filename), MULTIPART_MAX_NAME)] = '\0';
    }
    (void)has_name;
    part.name = name;
    part.filename = has_file ? filename : NULL;
    part.content_type = has_type ? ctype : NULL;
    m->parts++;
    m->in_part = true;
    m->state = MP_BODY;
    m->tail_len = 0;
    if (m->h.begin && (r = m->h.begin(m->h.arg, &part)))
        return mp_fail(m, r, "the upload was refused");
    return 0;
}

/* mp_header_bytes collects the header block; returns bytes used or (size_t)-1. */
static size_t
mp_header_bytes(struct multipart *m, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m->hdr_len >= sizeof m->hdr) {
            mp_fail(m, ERR_TOO_LARGE, "a part's headers are too long");
            return (size_t)-1;
        }
        m->hdr[m->hdr_len++] = p[i];
        bool empty = m->hdr_len == 2 && memcmp(m->hdr, "\r\n", 2) == 0;
        bool done = m->hdr_len >= 4 && memcmp(m->hdr + m->hdr_len - 4, "\r\n\r\n", 4) == 0;
        if (empty || done) {
            if (mp_headers_done(m))
                return (size_t)-1;
            return i + 1;
        }
    }
    return n;
}

int
multipart_feed(struct multipart *m, const void *data, size_t n)
{
    const char *p = data;

    while (m->state != MP_ERROR && n > 0) {
        size_t used;
        switch (m->state) {
        case MP_PREAMBLE:
        case MP_BODY:
            used = mp_body(m, p, n);
            break;
        case MP_BOUNDARY:
            used = mp_boundary_line(m, p, n);
            break;
        case MP_HEADERS:
            used = mp_header_bytes(m, p, n);
            break;
        case MP_EPILOGUE:
            used = n;
            break;
        default:
            used = (size_t)-1;
            break;
        }
        if (used == (size_t)-1)
            break;
        p += used;
        n -= used;
    }
    return m->state == MP_ERROR ? m->err : 0;
}

int
multipart_finish(struct multipart *m)
{
    if (m->state == MP_ERROR)
        return m->err;
    if (m->state != MP_EPILOGUE)
        return mp_fail(m, ERR_INVALID,
                       m->parts ? "the body ends before the closing boundary" : "the body holds no form part");
    return 0;
}

const char *
multipart_message(const struct multipart *m)
{
    return m && m->why ? m->why : "";
}

size_t
multipart_parts(const struct multipart *m)
{
    return m->parts;
}

void
multipart_free(struct multipart *m)
{
    if (!m)
        return;
    wipe(m->tail, sizeof m->tail);
    wipe(m->hdr, sizeof m->hdr);
    xfree(m);
}

/* multipart_field's handler state */
struct mp_find {
    const char *field;
    const char *base, *limit; /* the body, to check slices stay inside it */
    struct multipart_field *out;
    bool active, dup;
};

static int
mp_find_begin(void *arg, const struct multipart_part *part)
{
    struct mp_find *f = arg;
    f->active = strcmp(part->name, f->field) == 0;
    if (!f->active)
        return 0;
    if (f->out->found) {
        f->dup = true;
        return ERR_INVALID;
    }
    f->out->found = true;
    f->out->data = (struct str){ "", 0 };
    f->out->has_filename = part->filename != NULL;
    str_copy(f->out->filename, sizeof f->out->filename, part->filename ? part->filename : "");
    str_copy(f->out->content_type, sizeof f->out->content_type, part->content_type ? part->content_type : "");
    return 0;
}

static int
mp_find_data(void *arg, const void *p, size_t n)
{
    struct mp_find *f = arg;
    const char *c = p;
    if (!f->active)
        return 0;
    if (c < f->base || c + n > f->limit)
        return ERR_INTERNAL; /* held-back bytes: cannot happen for a one-piece body */
    if (f->out->data.n == 0)
        f->out->data.p = c;
    else if (f->out->data.p + f->out->data.n != c)
        return ERR_INTERNAL;
    f->out->data.n += n;
    f->out->size = f->out->data.n;
    return 0;
}

static int
mp_find_end(void *arg)
{
    struct mp_find *f = arg;
    f->active = false;
    return 0;
}

int
multipart_field(const char *content_type, const void *p, size_t n, const char *field,
                struct multipart_field *out, struct buf *why)
{
    struct mp_find f = { field, p, (const char *)p + n, out, false, false };
    struct multipart_handler h = { mp_find_begin, mp_find_data, mp_find_end, &f };
    struct multipart *m = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    out->data = (struct str){ "", 0 };
    if ((rc = multipart_new(content_type, &h, &m))) {
        if (why)
            buf_adds(why, rc == ERR_MEDIA_TYPE ? "the body is not multipart/form-data"
                                               : "the multipart boundary is missing or malformed");
        goto out;
    }
    if ((rc = multipart_feed(m, p, n)) || (rc = multipart_finish(m))) {
        if (why) {
            if (f.dup)
                buf_printf(why, "the form has two '%s' fields", field);
            else
                buf_adds(why, multipart_message(m));
        }
        memset(out, 0, sizeof *out);
        out->data = (struct str){ "", 0 };
        goto out;
    }
out:
    multipart_free(m);
    return rc;
}
