/* cli/doctor.c - `jiayuan doctor [--var DIR] [--db URL] [--keys FILE]`: what is wrong
 * with this installation, one line per check - "OK", "WARN" or "FAIL", the check's name
 * and what was found - and exit status 1 when any check FAILs (O3 operations, O4
 * monitoring; issue 12). Reads only: it creates no folder, applies no migration and
 * writes no audit entry, so it is safe on a broken or a running installation.
 *
 * Checks: the data folder (present, a folder, not open to others); the key file
 * (present, a regular file, mode 0600, owned by this user, opens); the database
 * (connects, migrations current, the data keys open under the key file, the audit chain
 * and its head verify); free space where the data folder lives; the clock against the
 * database server's; upstreams: a bounded TCP connect to every active webhook destination
 * and the cameras the last probe found offline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/keyring.h"
#include "domain/platform/audit.h"
#include "domain/platform/keystore.h"

#define DOCTOR_CONNECT_MS 3000      /* per upstream */
#define DOCTOR_MAX_UPSTREAMS 20
#define DOCTOR_CLOCK_WARN_MS 2000
#define DOCTOR_CLOCK_FAIL_MS 60000

enum doctor_level { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor {
    const struct cli_args *a;
    const char *var;
    int fails, warns;
    bool kek_ok;
    struct kek kek;
};

static const char sql_pg_now[] = "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
static const char sql_webhooks[] = "SELECT id, url FROM webhooks WHERE active = 1 ORDER BY id";
static const char sql_cameras_offline[] =
    "SELECT count(*) FROM cameras WHERE deleted_at = 0 AND status = 'offline'";

static void doctor_line(struct doctor *d, enum doctor_level lv, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
doctor_line(struct doctor *d, enum doctor_level lv, const char *check, const char *fmt, ...)
{
    static const char *const names[] = { "OK  ", "WARN", "FAIL" };
    va_list ap;
    printf("%s %-10s ", names[lv], check);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    d->fails += lv == DOCTOR_FAIL;
    d->warns += lv == DOCTOR_WARN;
}

static bool
doctor_check_var(struct doctor *d)
{
    struct stat st;
    if (stat(d->var, &st) != 0) {
        doctor_line(d, DOCTOR_FAIL, "var", "data folder '%s' is missing (%s)", d->var, strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        doctor_line(d, DOCTOR_FAIL, "var", "'%s' is not a folder", d->var);
        return false;
    }
    if (st.st_mode & 022)
        doctor_line(d, DOCTOR_FAIL, "var", "data folder '%s' is writable by others (mode %04o)", d->var,
                    (unsigned)(st.st_mode & 07777));
    else if (st.st_mode & 077)
        doctor_line(d, DOCTOR_WARN, "var", "data folder '%s' is readable by others (mode %04o; 0700 wanted)", d->var,
                    (unsigned)(st.st_mode & 07777));
    else
        doctor_line(d, DOCTOR_OK, "var", "data folder '%s' (mode %04o)", d->var, (unsigned)(st.st_mode & 07777));
    return true;
}

static void
doctor_check_keys(struct doctor *d)
{
    char path[1024];
    struct stat st;
    int rc;

    cli_kek_path(d->a, path, sizeof path);
    if (lstat(path, &st) != 0) {
        doctor_line(d, DOCTOR_FAIL, "keys", "no key file at '%s' (%s)", path, strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        doctor_line(d, DOCTOR_FAIL, "keys", "key file '%s' is not a regular file (a link?)", path);
        return;
    }
    if (st.st_mode & 077) {
        doctor_line(d, DOCTOR_FAIL, "keys", "key file '%s' has mode %04o; it must be 0600", path,
                    (unsigned)(st.st_mode & 07777));
        return;
    }
    if (st.st_uid != geteuid())
        doctor_line(d, DOCTOR_WARN, "keys", "key file '%s' belongs to uid %u, not to this user (%u)", path,
                    (unsigned)st.st_uid, (unsigned)geteuid());
    if ((rc = keyring_kek_load(path, &d->kek))) {
        doctor_line(d, DOCTOR_FAIL, "keys", "key file '%s' does not open (%s)", path, err_name(rc));
        return;
    }
    d->kek_ok = true;
    doctor_line(d, DOCTOR_OK, "keys", "key file '%s' (mode 0600) opens", path);
}

/* The highest migration number this binary carries (names "NNNN_name[.driver].sql"). */
static int
doctor_latest_migration(void)
{
    int best = 0;
    for (size_t i = 0; i < embedded_migrations_count; i++) {
        const char *p = embedded_migrations[i].path, *slash = strrchr(p, '/');
        int v = 0;
        for (p = slash ? slash + 1 : p; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (*p - '0');
        best = v > best ? v : best;
    }
    return best;
}

static void
doctor_check_audit(struct doctor *d, struct db *db)
{
    struct keyring kr = { 0 };
    int64_t checked = 0, broken = 0;
    int rc;
    if (!d->kek_ok) {
        doctor_line(d, DOCTOR_WARN, "audit", "not checked: no usable key file");
        return;
    }
    if ((rc = keystore_load(db, &d->kek, &kr))) {
        doctor_line(d, DOCTOR_FAIL, "keys", "the data keys do not open with this key file (%s)", err_name(rc));
    } else if ((rc = audit_verify(db, &kr, &checked, &broken))) {
        doctor_line(d, DOCTOR_FAIL, "audit", "cannot read the audit log (%s)", err_name(rc));
    } else if (broken) {
        doctor_line(d, DOCTOR_FAIL, "audit", "audit chain BROKEN (%lld intact entries); see the runbook", (long long)checked);
    } else {
        doctor_line(d, DOCTOR_OK, "audit", "audit chain and head intact: %lld entries", (long long)checked);
    }
    keyring_wipe(&kr);
}

static void
doctor_check_clock(struct doctor *d, struct db *db)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t before = time_now_ms(), server = 0, skew;
    int rc;
    if (db_kind(db) == DB_SQLITE) {
        doctor_line(d, DOCTOR_OK, "clock", "SQLite: the database shares this host's clock");
        return;
    }
    if ((rc = db_prepare(db, sql_pg_now, &st)) || (rc = db_step(st, &row)) || !row) {
        db_done(st);
        doctor_line(d, DOCTOR_WARN, "clock", "cannot read the database server's clock (%s)", err_name(rc));
        return;
    }
    server = db_col_i64(st, 0);
    db_done(st);
    skew = server - (before + time_now_ms()) / 2;
    skew = skew < 0 ? -skew : skew;
    doctor_line(d, skew > DOCTOR_CLOCK_FAIL_MS ? DOCTOR_FAIL : skew > DOCTOR_CLOCK_WARN_MS ? DOCTOR_WARN : DOCTOR_OK,
                "clock", "this host and the database server differ by %lld ms", (long long)skew);
}

/* doctor_connect: a TCP connect to host:port bounded by DOCTOR_CONNECT_MS; 0 or errno. */
static int
doctor_connect(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
    int err = EHOSTUNREACH;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return ENOENT;
    for (struct addrinfo *ai = res; ai && err; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            err = 0;
        } else if (errno == EINPROGRESS) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            socklen_t len = sizeof err;
            if (poll(&p, 1, DOCTOR_CONNECT_MS) == 1)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            else
                err = ETIMEDOUT;
        } else {
            err = errno;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return err;
}

/* doctor_split_url: scheme://[user@]host[:port]/… -> host and port (default by scheme). */
static bool
doctor_split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *p = strstr(url, "://"), *end, *at, *colon;
    if (!p)
        return false;
    snprintf(port, pcap, "%s", strncmp(url, "https", 5) == 0 ? "443" : "80");
    p += 3;
    end = p + strcspn(p, "/?#");
    if ((at = memchr(p, '@', (size_t)(end - p))))
        p = at + 1;
    if (*p == '[') { /* [v6]:port */
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            return false;
        snprintf(host, hcap, "%.*s", (int)(close - p - 1), p + 1);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        snprintf(host, hcap, "%.*s", (int)((colon ? colon : end) - p), p);
    }
    if (colon)
        snprintf(port, pcap, "%.*s", (int)(end - colon - 1), colon + 1);
    return host[0] != '\0';
}

static void
doctor_check_upstreams(struct doctor *d, struct db *db)
{
    struct db_stmt *st = NULL;
    bool row = false;
    char urls[DOCTOR_MAX_UPSTREAMS][512];
    int64_t ids[DOCTOR_MAX_UPSTREAMS], offline = 0;
    size_t n = 0, more = 0;
    int rc;

    if ((rc = db_prepare(db, sql_webhooks, &st)))
        goto cameras;
    while (!(rc = db_step(st, &row)) && row) {
        size_t len = 0;
        const char *u = db_col_text(st, 1, &len);
        if (n == DOCTOR_MAX_UPSTREAMS) {
            more++;
            continue;
        }
        ids[n] = db_col_i64(st, 0);
        snprintf(urls[n++], sizeof urls[0], "%.*s", (int)len, u ? u : "");
    }
cameras:
    db_done(st);
    if (rc)
        doctor_line(d, DOCTOR_WARN, "upstream", "cannot list the webhooks (%s)", err_name(rc));
    for (size_t i = 0; i < n; i++) {
        char host[256], port[16];
        int err;
        if (!doctor_split_url(urls[i], host, sizeof host, port, sizeof port)) {
            doctor_line(d, DOCTOR_WARN, "upstream", "webhook %lld: destination is not a URL", (long long)ids[i]);
            continue;
        }
        err = doctor_connect(host, port);
        doctor_line(d, err ? DOCTOR_WARN : DOCTOR_OK, "upstream", "webhook %lld: %s port %s %s%s", (long long)ids[i],
                    host, port, err ? "unreachable: " : "reachable", err ? strerror(err) : "");
    }
    if (more)
        doctor_line(d, DOCTOR_WARN, "upstream", "%zu more webhooks not checked", more);
    if (!n && !rc)
        doctor_line(d, DOCTOR_OK, "upstream", "no active webhooks");
    st = NULL;
    if (!(rc = db_prepare(db, sql_cameras_offline, &st)) && !(rc = db_step(st, &row)) && row)
        offline = db_col_i64(st, 0);
    db_done(st);
    if (rc)
        doctor_line(d, DOCTOR_WARN, "upstream", "cannot read the cameras' status (%s)", err_name(rc));
    else
        doctor_line(d, offline ? DOCTOR_WARN : DOCTOR_OK, "upstream",
                    "%lld cameras offline at the last probe (jiayuan cameras probe)", (long long)offline);
}

static void
doctor_check_db(struct doctor *d, bool have_var)
{
    const char *url = cli_opt(d->a, "db");
    struct db *db = NULL;
    char path[1100];
    struct stat st;
    int rc, version = 0, latest = doctor_latest_migration();

    if (!url) {
        /* db_open would create the folder and an empty database: look first. */
        snprintf(path, sizeof path, "%s/jiayuan.db", d->var);
        if (!have_var || stat(path, &st) != 0) {
            doctor_line(d, DOCTOR_FAIL, "database", "no SQLite database at '%s'", path);
            return;
        }
    }
    if ((rc = db_open(url, d->var, &db)) || (rc = db_ping(db))) {
        doctor_line(d, DOCTOR_FAIL, "database", "cannot connect (%s)", err_name(rc));
        db_close(db);
        return;
    }
    if ((rc = db_schema_version(db, &version)))
        doctor_line(d, DOCTOR_FAIL, "database", "%s: cannot read the schema version (%s)", db_describe(db), err_name(rc));
    else if (version > latest)
        doctor_line(d, DOCTOR_FAIL, "database", "%s: schema %d is newer than this binary's %d", db_describe(db), version, latest);
    else if (version < latest)
        doctor_line(d, DOCTOR_WARN, "database", "%s: schema %d, this binary has %d (serve or jiayuan migrate applies them)",
                    db_describe(db), version, latest);
    else
        doctor_line(d, DOCTOR_OK, "database", "%s: connected, migrations current (%d)", db_describe(db), version);
    if (!rc && version > 0) {
        doctor_check_audit(d, db);
        doctor_check_clock(d, db);
        doctor_check_upstreams(d, db);
    }
    db_close(db);
}

static void
doctor_check_disk(struct doctor *d)
{
    struct statvfs vfs;
    if (statvfs(d->var, &vfs) != 0) {
        doctor_line(d, DOCTOR_FAIL, "disk", "cannot read free space of '%s' (%s)", d->var, strerror(errno));
        return;
    }
    unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    unsigned long long total = (unsigned long long)vfs.f_blocks * vfs.f_frsize;
    double pct = total ? 100.0 * (double)avail / (double)total : 0.0;
    enum doctor_level lv = avail < (256ULL << 20) || pct < 2.0    ? DOCTOR_FAIL
                           : avail < (2ULL << 30) || pct < 10.0 ? DOCTOR_WARN
                                                                 : DOCTOR_OK;
    doctor_line(d, lv, "disk", "%.1f GiB free (%.0f%%) where '%s' lives", (double)avail / (1 << 30), pct, d->var);
}

int
cli_doctor(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", NULL };
    struct cli_args a;
    struct doctor d = { 0 };
    bool have_var;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, NULL, &a)))
        return rc;
    d.a = &a;
    d.var = cli_opt(&a, "var") ? cli_opt(&a, "var") : "./var";
    if (crypto_selftest())
        doctor_line(&d, DOCTOR_FAIL, "crypto", "the SM3/SM4 self-test failed");
    else
        doctor_line(&d, DOCTOR_OK, "crypto", "SM3/SM4 known-answer tests pass");
    have_var = doctor_check_var(&d);
    doctor_check_keys(&d);
    doctor_check_db(&d, have_var);
    if (have_var)
        doctor_check_disk(&d);
    kek_wipe(&d.kek);
    printf("%d FAIL, %d WARN\n", d.fails, d.warns);
    return d.fails ? 1 : 0;
}
