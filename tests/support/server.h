/* tests/support/server.h - run the real `jiayuan serve` for an end-to-end test and talk to
 * it over HTTP.
 *
 * Nothing here is a mock: a server is the binary named by JIAYUAN_BIN (set by CMake for
 * every e2e test), prepared with its own CLI (`keys init`, `user add`, `token add`) in a
 * fresh temporary folder and started as a child process on a free loopback port. Its
 * standard error - the JSON-lines log - goes to a file, together with the standard error
 * of every CLI command run for it, so a test can grep what the server logged.
 *
 * Drivers. server_run runs a suite once per database from dbtest_urls (tests/support/
 * dbtest.h): on SQLite (the default VAR/jiayuan.db) and, when JIAYUAN_TEST_PG is set, on
 * PostgreSQL with `--db URL` where URL names a new, EMPTY schema (dbtest_open_empty), so
 * the server runs its own migrations exactly as in production. The schema is dropped when
 * the server is released.
 *
 * Typical suite:
 *
 *     static void test_x(void **state)
 *     {
 *         struct server *srv = *state;          // running, shared by the suite's tests
 *         struct client c;
 *         struct resp r = RESP_INIT;
 *         client_init(&c, srv);
 *         assert_int_equal(client_login(&c, "alice", SERVER_PASSWORD, NULL, &r), 200);
 *         ...
 *         resp_release(&r);
 *         client_release(&c);
 *     }
 *     int main(void)
 *     {
 *         const struct CMUnitTest tests[] = { cmocka_unit_test(test_x), ... };
 *         return server_run("auth", tests, sizeof tests / sizeof tests[0], prepare);
 *     }
 *
 * Tests of one suite share the server of their driver, so they use user names of their
 * own; prepare (run before serve starts) is the place to make them with the CLI, though
 * the CLI works while serve runs too, as an operator uses it. Administrators must enrol
 * a second factor before they can work: server_enrol does that over HTTP. A test that
 * must break the server's state (tampering with the audit log) starts a private one with
 * server_init / server_start, and releases it in a cmocka teardown so that a failing
 * assertion does not leave a server running. (A failing assertion does leak what the
 * test allocated: in an ASan build LeakSanitizer then reports the test process too.)
 *
 * The cookie jar is kept by hand: the session cookie is "__Host-jy_session" with Secure
 * on loopback, which curl's cookie engine drops over plain http.
 *
 * Every response a client receives is recorded in its server (status and body), for
 * server_assert_no_plaintext and server_assert_clean_errors.
 *
 * Helpers that can fail return 0 / a status; the ones named *_assert_* fail the current
 * cmocka test themselves and must be called from inside a test.
 */
#ifndef JY_TESTS_SERVER_H
#define JY_TESTS_SERVER_H
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "dbtest.h"

/* A password every default policy accepts (10+ characters, 4 classes, not common). */
#define SERVER_PASSWORD "Tq7#vLw2!pZe"

/* One response a client received, as recorded by its server. */
struct server_rec {
    long status;
    char *body; /* NUL-terminated copy */
    size_t len;
};

struct server {
    const char *driver;     /* "sqlite" | "postgres" */
    const char *driver_url; /* the dbtest_urls entry this server was made for */
    char *dir;              /* the temporary folder (removed by server_release) */
    char *var;              /* DIR/var: --var of every command */
    char *log_path;         /* DIR/server.log: stderr of serve and of every CLI command */
    char *db_path;          /* SQLite: VAR/jiayuan.db; NULL on PostgreSQL */
    char *db_url;           /* PostgreSQL: the fresh schema's URL (--db); NULL on SQLite */
    struct db *pg;          /* PostgreSQL: the dbtest connection that owns the schema */
    pid_t pid;              /* the running `serve`, 0 when stopped */
    int port;
    char base[64];          /* "http://127.0.0.1:PORT" */
    struct server_rec *recs;
    size_t nrecs, caprecs;
    size_t synced; /* nrecs when the log was last synced (server_log) */
    const char *serve_args[16]; /* extra options of `serve` (NULL-terminated; prepare may set them) */
    const char *tls_ca; /* set with --tls-cert in serve_args: the PEM file clients trust; base is https */
};

/* server_init prepares srv for driver_url (one of dbtest_urls): a new temporary folder,
 * `jiayuan keys init`, and on PostgreSQL a new empty schema. The server is not started.
 * Returns 0, or -1 after printing why (JIAYUAN_BIN unset, a command failed …). */
int server_init(struct server *srv, const char *driver_url);
/* server_start starts `jiayuan serve --listen 127.0.0.1:PORT` on a free port and waits
 * (up to 30 s) until GET /healthz answers 200. Returns 0, or -1 after printing why (the
 * last lines of the log are shown when serve exited). */
int server_start(struct server *srv);
/* server_stop sends SIGTERM, waits up to 10 s, then SIGKILLs. Returns serve's exit
 * status (0 after a clean shutdown; 128+N when killed by signal N; a sanitizer that found
 * leaks makes it non-zero). 0 when it was not running. */
int server_stop(struct server *srv);
/* server_restart stops serve (a non-zero exit status fails) and starts it again on a new
 * port with the same folder and database; clients follow (they read srv->base). For CLI
 * work that must not overlap a running server. Returns 0 or -1 after printing why. */
int server_restart(struct server *srv);
/* server_release stops serve if it runs, deletes the temporary folder (kept when
 * JIAYUAN_E2E_KEEP=1, for debugging) and the PostgreSQL schema, frees the records and
 * leaves srv zeroed. NULL and a zeroed srv are fine. */
void server_release(struct server *srv);

/* server_cli runs `jiayuan ARGS… --var VAR [--db URL]` (args: NULL-terminated list of
 * strings) with stdin_text (may be NULL) on standard input. Standard output is appended
 * to out (may be NULL); standard error goes to the log. Returns the exit status, -1 when
 * the command could not be run. Works while serve runs. */
int server_cli(struct server *srv, const char *stdin_text, struct buf *out, ...)
    __attribute__((sentinel));
/* server_add_user runs `jiayuan user add`. With password, it is passed through
 * --password-stdin (temporary adds --temporary); without, the CLI generates a one-time
 * password, which is appended to otp_out (may be NULL). subdistrict may be NULL. Returns
 * the exit status. */
int server_add_user(struct server *srv, const char *username, const char *role,
                    const char *subdistrict, const char *password, bool temporary,
                    struct buf *otp_out);
/* server_add_token runs `jiayuan token add` and appends the secret ("jy_…") to secret
 * and stores the id in *id (may be NULL). Returns the exit status. */
int server_add_token(struct server *srv, const char *name, const char *scopes,
                     struct buf *secret, int64_t *id);
/* server_db_open opens a connection of this process to srv's database (the SQLite file or
 * the PostgreSQL schema) through db.h; close it with db_close. Returns 0 or an ERR_*. */
int server_db_open(struct server *srv, struct db **out);
/* server_log reads the whole log into out (replacing its contents). While serve runs it
 * first waits until the log holds the lines of every request answered so far (serve
 * writes a request's line just after sending its response). */
void server_log(struct server *srv, struct buf *out);
/* server_log_has_sanitizer_report: did AddressSanitizer, LeakSanitizer or UBSan write to
 * the log? */
bool server_log_has_sanitizer_report(struct server *srv);

/* server_run runs the tests once per database from dbtest_urls. For each one it makes a
 * server (server_init), calls prepare (may be NULL; a non-zero return skips that driver
 * and counts as a failure), starts it, runs the tests with the struct server * as their
 * state, then stops it: a non-zero exit status or a sanitizer report in the log counts
 * as one more failure. Groups are named "<suite>/<driver>", tests "<driver>/<test>".
 * Returns the number of failures: main returns it. */
int server_run(const char *suite, const struct CMUnitTest *tests, size_t n,
               int (*prepare)(struct server *srv));

/* --- HTTP client ----------------------------------------------------------------- */

/* client_send flags */
enum client_flags {
    CLIENT_NO_CSRF = 1 << 0,   /* do not send X-CSRF-Token even when one is known */
    CLIENT_NO_COOKIE = 1 << 1, /* do not send the session cookie */
    CLIENT_CHUNKED = 1 << 2,   /* send the body with Transfer-Encoding: chunked */
    CLIENT_NO_TYPE = 1 << 3,   /* send no Content-Type at all */
    CLIENT_PATH_AS_IS = 1 << 4 /* do not normalise "/../" in the path */
};

/* A client: one curl easy handle (so its connection is kept alive and reused), a
 * one-cookie jar, the CSRF token of its session and an optional bearer token. Tests may
 * read and overwrite cookie, csrf and bearer directly ("" = none). */
struct client {
    struct server *srv;
    CURL *curl;
    char cookie_name[64];
    char cookie[256];
    char csrf[128];
    char bearer[128];
};

/* A response. head holds the raw header lines; json is the parsed body when it is a JSON
 * document (else NULL); connects is CURLINFO_NUM_CONNECTS (new connections this request
 * needed: 0 when a kept-alive one was reused); curl_rc is the CURLcode (0 when a response
 * arrived; status is 0 otherwise). */
struct resp {
    long status;
    struct buf head;
    struct buf body;
    json_t *json;
    long connects;
    int curl_rc;
};
#define RESP_INIT { 0, BUF_INIT, BUF_INIT, NULL, 0, 0 }

void client_init(struct client *c, struct server *srv);
void client_release(struct client *c);
/* client_send sends METHOD base+path with body (len bytes, may be NULL) and the extra
 * header lines in headers (NULL-terminated, may be NULL; a "Content-Type: …" line there
 * replaces the default application/json). Adds the session cookie, X-CSRF-Token (when
 * known and method is not GET/HEAD) and Authorization: Bearer (when bearer is set) unless
 * flags say otherwise. r is released first, so one r can be reused; afterwards the
 * response is recorded in the server, Set-Cookie updates the jar (Max-Age=0 clears it)
 * and a top-level "csrf_token" in the body updates csrf. Returns r->status. */
long client_send(struct client *c, const char *method, const char *path, const void *body,
                 size_t len, const char *const *headers, unsigned flags, struct resp *r);
/* client_call is client_send with a NUL-terminated JSON body (NULL = none). */
long client_call(struct client *c, const char *method, const char *path, const char *json,
                 struct resp *r);
/* client_pack builds the body with json_pack(fmt, …) and sends it (fails the test when
 * fmt does not pack). */
long client_pack(struct client *c, const char *method, const char *path, struct resp *r,
                 const char *fmt, ...);
/* client_login posts {"username","password"[,"totp"]} to /api/v1/auth/login. */
long client_login(struct client *c, const char *username, const char *password,
                  const char *totp, struct resp *r);
/* client_sign_in initialises c for srv and logs user in with SERVER_PASSWORD and no
 * one-time code; returns the HTTP status (200: signed in). */
long client_sign_in(struct client *c, struct server *srv, const char *user);

void resp_release(struct resp *r);
/* resp_header copies the value of the nth (0-based) header called name (any case) into
 * out and returns out, or NULL when there is none. */
const char *resp_header(const struct resp *r, const char *name, size_t nth, char *out, size_t cap);
/* resp_get returns the JSON value at a dotted path ("user.username", "items.0.id"), or
 * NULL. resp_str / resp_int read strings / integers there (NULL / INT64_MIN otherwise). */
json_t *resp_get(const struct resp *r, const char *path);
const char *resp_str(const struct resp *r, const char *path);
int64_t resp_int(const struct resp *r, const char *path);
/* resp_code returns error.code of an error envelope, or NULL. */
const char *resp_code(const struct resp *r);
/* resp_metric reads a sample without labels from a /metrics body ("name value"): its
 * value, or -1 when the body has no such line. */
int64_t resp_metric(const struct resp *r, const char *name);
/* assert_resp fails the current test unless r has status and, when code is not NULL, is
 * an error envelope with that code. The failure message shows the body. */
#define assert_resp(r, status, code) resp_assert((r), (status), (code), __FILE__, __LINE__)
void resp_assert(const struct resp *r, long status, const char *code, const char *file, int line);

/* --- accounts with a second factor ------------------------------------------------ */

/* TOTP as an authenticator app computes it, implemented here with OpenSSL (RFC 6238:
 * HMAC-SHA1, 30 s, 6 digits) so it does not share code with the server.
 * server_totp writes the code of step for the base32 secret into out; -1 on a bad
 * secret. server_totp_step returns the current step. server_totp_margin sleeps into the
 * next step when fewer than seconds remain in this one, and returns the current step, so
 * a sequence of logins needing codes of steps S-1, S, S+1 sees the server in step S. */
int server_totp(const char *secret_b32, int64_t step, char out[7]);
int64_t server_totp_step(void);
int64_t server_totp_margin(int seconds);

/* server_enrol makes an administrator (sysadmin, secadmin or auditor) ready to work: it
 * logs username in on c with SERVER_PASSWORD, sets up TOTP and enables it with the code
 * of step S-1 (so S and S+1 stay free for later logins), and copies the base32 secret
 * into secret (may be NULL). The user must exist already (make it with server_add_user
 * before the server starts). The session on c goes on fully enrolled. Returns 0 or -1
 * after printing which step failed. */
int server_enrol(struct server *srv, struct client *c, const char *username, char *secret,
                 size_t cap);

/* --- what must never leak ---------------------------------------------------------- */

enum server_scan {
    SCAN_DB = 1 << 0,        /* SQLite: the db file, -wal, -shm; PostgreSQL: every row of
                              * every table of the schema, as text, bytea in hex */
    SCAN_LOG = 1 << 1,       /* the server log (serve and CLI standard error) */
    SCAN_RESPONSES = 1 << 2, /* every response body clients received */
    SCAN_ALL = SCAN_DB | SCAN_LOG | SCAN_RESPONSES,
};
/* server_find returns the set of places (SCAN_*) among where that hold the n bytes at
 * needle (ASCII case-insensitively when nocase). */
unsigned server_find(struct server *srv, unsigned where, const void *needle, size_t n, bool nocase);
/* server_count_responses counts the recorded responses whose body holds needle. */
size_t server_count_responses(struct server *srv, const char *needle);
/* server_assert_absent fails the test when any of needles (NULL-terminated list of
 * strings, compared ASCII case-insensitively) is found in where. The message names the
 * needle by its index and the place, never by its text, so real personal data used as a
 * needle does not end up in test output. */
void server_assert_absent(struct server *srv, unsigned where, const char *const *needles);
/* server_assert_no_plaintext is server_assert_absent over SCAN_ALL: the database file,
 * the logs and all responses. Later suites call it with real personal data. */
void server_assert_no_plaintext(struct server *srv, const char *const *needles);
/* server_assert_clean_errors fails the test unless every recorded response with status
 * >= 400 is the JSON error envelope {"error":{"code","message","request_id"}} and no
 * body names internals (sqlite, SQL, postgres, errno, file paths, source files).
 * libmicrohttpd's own "431 Request Header Fields Too Large" page is exempt: that request
 * never reaches the server's code. */
void server_assert_clean_errors(struct server *srv);

#endif
