/* domain/platform/audit_ship.c - audit chain tags to a file on another volume and/or to
 * syslog, and the check of a tag file against the database (issue 12, S6). No core/log.h
 * here: <syslog.h> defines LOG_INFO and friends as macros; callers log what failed. */
#include "domain/platform/audit_ship.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "crypto/sm.h"

struct audit_ship {
    int fd;       /* the tag file, -1 when none */
    int facility; /* -1 when no syslog */
    int64_t last; /* the last id shipped */
};

int
audit_ship_facility(const char *name, int *facility)
{
    static const struct {
        const char *name;
        int facility;
    } names[] = {
        { "user", LOG_USER },     { "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },     { "authpriv", LOG_AUTHPRIV },
        { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
        { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
    };
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i].name) == 0) {
            *facility = names[i].facility;
            return 0;
        }
    return ERR_INVALID;
}

int
audit_tag_parse(const char *line, size_t n, int64_t *id, uint8_t mac[SM3_LEN])
{
    char digits[24];
    size_t i = 0, got = 0;
    while (i < n && i <= 18 && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i == 0 || i > 18 || i + 1 + 2 * SM3_LEN != n || line[i] != ' ')
        return ERR_INVALID;
    memcpy(digits, line, i);
    digits[i] = '\0';
    *id = strtoll(digits, NULL, 10);
    if (*id <= 0 || hex_decode(line + i + 1, 2 * SM3_LEN, mac, SM3_LEN, &got) || got != SM3_LEN)
        return ERR_INVALID;
    return 0;
}

/* audit_tag_file_last finds the id of the last complete line of the open tag file (0 when
 * empty). A torn last line (a crash inside write) is cut off, so the file stays a list of
 * whole lines. */
static int
audit_tag_file_last(int fd, int64_t *last)
{
    char tail[256];
    uint8_t mac[SM3_LEN];
    struct stat sb;
    *last = 0;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
        return ERR_INVALID;
    if (sb.st_size == 0)
        return 0;
    off_t from = sb.st_size > (off_t)sizeof tail ? sb.st_size - (off_t)sizeof tail : 0;
    ssize_t n = pread(fd, tail, (size_t)(sb.st_size - from), from), end = n, start;
    if (n <= 0)
        return ERR_IO;
    while (end > 0 && tail[end - 1] != '\n')
        end--; /* tail[end - 1] is the newline ending the last complete line */
    if (end < n && ftruncate(fd, from + end))
        return ERR_IO;
    if (end == 0)
        return from > 0 ? ERR_INVALID : 0; /* a line longer than any tag line, or only a torn one */
    start = end - 1;
    while (start > 0 && tail[start - 1] != '\n')
        start--;
    if (start == 0 && from > 0)
        return ERR_INVALID;
    return audit_tag_parse(tail + start, (size_t)(end - 1 - start), last, mac);
}

static const char sql_head_last[] = "SELECT last_id FROM audit_head WHERE id = 1";

int
audit_ship_open(struct db *db, const char *tag_file, const char *facility, struct audit_ship **out)
{
    struct audit_ship *s;
    int rc = 0;
    *out = NULL;
    if (!tag_file && !facility)
        return ERR_INVALID;
    if (!(s = calloc(1, sizeof *s)))
        return ERR_INTERNAL;
    s->fd = -1;
    s->facility = -1;
    if (facility && (rc = audit_ship_facility(facility, &s->facility)))
        goto fail;
    if (tag_file) {
        s->fd = open(tag_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->fd < 0) {
            rc = ERR_IO;
            goto fail;
        }
        int rfd = open(tag_file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (rfd < 0) {
            rc = ERR_IO;
            goto fail;
        }
        rc = audit_tag_file_last(rfd, &s->last);
        close(rfd);
        if (rc)
            goto fail;
    } else {
        struct db_stmt *st = NULL;
        bool row = false;
        if (!(rc = db_prepare(db, sql_head_last, &st)) && !(rc = db_step(st, &row)) && row)
            s->last = db_col_i64(st, 0);
        db_done(st);
        if (rc)
            goto fail;
    }
    if (s->facility >= 0)
        openlog("jiayuan", LOG_PID | LOG_NDELAY, s->facility);
    *out = s;
    return 0;
fail:
    audit_ship_close(s);
    return rc;
}

static const char sql_tail[] = "SELECT id, mac FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2";

/* audit_ship_group ships up to AUDIT_SHIP_GROUP entries after s->last; *n counts them. */
static int
audit_ship_group(struct audit_ship *s, struct db *db, int64_t *n)
{
    struct db_stmt *st = NULL;
    struct buf lines = BUF_INIT;
    bool row = false;
    int64_t last = s->last;
    char hex[2 * SM3_LEN + 1];
    int rc;
    *n = 0;
    if ((rc = db_prepare(db, sql_tail, &st)) || (rc = db_bind_i64(st, 1, s->last)) ||
        (rc = db_bind_i64(st, 2, AUDIT_SHIP_GROUP)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t len = 0;
        const void *mac = db_col_blob(st, 1, &len);
        if (!mac || len != SM3_LEN)
            memset(hex, '0', 2 * SM3_LEN), hex[2 * SM3_LEN] = '\0'; /* shipped as is: verify sees it differ */
        else
            hex_to_str(mac, SM3_LEN, hex);
        last = db_col_i64(st, 0);
        buf_printf(&lines, "%lld %s\n", (long long)last, hex);
        if (s->facility >= 0)
            syslog(s->facility | LOG_INFO, "audit-tag %lld %s", (long long)last, hex);
        (*n)++;
    }
    if (rc)
        goto out;
    if (buf_error(&lines)) {
        rc = ERR_INTERNAL;
        goto out;
    }
    if (s->fd >= 0 && lines.len) {
        size_t off = 0;
        while (off < lines.len) {
            ssize_t w = write(s->fd, lines.data + off, lines.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = ERR_IO;
                goto out;
            }
            off += (size_t)w;
        }
        if (fsync(s->fd)) {
            rc = ERR_IO;
            goto out;
        }
    }
    s->last = last;
out:
    db_done(st);
    buf_release(&lines);
    return rc;
}

int
audit_ship_poll(struct audit_ship *s, struct db *db, int64_t *shipped)
{
    int64_t n = 0, total = 0;
    int rc;
    do {
        if ((rc = audit_ship_group(s, db, &n)))
            break;
        total += n;
    } while (n == AUDIT_SHIP_GROUP);
    if (shipped)
        *shipped = total;
    return rc;
}

int64_t
audit_ship_last(const struct audit_ship *s)
{
    return s->last;
}

void
audit_ship_close(struct audit_ship *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->facility >= 0)
        closelog();
    free(s);
}

static const char sql_mac_of[] = "SELECT mac FROM audit_log WHERE id = ?1";

/* audit_tag_check compares one shipped tag with the database's row id. */
static int
audit_tag_check(struct db *db, int64_t id, const uint8_t mac[SM3_LEN], enum audit_tag_problem *problem)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int rc;
    if ((rc = db_prepare(db, sql_mac_of, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    const void *have = row ? db_col_blob(st, 0, &n) : NULL;
    if (!row)
        *problem = AUDIT_TAG_MISSING;
    else if (!have || n != SM3_LEN || !crypto_equal(have, mac, SM3_LEN))
        *problem = AUDIT_TAG_DIFFERS;
out:
    db_done(st);
    return rc;
}

int
audit_tags_verify(struct db *db, const char *path, int64_t *checked, enum audit_tag_problem *problem,
                  int64_t *bad_id)
{
    char line[256];
    uint8_t mac[SM3_LEN];
    int64_t lineno = 0, id = 0;
    int rc = 0;
    FILE *f = fopen(path, "re");
    *checked = 0;
    *problem = AUDIT_TAG_OK;
    *bad_id = 0;
    if (!f)
        return ERR_IO;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        lineno++;
        if (n && line[n - 1] == '\n')
            n--;
        if (audit_tag_parse(line, n, &id, mac)) {
            *problem = AUDIT_TAG_BAD_LINE;
            *bad_id = lineno;
            break;
        }
        if ((rc = audit_tag_check(db, id, mac, problem)))
            break;
        if (*problem) {
            *bad_id = id;
            break;
        }
        (*checked)++;
    }
    if (!rc && ferror(f))
        rc = ERR_IO;
    fclose(f);
    return rc;
}
