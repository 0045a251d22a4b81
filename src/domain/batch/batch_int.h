/* domain/batch/batch_int.h - internals shared by the files of the lookup engine behind
 * batch.h; not for other modules (R4.3-R4.7, S1).
 *
 *   batch.c         batch_run: options, pass 1 (read, clean, duplicates), the run's
 *                   stages in order, the audit; sources; the text of the result columns
 *   batch_lookup.c  blind indexes, chunks, the lookup workers (samples, opened IDs, results)
 *   batch_emit.c    pass 2: the source read again, each row handed to the sink with its
 *                   result (directly, or with a reader thread)
 */
#ifndef JY_DOMAIN_BATCH_INT_H
#define JY_DOMAIN_BATCH_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/strmap.h"
#include "domain/batch/batch.h"

#define BATCH_NONE UINT32_MAX
#define BATCH_PROGRESS_EVERY 16384
#define BATCH_THREADS_MAX 16

/* KEY_DAMAGED: a sample with the key's blind index failed its integrity check (a flipped
 * byte, a foreign key id): the key reads as damaged data, never as not found. */
enum { KEY_FOUND = 1, KEY_TESTED = 2, KEY_RESULT = 4, KEY_DAMAGED = 8 };

/* One distinct valid ID. id17 is the plaintext (first 17 digits): wiped before release. */
struct batch_key {
    int64_t bidx;
    uint64_t id17;
    int64_t sampled_at, sample_id, tested_at;
    const char *institution, *result; /* interned by the worker that looked it up */
    uint32_t first_num, count;
    int32_t site;                     /* index into ctx->sites, -1 = none */
    char check;
    uint8_t flags;
};

struct batch_pair {
    int64_t bidx;
    uint32_t key;
};

struct batch_site {
    int64_t id;
    char *code, *name;
};

struct batch_ctx {
    struct app *app;
    uint32_t idx_gen;  /* the blind-index generation the keys are computed under (issue 12) */
    unsigned idx_slot; /* and the samples index slot that holds it (crypto/keys.h) */
    const struct batch_opts *opts;
    int64_t now, since_near, since_far, since_window; /* windows, ms */
    struct batch_key *keys;
    size_t nkeys;
    struct batch_pair *pairs;      /* keys sorted by blind index */
    size_t *chunks;                /* chunk c is pairs[chunks[c], chunks[c + 1]) */
    size_t nchunks;
    struct batch_site *sites;
    size_t nsites;
    size_t next_chunk, done_keys;  /* atomics */
    int stop;                      /* atomic: a worker failed or progress cancelled */
    const struct batch_progress *progress;
};

struct batch_worker {
    struct batch_ctx *ctx;
    struct db *db;
    bool own_db;
    pthread_t thread;
    bool started;
    struct strmap intern;
    struct buf scratch;
    struct batch_cand *cands;
    size_t ncands, capcands;
    struct batch_slot *slots;
    struct batch_req *reqs;
    size_t nreqs, capreqs;
    int64_t *bidx;
    size_t samples_read, samples_opened, collisions, damaged;
    int64_t fetch_us, open_us, results_us;
    int rc;
};

/* What pass 2 needs to turn a source row into a sink row. */
struct batch_emit {
    struct batch_ctx *ctx;
    struct batch_stats *st;
    const struct batch_sink *sink;
    const uint8_t *row_status;
    const uint32_t *row_key;
    uint64_t nrows, all_rows;
    uint64_t index, seen;      /* data rows and rows handed over so far */
    struct buf *why;
};

/* batch__kind tells a title, header or data row apart by its number. */
enum batch_row_kind batch__kind(const struct columns *cols, uint64_t num);
/* batch__fail puts msg into why (when it holds nothing yet) and returns rc. */
int batch__fail(struct buf *why, int rc, const char *msg);
/* batch__progress_call reports progress (0 when there is no callback). */
int batch__progress_call(struct batch_ctx *ctx, const char *stage, uint64_t done, uint64_t total);

/* batch__index computes the keys' blind indexes on threads threads, sorts them into
 * ctx->pairs and cuts them into chunks. */
int batch__index(struct batch_ctx *ctx, unsigned threads);
/* batch__load_sites reads the sites table into ctx->sites. */
int batch__load_sites(struct batch_ctx *ctx, struct db *db);
/* batch__lookup looks every chunk up on threads workers (workers[0] is this thread; the
 * others take connections from ctx->opts->pool) and adds their counters to st. The
 * workers' interned strings are referenced by the keys: release them (batch__worker_release)
 * only after pass 2. */
int batch__lookup(struct batch_ctx *ctx, struct db *db, unsigned threads, struct batch_stats *st,
                  struct batch_worker *workers);
void batch__worker_release(struct batch_worker *w);

/* batch__emit runs pass 2 over src (opened by the caller): piped through a reader thread
 * when piped, else directly. */
int batch__emit(struct batch_emit *em, const struct batch_source *src, bool piped);

#endif
