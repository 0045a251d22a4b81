/* domain/batch/batch_emit.c - pass 2 of the batch engine (R4.3-R4.7; see batch.h and
 * batch_int.h): the source read again, each row handed to the sink with its cleaning status
 * and its ID's result, directly or with a reader thread that parses the next rows while the
 * sink works. The rows' copies are wiped.
 */
#include "domain/batch/batch_int.h"

#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"

static void
batch_fill_result(const struct batch_ctx *ctx, const struct batch_key *k, struct batch_result *r)
{
    const struct batch_site *site = k->site >= 0 ? &ctx->sites[k->site] : NULL;
    r->found = k->flags & KEY_FOUND;
    r->tested = k->flags & KEY_TESTED;
    r->count = k->count;
    r->sampled_at = k->sampled_at;
    r->tested_at = k->flags & KEY_RESULT ? k->tested_at : 0;
    r->institution = k->flags & KEY_RESULT ? k->institution : "";
    r->result = k->flags & KEY_RESULT ? k->result : "";
    r->site_code = site ? site->code : "";
    r->site_name = site ? site->name : "";
    r->damaged = k->flags & KEY_DAMAGED;
}

static int
batch_emit_row(struct batch_emit *em, const struct table_row *row)
{
    const struct batch_ctx *ctx = em->ctx;
    struct batch_result res;
    struct batch_row br = { batch__kind(&em->st->cols, row->num), row->num, 0, row->cells, row->ncells,
                            em->st->cols.id, IDNO_EMPTY, 0, NULL };
    int rc;

    if (br.kind == BATCH_ROW_DATA) {
        if (em->index >= em->nrows)
            return batch__fail(em->why, ERR_INVALID, "the list changed while it was being read");
        br.index = em->index;
        br.status = (enum idno_status)em->row_status[em->index];
        if (em->row_key[em->index] != BATCH_NONE) {
            const struct batch_key *k = &ctx->keys[em->row_key[em->index]];
            batch_fill_result(ctx, k, &res);
            br.result = &res;
            if (br.status == IDNO_DUPLICATE)
                br.first_num = k->first_num;
        }
        em->index++;
    }
    if ((rc = em->sink->row(em->sink->arg, &br)))
        return rc;
    em->seen++;
    if (em->seen % BATCH_PROGRESS_EVERY == 0)
        return batch__progress_call(em->ctx, "write", em->seen, em->all_rows);
    return 0;
}

static int
batch_pass2_direct(struct batch_emit *em, const struct batch_source *src)
{
    struct table_row row;
    int64_t r0 = time_mono_us();
    int rc;

    while (!(rc = src->next(src->arg, &row, em->why)) && row.cells) {
        em->st->t.reread_us += time_mono_us() - r0;
        if ((rc = batch_emit_row(em, &row)))
            return rc;
        r0 = time_mono_us();
    }
    return rc;
}

/* The piped pass 2: a reader thread parses the source into blocks of rows (copies) while
 * this thread hands them to the sink, so parsing overlaps with the sink's own work. */
#define BATCH_BLOCK_ROWS 512
#define BATCH_RING 4

struct batch_cell_ref {
    size_t off, n;
};

struct batch_block {
    struct buf text;                 /* the cells' bytes, each followed by a NUL */
    struct batch_cell_ref *cells;
    uint8_t *kinds;                  /* beside cells (io/table.h table_row.kinds) */
    size_t ncells, capcells;
    uint64_t num[BATCH_BLOCK_ROWS];
    size_t first[BATCH_BLOCK_ROWS + 1];
    size_t nrows;
    bool last;                       /* the source ended (or failed: rc) after these rows */
    int rc;
};

struct batch_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch_block blocks[BATCH_RING];
    size_t head, count;              /* filled blocks: head .. head + count - 1 */
    bool stop;                       /* the consumer gave up */
    const struct batch_source *src;
    struct buf why;
    int64_t read_us;
};

static void *
batch_pipe_reader(void *arg)
{
    struct batch_pipe *p = arg;
    size_t slot = 0;
    bool end = false;

    while (!end) {
        pthread_mutex_lock(&p->mu);
        while (p->count == BATCH_RING && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        struct batch_block *b = &p->blocks[slot];
        buf_reset(&b->text);
        b->ncells = b->nrows = 0;
        b->last = false;
        b->rc = 0;
        while (b->nrows < BATCH_BLOCK_ROWS) {
            struct table_row row;
            int64_t r0 = time_mono_us();
            int rc = p->src->next(p->src->arg, &row, &p->why);
            p->read_us += time_mono_us() - r0;
            if (rc || !row.cells) {
                b->rc = rc;
                b->last = end = true;
                break;
            }
            b->num[b->nrows] = row.num;
            b->first[b->nrows] = b->ncells;
            for (size_t i = 0; i < row.ncells; i++) {
                if (b->ncells == b->capcells) {
                    b->capcells = b->capcells ? 2 * b->capcells : 4096;
                    b->cells = xrealloc(b->cells, b->capcells * sizeof *b->cells);
                    b->kinds = xrealloc(b->kinds, b->capcells);
                }
                b->kinds[b->ncells] = row.kinds[i];
                b->cells[b->ncells++] = (struct batch_cell_ref){ b->text.len, row.cells[i].n };
                buf_add(&b->text, row.cells[i].p, row.cells[i].n);
                buf_addch(&b->text, '\0');
            }
            b->nrows++;
            if (buf_error(&b->text)) {
                b->rc = ERR_TOO_LARGE;
                b->last = end = true;
                break;
            }
        }
        b->first[b->nrows] = b->ncells;
        pthread_mutex_lock(&p->mu);
        p->count++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        slot = (slot + 1) % BATCH_RING;
    }
    return NULL;
}

static int
batch_pass2_piped(struct batch_emit *em, const struct batch_source *src)
{
    struct batch_pipe p = { .src = src };
    struct str cells[TABLE_MAX_COLS + 1];
    pthread_t reader;
    bool done = false;
    int rc = 0;

    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    buf_init(&p.why, 4096);
    for (size_t i = 0; i < BATCH_RING; i++)
        buf_init(&p.blocks[i].text, (size_t)64 << 20);
    if (pthread_create(&reader, NULL, batch_pipe_reader, &p)) {
        rc = ERR_INTERNAL;
        goto out;
    }
    while (!done && !rc) {
        pthread_mutex_lock(&p.mu);
        while (p.count == 0)
            pthread_cond_wait(&p.cv, &p.mu);
        struct batch_block *b = &p.blocks[p.head];
        pthread_mutex_unlock(&p.mu);
        for (size_t r = 0; r < b->nrows && !rc; r++) {
            size_t n = b->first[r + 1] - b->first[r];
            if (n > TABLE_MAX_COLS + 1) {
                rc = ERR_TOO_LARGE;
                break;
            }
            for (size_t i = 0; i < n; i++) {
                const struct batch_cell_ref *c = &b->cells[b->first[r] + i];
                cells[i] = (struct str){ b->text.data + c->off, c->n };
            }
            struct table_row row = { cells, b->kinds + b->first[r], n, b->num[r] };
            rc = batch_emit_row(em, &row);
        }
        if (!rc && b->last) {
            rc = b->rc;
            done = true;
        }
        pthread_mutex_lock(&p.mu);
        p.head = (p.head + 1) % BATCH_RING;
        p.count--;
        if (rc)
            p.stop = true;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    pthread_mutex_lock(&p.mu);
    p.stop = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    pthread_join(reader, NULL);
    em->st->t.reread_us += p.read_us;
    if (p.why.len && em->why && !em->why->len)
        buf_add(em->why, p.why.data, p.why.len);
out:
    for (size_t i = 0; i < BATCH_RING; i++) {
        buf_release_secret(&p.blocks[i].text); /* the user's cells */
        xfree(p.blocks[i].cells);
        xfree(p.blocks[i].kinds);
    }
    buf_release(&p.why);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

int
batch__emit(struct batch_emit *em, const struct batch_source *src, bool piped)
{
    return piped ? batch_pass2_piped(em, src) : batch_pass2_direct(em, src);
}
