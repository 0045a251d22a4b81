/* db/db_pg.c - the PostgreSQL driver behind db.h (architecture §3, "beyond one machine").
 *
 * One libpq connection per struct db. Statements are rewritten from ?N to $N, prepared
 * once per connection under a generated name (PQprepare) and described, so each bound
 * value is sent in the binary form of the type the server inferred for its parameter
 * (int8/int4/int2/bool/oid binary, text as raw bytes, bytea raw, anything else as decimal
 * text); int2/int4 parameters are widened to int8 where the statement allows it (see
 * db_pg_widen). Results are requested in binary and decoded by column type OID. A whole result
 * is fetched on the first db_step (NEEDSWORK: cursors for very large exports), which keeps
 * several statements usable at once on one connection, as SQLite allows.
 *
 * A connection that broke (server restart, failover, idle kill) is reset before its next
 * use outside a transaction; statements are then prepared again lazily. Error mapping is
 * in db_pg_map alone. The DETAIL field of server errors can contain values ("Key
 * (username)=(x) already exists") and is never read; the primary message of data
 * exceptions (SQLSTATE class 22) can too and is withheld. Serves S3, S4, S6, O2, O3.
 *
 * Binding values and decoding columns are db_pg_value.c; the structures both files share
 * are in the private header db_pg.h.
 */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "db/db_pg.h"

#define DB_PG_CONNECT_TIMEOUT "10"

/* Serialises concurrent migrators of one schema: pg_advisory_xact_lock(key, schema). */
#define DB_PG_MIGRATE_LOCK \
    "SELECT pg_advisory_xact_lock(1247316321, hashtext(COALESCE(current_schema(), '')))"

static const struct db__ops db_pg_ops;


/* ---- errors ------------------------------------------------------------------------- */

static bool
db_pg_state_is(const char *state, const char *code)
{
    return state && strcmp(state, code) == 0;
}

/* db_pg_map turns a failed result (or none) into an ERR_* code. */
static int
db_pg_map(PGconn *conn, const PGresult *res)
{
    static const char *const unavailable[] = {
        "57P01", /* admin_shutdown */
        "57P02", /* crash_shutdown */
        "57P03", /* cannot_connect_now */
        "53300", /* too_many_connections */
        "40001", /* serialization_failure: retry */
        "40P01", /* deadlock_detected: retry */
        "55P03", /* lock_not_available */
        "57014", /* query_canceled (statement_timeout) */
    };
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(conn) == CONNECTION_BAD)
        return ERR_UNAVAILABLE;
    if (db_pg_state_is(state, "23505") || db_pg_state_is(state, "23503"))
        return ERR_CONFLICT;
    if (state && strncmp(state, "08", 2) == 0)
        return ERR_UNAVAILABLE;
    for (size_t i = 0; i < sizeof unavailable / sizeof unavailable[0]; i++)
        if (db_pg_state_is(state, unavailable[i]))
            return ERR_UNAVAILABLE;
    if (db_pg_state_is(state, "54000"))
        return ERR_TOO_LARGE;
    return ERR_DB;
}

/* db_pg_first_line copies the first line of a libpq message (later lines are DETAIL,
 * HINT, CONTEXT) into out. */
static void
db_pg_first_line(const char *msg, char *out, size_t cap)
{
    size_t n = 0;
    while (msg && msg[n] && msg[n] != '\n' && n + 1 < cap) {
        out[n] = msg[n];
        n++;
    }
    out[n] = '\0';
}

/* db_pg_fail logs a failure of res (may be NULL) and returns its ERR_* code. */
static int
db_pg_fail(PGconn *conn, const PGresult *res, const char *event, const char *sql)
{
    int rc = db_pg_map(conn, res);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    struct buf detail = BUF_INIT;
    char line[512];

    if (state && strncmp(state, "22", 2) == 0) {
        buf_adds(&detail, "data exception (message withheld: it may quote the value)");
    } else if (res && state) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        db_pg_first_line(primary ? primary : "", line, sizeof line);
        buf_adds(&detail, line);
    } else if (res && *PQresultErrorMessage(res)) {
        /* Made by libpq itself (lost connection, protocol): no server text, no DETAIL. */
        db_pg_first_line(PQresultErrorMessage(res), line, sizeof line);
        buf_adds(&detail, line);
    } else {
        db_pg_first_line(PQerrorMessage(conn), line, sizeof line);
        buf_adds(&detail, line);
    }
    if (res) {
        const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        if (constraint)
            buf_printf(&detail, " (constraint %s)", constraint);
    }
    db__log_fail(event, rc, state, detail.data, sql);
    buf_release(&detail);
    return rc;
}

/* ---- connection --------------------------------------------------------------------- */

static void
db_pg_notice(void *arg, const PGresult *res)
{
    (void)arg;
    log_debug("db.pg.notice", "code", PQresultErrorField(res, PG_DIAG_SQLSTATE), "severity",
              PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED), NULL);
}

static int
db_pg_run(struct db_pg *d, const char *sql, const char *event)
{
    PGresult *res = PQexec(d->conn, sql);
    ExecStatusType status = PQresultStatus(res);
    int rc = 0;

    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
        rc = db_pg_fail(d->conn, res, event, sql);
    PQclear(res);
    return rc;
}

/* db_pg_session sets up a fresh (or reset) session. */
static int
db_pg_session(struct db_pg *d)
{
    PQsetNoticeReceiver(d->conn, db_pg_notice, NULL);
    /* Portable filters are written "(?1 = 0 OR plan_id = ?1)"; a generic plan (which
     * PostgreSQL switches to after five executions) cannot use an index for them, so
     * always plan with the bound values. */
    return db_pg_run(d, "SET client_min_messages = warning; SET plan_cache_mode = force_custom_plan",
                     "db.pg.session");
}

/* db_pg_ready makes sure the connection works, resetting a broken one when no
 * transaction is open (an open one died with the connection). */
static int
db_pg_ready(struct db_pg *d)
{
    char line[512];
    int rc;

    if (PQstatus(d->conn) == CONNECTION_OK)
        return 0;
    if (d->base.in_tx) {
        db__log_fail("db.pg.connection", ERR_UNAVAILABLE, NULL,
                     "connection lost inside a transaction", NULL);
        return ERR_UNAVAILABLE;
    }
    PQreset(d->conn);
    d->gen++;
    buf_reset(&d->zombies);
    if (PQstatus(d->conn) != CONNECTION_OK) {
        db_pg_first_line(PQerrorMessage(d->conn), line, sizeof line);
        db__log_fail("db.pg.reconnect", ERR_UNAVAILABLE, NULL, line, NULL);
        return ERR_UNAVAILABLE;
    }
    if ((rc = db_pg_session(d)))
        return rc;
    log_info("db.pg.reconnected", NULL);
    return 0;
}

int
db__pg_open(const char *url, struct db **out)
{
    /* Later entries win: the URL may override the defaults before it, not the encoding. */
    const char *const keys[] = { "connect_timeout", "fallback_application_name", "dbname",
                                 "client_encoding", NULL };
    const char *const vals[] = { DB_PG_CONNECT_TIMEOUT, "jiayuan", url, "UTF8", NULL };
    struct db_pg *d = NULL;
    PGconn *conn;
    int rc;

    *out = NULL;
    /* libpq's parse errors may quote the URL, password included: say less. */
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    if (!opts) {
        db__log_fail("db.pg.connect", ERR_INVALID, NULL, "malformed PostgreSQL URL", NULL);
        return ERR_INVALID;
    }
    PQconninfoFree(opts);
    conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        char line[512];
        db_pg_first_line(conn ? PQerrorMessage(conn) : "out of memory", line, sizeof line);
        db__log_fail("db.pg.connect", ERR_UNAVAILABLE, NULL, line, NULL);
        PQfinish(conn);
        return ERR_UNAVAILABLE;
    }
    d = xcalloc(1, sizeof *d);
    d->base.ops = &db_pg_ops;
    d->conn = conn;
    buf_init(&d->zombies, 1 << 20);
    if ((rc = db_pg_session(d))) {
        db_pg_ops.close(&d->base);
        return rc;
    }
    *out = &d->base;
    return 0;
}

static void
db_pg_close(struct db *db)
{
    struct db_pg *d = db_pg_of(db);
    PQfinish(d->conn);
    buf_release(&d->zombies);
    xfree(d);
}

static int
db_pg_ping(struct db *db)
{
    struct db_pg *d = db_pg_of(db);
    int rc = db_pg_ready(d);
    if (!rc)
        rc = db_pg_run(d, "SELECT 1", "db.pg.ping");
    /* A connection that only now turned out broken gets one reset: readiness is about
     * the server, not about this socket. */
    if (rc == ERR_UNAVAILABLE && PQstatus(d->conn) == CONNECTION_BAD && !d->base.in_tx &&
        !(rc = db_pg_ready(d)))
        rc = db_pg_run(d, "SELECT 1", "db.pg.ping");
    return rc;
}

static int
db_pg_exec(struct db *db, const char *sql)
{
    struct db_pg *d = db_pg_of(db);
    int rc = db_pg_ready(d);
    return rc ? rc : db_pg_run(d, sql, "db.pg.exec");
}

static int
db_pg_begin(struct db *db)
{
    struct db_pg *d = db_pg_of(db);
    int rc = db_pg_ready(d);
    return rc ? rc : db_pg_run(d, "BEGIN", "db.pg.begin");
}

/* db_pg_flush_zombies deallocates statements finalized while a transaction had failed. */
static void
db_pg_flush_zombies(struct db_pg *d)
{
    struct buf sql = BUF_INIT;
    for (size_t i = 0; i < d->zombies.len; i += strlen(d->zombies.data + i) + 1) {
        /* The name is one we generated ("jy" and digits), never data. */
        buf_reset(&sql);
        buf_printf(&sql, "DEALLOCATE %s", d->zombies.data + i);
        (void)db_pg_run(d, sql.data, "db.pg.deallocate");
    }
    buf_reset(&d->zombies);
    buf_release(&sql);
}

static int
db_pg_commit(struct db *db)
{
    struct db_pg *d = db_pg_of(db);
    PGresult *res;
    int rc = 0;

    if (PQtransactionStatus(d->conn) == PQTRANS_INERROR) {
        db__log_fail("db.pg.commit", ERR_DB, NULL, "a statement of the transaction failed",
                     NULL);
        return ERR_DB;
    }
    res = PQexec(d->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = db_pg_fail(d->conn, res, "db.pg.commit", "COMMIT");
    } else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        /* The server answers ROLLBACK when the transaction had failed. */
        db__log_fail("db.pg.commit", ERR_DB, NULL, "the transaction was rolled back", NULL);
        rc = ERR_DB;
    }
    PQclear(res);
    if (!rc && d->zombies.len)
        db_pg_flush_zombies(d);
    return rc;
}

static void
db_pg_rollback(struct db *db)
{
    struct db_pg *d = db_pg_of(db);
    if (PQstatus(d->conn) != CONNECTION_OK)
        return;
    if (PQtransactionStatus(d->conn) != PQTRANS_IDLE)
        (void)db_pg_run(d, "ROLLBACK", "db.pg.rollback");
    if (d->zombies.len && PQtransactionStatus(d->conn) == PQTRANS_IDLE)
        db_pg_flush_zombies(d);
}

/* ---- statements --------------------------------------------------------------------- */

/* db_pg_deallocate drops a prepared statement of the current connection (later, when
 * the transaction has failed and refuses every command but ROLLBACK). */
static void
db_pg_deallocate(struct db_pg *d, const char *name)
{
    struct buf sql = BUF_INIT;

    if (PQstatus(d->conn) != CONNECTION_OK)
        return;
    if (PQtransactionStatus(d->conn) == PQTRANS_INERROR) {
        buf_add(&d->zombies, name, strlen(name) + 1);
        return;
    }
    /* The name is one we generated ("jy" and digits), never data. */
    buf_printf(&sql, "DEALLOCATE %s", name);
    (void)db_pg_run(d, sql.data, "db.pg.deallocate");
    buf_release(&sql);
}

/* db_pg_prepare_as prepares st->text under a new name with the parameter types given
 * (n = 0: all inferred by the server) and describes it into *desc. quiet: a refusal is
 * logged at debug only (an attempt with a fallback). */
static int
db_pg_prepare_as(struct db_pg *d, struct db_pg_stmt *st, int n, const Oid *types, bool quiet,
                 PGresult **desc)
{
    PGresult *res;
    int rc;

    *desc = NULL;
    snprintf(st->name, sizeof st->name, "jy%u", ++d->next_id);
    res = PQprepare(d->conn, st->name, st->text, n, types);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (quiet) {
            rc = db_pg_map(d->conn, res);
            log_debug("db.pg.prepare_wide", "code", PQresultErrorField(res, PG_DIAG_SQLSTATE),
                      NULL);
        } else {
            rc = db_pg_fail(d->conn, res, "db.pg.prepare", st->base.sql ? st->base.sql : st->text);
        }
        PQclear(res);
        return rc;
    }
    PQclear(res);
    res = PQdescribePrepared(d->conn, st->name);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = db_pg_fail(d->conn, res, "db.pg.describe", st->text);
        PQclear(res);
        return rc;
    }
    *desc = res;
    return 0;
}

/* db_pg_widen prepares st again with every int2/int4 parameter typed int8, as SQLite's
 * integers are 64-bit: "(?1 = 0 OR ts >= ?1)" makes the server infer int4 from the
 * literal, and a millisecond timestamp would not fit. Comparisons, arithmetic and
 * assignments to int4 columns accept int8; where the statement does not (a function that
 * only takes int4, like substr), the inferred types stay. Inside a transaction the
 * attempt runs under a savepoint, so a refusal does not abort the caller's transaction. */
static int
db_pg_widen(struct db_pg *d, struct db_pg_stmt *st)
{
    bool in_tx = PQtransactionStatus(d->conn) == PQTRANS_INTRANS;
    Oid *wide = xcalloc((size_t)st->nparams + 1, sizeof *wide);
    PGresult *desc = NULL;
    char narrow[sizeof st->name];
    int rc;

    for (int i = 0; i < st->nparams; i++)
        wide[i] = st->types[i] == DB_PG_INT2 || st->types[i] == DB_PG_INT4 ? DB_PG_INT8
                                                                           : st->types[i];
    memcpy(narrow, st->name, sizeof narrow);
    if (in_tx && (rc = db_pg_run(d, "SAVEPOINT jy_widen", "db.pg.widen")))
        goto out;
    rc = db_pg_prepare_as(d, st, st->nparams, wide, true, &desc);
    if (in_tx)
        (void)db_pg_run(d, rc ? "ROLLBACK TO SAVEPOINT jy_widen; RELEASE SAVEPOINT jy_widen"
                              : "RELEASE SAVEPOINT jy_widen",
                        "db.pg.widen");
    if (rc) {
        memcpy(st->name, narrow, sizeof narrow); /* keep the inferred statement */
        rc = PQstatus(d->conn) == CONNECTION_OK ? 0 : ERR_UNAVAILABLE;
        goto out;
    }
    for (int i = 0; i < st->nparams; i++)
        st->types[i] = PQparamtype(desc, i);
    db_pg_deallocate(d, narrow);
    st->wide = wide;
    wide = NULL;
out:
    PQclear(desc);
    xfree(wide);
    return rc;
}

/* db_pg_prepare prepares st->text under a new name and learns its parameter types; again
 * (first false) after a reconnect, with the types chosen the first time. */
static int
db_pg_prepare(struct db_pg *d, struct db_pg_stmt *st, bool first)
{
    PGresult *desc = NULL;
    bool narrow = false;
    int rc, n;

    if ((rc = db_pg_prepare_as(d, st, first || !st->wide ? 0 : st->nparams, st->wide, false,
                               &desc)))
        return rc;
    n = PQnparams(desc);
    if (first) {
        st->nparams = n;
        st->types = xcalloc((size_t)n + 1, sizeof *st->types);
        st->vals = xcalloc((size_t)n + 1, sizeof *st->vals);
        st->lens = xcalloc((size_t)n + 1, sizeof *st->lens);
        st->fmts = xcalloc((size_t)n + 1, sizeof *st->fmts);
        st->scratch = xcalloc((size_t)n + 1, sizeof *st->scratch);
        st->owned = xcalloc((size_t)n + 1, sizeof *st->owned);
    } else if (n != st->nparams) {
        db__log_fail("db.pg.describe", ERR_DB, NULL, "parameters changed", st->text);
        rc = ERR_DB;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        st->types[i] = PQparamtype(desc, i);
        narrow |= st->types[i] == DB_PG_INT2 || st->types[i] == DB_PG_INT4;
    }
    st->gen = d->gen;
    if (first && narrow)
        rc = db_pg_widen(d, st);
out:
    PQclear(desc);
    return rc;
}

static void db_pg_finalize(struct db_stmt *base);

static int
db_pg_compile(struct db *db, const char *sql, struct db_stmt **out)
{
    struct db_pg *d = db_pg_of(db);
    struct db_pg_stmt *st;
    struct buf text = BUF_INIT;
    int rc;

    if ((rc = db_pg_ready(d)))
        return rc;
    if ((rc = db__pg_rewrite(sql, &text))) {
        buf_release(&text);
        return rc;
    }
    st = xcalloc(1, sizeof *st);
    st->base.db = db;
    st->text = buf_detach(&text, NULL);
    st->row = -1;
    if ((rc = db_pg_prepare(d, st, true))) {
        st->gen = d->gen + 1; /* nothing to deallocate */
        db_pg_finalize(&st->base);
        return rc;
    }
    *out = &st->base;
    return 0;
}

static void
db_pg_reset(struct db_stmt *base)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);

    PQclear(st->res);
    st->res = NULL;
    st->nrows = st->ncols = 0;
    st->row = -1;
    xfree(st->colbuf);
    st->colbuf = NULL;
    for (int i = 0; i < st->nparams; i++) {
        xfree(st->owned[i]);
        st->owned[i] = NULL;
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

static void
db_pg_finalize(struct db_stmt *base)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    struct db_pg *d = db_pg_of(base->db);

    db_pg_reset(base);
    if (!d->base.closing && st->gen == d->gen)
        db_pg_deallocate(d, st->name);
    xfree(st->text);
    xfree(st->types);
    xfree(st->wide);
    xfree(st->vals);
    xfree(st->lens);
    xfree(st->fmts);
    xfree(st->scratch);
    xfree(st->owned);
    xfree(st);
}


static int64_t
db_pg_changes(const PGresult *res)
{
    static const char *const verbs[] = { "INSERT ", "UPDATE ", "DELETE ", "MERGE " };
    const char *cmd = PQcmdStatus((PGresult *)res);
    int64_t n = 0;

    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strncmp(cmd, verbs[i], strlen(verbs[i])) == 0 &&
            !cstr_to_i64(PQcmdTuples((PGresult *)res), &n, 0, INT64_MAX))
            return n;
    return 0;
}

static int
db_pg_step(struct db_stmt *base, bool *row)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    struct db_pg *d = db_pg_of(base->db);
    PGresult *res;
    ExecStatusType status;
    int rc;

    if (!st->res) {
        if ((rc = db_pg_ready(d)))
            return rc;
        if (st->gen != d->gen && (rc = db_pg_prepare(d, st, false)))
            return rc;
        res = PQexecPrepared(d->conn, st->name, st->nparams, st->vals, st->lens, st->fmts, 1);
        status = PQresultStatus(res);
        if (status == PGRES_TUPLES_OK) {
            st->nrows = PQntuples(res);
            st->ncols = PQnfields(res);
        } else if (status == PGRES_COMMAND_OK) {
            st->nrows = st->ncols = 0;
        } else {
            rc = db_pg_fail(d->conn, res, "db.pg.step", base->sql);
            PQclear(res);
            return rc;
        }
        st->res = res;
        st->row = -1;
        base->changes = db_pg_changes(res);
    }
    if (st->row < st->nrows)
        st->row++;
    *row = st->row < st->nrows;
    return 0;
}


/* ---- notifications (issue 13: several nodes) ------------------------------------------ */

int
db_notify_wait(struct db *db, int timeout_ms, void (*on)(void *arg, const char *channel, const char *payload),
               void *arg)
{
    struct db_pg *d;
    PGnotify *n;
    int count = 0;

    if (!db || db_kind(db) != DB_POSTGRES)
        return ERR_INVALID;
    d = db_pg_of(db);
    if (PQstatus(d->conn) != CONNECTION_OK)
        return ERR_UNAVAILABLE;
    if (!(n = PQnotifies(d->conn))) {
        struct pollfd p = { .fd = PQsocket(d->conn), .events = POLLIN };
        if (p.fd < 0)
            return ERR_UNAVAILABLE;
        int r = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
        if (r < 0)
            return 0; /* EINTR: the caller loops */
        if (r > 0 && (!PQconsumeInput(d->conn) || PQstatus(d->conn) != CONNECTION_OK))
            return ERR_UNAVAILABLE;
        n = PQnotifies(d->conn);
    }
    for (; n; n = PQnotifies(d->conn)) {
        if (on)
            on(arg, n->relname, n->extra ? n->extra : "");
        count++;
        PQfreemem(n);
    }
    (void)count;
    return 0;
}

/* The protocol counts a statement's parameters in 16 bits (65,535), but libpq (15 at
 * least) refuses a ParameterDescription message over 30,000 bytes as "lost
 * synchronization", and every statement is described: 4 bytes a parameter after a 6-byte
 * header. */
static int db_pg_max_params(struct db *db) { return (30000 - 6) / 4; }

static const struct db__ops db_pg_ops = {
    .kind = DB_POSTGRES,
    .name = "postgres",
    .sql_migrate_lock = DB_PG_MIGRATE_LOCK,
    .sql_table_exists = "SELECT 1 FROM pg_catalog.pg_tables"
                        " WHERE schemaname = current_schema() AND tablename = ?1",
    .close = db_pg_close,
    .ping = db_pg_ping,
    .exec = db_pg_exec,
    .begin = db_pg_begin,
    .commit = db_pg_commit,
    .rollback = db_pg_rollback,
    .compile = db_pg_compile,
    .reset = db_pg_reset,
    .finalize = db_pg_finalize,
    .bind_i64 = db_pg__bind_i64,
    .bind_text = db_pg__bind_text,
    .bind_blob = db_pg__bind_blob,
    .bind_null = db_pg__bind_null,
    .step = db_pg_step,
    .col_i64 = db_pg__col_i64,
    .col_text = db_pg__col_text,
    .col_blob = db_pg__col_blob,
    .col_is_null = db_pg__col_is_null,
    .max_params = db_pg_max_params,
};
