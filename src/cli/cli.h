/* cli/cli.h - subcommands of the jiayuan binary and what they share: option parsing and
 * opening the application (storage, migrations, reference data, keys, policy).
 *
 * Every subcommand takes --var DIR (default ./var) and --db URL (default SQLite in DIR).
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
#ifndef JY_CLI_CLI_H
#define JY_CLI_CLI_H
#include <stdbool.h>

#include "core/buf.h"
#include "domain/platform/app.h"
#include "domain/video/video.h"
#include "geo/geo.h"
#include "io/table.h"

#define CLI_MAX_OPTS 24

struct cli_args {
    char names[CLI_MAX_OPTS][32];
    const char *values[CLI_MAX_OPTS]; /* into argv; NULL for a flag */
    int n;
};

/* cli_parse reads --name value / --name=value / --flag from argv (after the subcommand
 * words). allowed lists option names; flags lists which of them take no value. Prints a
 * usage error and returns 2 on anything else. */
int cli_parse(int argc, char **argv, const char *const *allowed, const char *const *flags,
              struct cli_args *out);
const char *cli_opt(const struct cli_args *a, const char *name);
bool cli_flag(const struct cli_args *a, const char *name);

enum cli_open_flags {
    CLI_OPEN_KEYS = 1 << 0, /* load the KEK and data keys (refuse without them) */
    CLI_OPEN_WRITER = 1 << 1, /* start the group-commit writer (app->writer; serve) */
    CLI_OPEN_NO_FOLD = 1 << 2, /* … without folding per group (side-by-side measurement) */
};
/* cli_app_open prepares app from --var/--db: creates VAR, runs the crypto self-test,
 * migrates, seeds reference data, loads keys (when asked) and the policy. pool_size
 * connections are opened. Prints a clear error and returns non-zero on failure. */
int cli_app_open(struct app *app, const struct cli_args *a, unsigned flags, size_t pool_size);
void cli_app_close(struct app *app);
/* cli_kek_path writes the KEK file path (--keys FILE, else VAR/keys/kek). */
void cli_kek_path(const struct cli_args *a, char *out, size_t cap);
/* cli_read_secret reads one line from stdin (no echo handling: for --password-stdin). */
int cli_read_secret(char *out, size_t cap);

int cli_serve(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_webhook_allow(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_backup(int argc, char **argv);  /* cli/backup.c */
int cli_restore(int argc, char **argv); /* cli/restore.c */
int cli_doctor(int argc, char **argv);  /* cli/doctor.c */
int cli_purge(int argc, char **argv);   /* cli/retention.c (issue 12) */
int cli_erase(int argc, char **argv);   /* cli/retention.c (issue 12) */
int cli_demo(int argc, char **argv);
int cli_batch(int argc, char **argv);
int cli_toilets(int argc, char **argv);
int cli_health(int argc, char **argv); /* cli/health.c */
int cli_cameras(int argc, char **argv);
int cli_exchange(int argc, char **argv); /* cli/exchange.c */
int cli_history(int argc, char **argv);  /* cli/exchange.c */

/* cli_split_args takes an input path (the first bare word) and "-o OUT" out of argv and
 * copies the rest, values of the options named in valued included, to rest for cli_parse.
 * 2 (after a message) on a second bare word. */
int cli_split_args(int argc, char **argv, const char *const *valued, const char **in, const char **out,
                   char **rest, int *nrest);

/* A sheet command (cli/sheet_cmd.c): `jiayuan WORDS FILE [-o OUT] [--opt V]... [--var --db
 * --keys]`. cli_sheet_main parses argv (the command's options plus out/var/db/keys), prints
 * usage and returns 2 on a missing FILE or a wrong -o, calls check (options; 2 after its own
 * message), opens FILE as a table when CLI_SHEET_TABLE (1 after "cannot read"), opens the
 * application with keys and one connection, and returns run's exit status (0/1). */
enum cli_sheet_flags {
    CLI_SHEET_TABLE = 1 << 0,        /* open FILE as s->table before the application */
    CLI_SHEET_OUT = 1 << 1,          /* -o OUT allowed */
    CLI_SHEET_OUT_REQUIRED = 1 << 2, /* -o OUT required */
};
struct cli_sheet {
    const char *in, *out; /* FILE; OUT or NULL */
    struct cli_args args;
    struct app app;
    struct db *db; /* one connection of app */
    struct actor who; /* the system actor "cli" */
    struct table *table; /* FILE, with CLI_SHEET_TABLE */
    struct buf why; /* for the domain's explanation of a failure */
    void *arg; /* cli_sheet_main's arg */
};
struct cli_sheet_cmd {
    const char *usage;
    const char *const *options; /* the command's own options, NULL-terminated (or NULL) */
    unsigned flags; /* enum cli_sheet_flags */
    int (*check)(struct cli_sheet *s, void *arg); /* optional */
    int (*run)(struct cli_sheet *s, void *arg);
};
int cli_sheet_main(const struct cli_sheet_cmd *cmd, int argc, char **argv, void *arg);
/* cli_opt_crs reads --crs (wgs84 | gcj02 | bd09) into *crs when given (*given says
 * whether it was, when given is not NULL); 2 after a message on another value. */
int cli_opt_crs(const struct cli_args *a, enum geo_crs *crs, bool *given);
/* cli_sheet_failed prints "jiayuan: WHAT of 'FILE' failed (ERR): why" and returns 1;
 * cli_sheet_cannot_write "cannot write 'OUT' (ERR)" and returns 1. */
int cli_sheet_failed(struct cli_sheet *s, const char *what, int rc);
int cli_sheet_cannot_write(const struct cli_sheet *s, int rc);

int cli_places(int argc, char **argv);
int cli_sites(int argc, char **argv);      /* cli/sites_match.c */
int cli_hotline(int argc, char **argv);

/* The live-video options (cli/video.c), all optional: --media-max-upstreams N
 * --media-linger S --media-ring-bytes B --media-max-transcodes N --media-rw-timeout MS
 * --media-probe-interval S --media-probe-concurrency N --play-ttl S and the flag
 * --media-udp. CLI_VIDEO_OPTS lists them for cli_parse. cli_video_config fills cfg (zero
 * = the defaults of video.h / media/hub.h); 2 after a usage message on a bad value. */
#define CLI_VIDEO_OPTS                                                                            \
    "media-max-upstreams", "media-linger", "media-ring-bytes", "media-max-transcodes",            \
        "media-rw-timeout", "media-probe-interval", "media-probe-concurrency", "media-udp", "play-ttl"
int cli_video_config(const struct cli_args *a, struct video_config *cfg);

#endif
