/* cli/user.c - `jiayuan user add|passwd|lock|unlock|unblock|list` (R1.7): account management
 * for the operator at the console. Every change is audited as actor "cli". */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/account/login_rate.h"
#include "domain/account/user.h"
#include "domain/platform/audit.h"

static const char *const user_opts[] = { "username", "role", "subdistrict", "password-stdin",
                                         "temporary", "var", "db", "keys", "address", "name", NULL };
static const char *const user_flags[] = { "password-stdin", "temporary", NULL };

static int
user_cmd_add(struct app *app, struct db *db, const struct cli_args *a, const struct actor *who)
{
    const char *username = cli_opt(a, "username"), *role = cli_opt(a, "role");
    char pw[300];
    struct buf temp = BUF_INIT, why = BUF_INIT;
    struct user u;
    bool from_stdin = cli_flag(a, "password-stdin");
    int rc;

    if (!username || !role) {
        fprintf(stderr, "usage: jiayuan user add --username U --role R [--subdistrict CODE]"
                        " [--password-stdin] [--temporary]\n");
        return 2;
    }
    if (from_stdin && cli_read_secret(pw, sizeof pw)) {
        fprintf(stderr, "jiayuan: no password on standard input\n");
        return 1;
    }
    rc = user_create(app, db, who, username, role_parse(role), cli_opt(a, "subdistrict"),
                     from_stdin ? pw : NULL, cli_flag(a, "temporary"), &temp, &why, &u);
    wipe(pw, sizeof pw);
    if (rc == ERR_CONFLICT)
        fprintf(stderr, "jiayuan: user '%s' exists already\n", username);
    else if (rc)
        fprintf(stderr, "jiayuan: cannot add user: %s\n", why.len ? why.data : err_message(rc));
    else if (temp.len)
        printf("user %s (%s) added; one-time password: %s\n(change required at first login)\n",
               u.username, role_name(u.role), temp.data);
    else
        printf("user %s (%s) added\n", u.username, role_name(u.role));
    buf_release_secret(&temp);
    buf_release(&why);
    return rc ? 1 : 0;
}

static int
user_cmd_passwd(struct app *app, struct db *db, const struct cli_args *a, const struct actor *who)
{
    const char *username = cli_opt(a, "username");
    struct user u;
    char pw[300];
    struct buf temp = BUF_INIT, why = BUF_INIT;
    int rc;
    if (!username) {
        fprintf(stderr, "usage: jiayuan user passwd --username U [--password-stdin] [--temporary]\n");
        return 2;
    }
    if ((rc = user_get_by_name(db, username, &u))) {
        fprintf(stderr, "jiayuan: no user '%s'\n", username);
        return 1;
    }
    if (cli_flag(a, "password-stdin")) {
        if (cli_read_secret(pw, sizeof pw)) {
            fprintf(stderr, "jiayuan: no password on standard input\n");
            return 1;
        }
        rc = user_set_password(app, db, who, u.id, pw, cli_flag(a, "temporary"), 0, &why);
        wipe(pw, sizeof pw);
    } else {
        rc = user_reset_password(app, db, who, u.id, &temp);
    }
    if (rc)
        fprintf(stderr, "jiayuan: cannot set the password: %s\n", why.len ? why.data : err_message(rc));
    else if (temp.len)
        printf("one-time password for %s: %s\n", u.username, temp.data);
    else
        printf("password of %s changed\n", u.username);
    buf_release_secret(&temp);
    buf_release(&why);
    return rc ? 1 : 0;
}

static int
user_cmd_lock(struct app *app, struct db *db, const struct cli_args *a, const struct actor *who,
              bool lock)
{
    const char *username = cli_opt(a, "username");
    struct user u;
    int rc;
    if (!username) {
        fprintf(stderr, "usage: jiayuan user %s --username U\n", lock ? "lock" : "unlock");
        return 2;
    }
    if ((rc = user_get_by_name(db, username, &u))) {
        fprintf(stderr, "jiayuan: no user '%s'\n", username);
        return 1;
    }
    if ((rc = user_set_lock(app, db, who, u.id, lock))) {
        fprintf(stderr, "jiayuan: cannot change the lock (%s)\n", err_name(rc));
        return 1;
    }
    printf("user %s %s\n", u.username, lock ? "locked" : "unlocked");
    return 0;
}

/* user unblock --address A | --name N: lifts a sign-in limit (login_rate.h) before its time;
 * every node sees it at once (the limits are in the database). */
static int
user_cmd_unblock(struct app *app, struct db *db, const struct cli_args *a, const struct actor *who)
{
    const char *addr = cli_opt(a, "address"), *name = cli_opt(a, "name");
    char target[160];
    bool found = false;
    int rc;
    if (!addr == !name) {
        fprintf(stderr, "usage: jiayuan user unblock --address A | --name N\n");
        return 2;
    }
    snprintf(target, sizeof target, "%s:%s", addr ? "ip" : "name", addr ? addr : name);
    if ((rc = login_rate_unblock(db, &app->keys, addr ? 'a' : 'n', addr ? addr : name, &found)) ||
        (rc = audit_record(db, &app->keys, who, "auth.unblock", target, found ? "ok" : "none", NULL))) {
        fprintf(stderr, "jiayuan: cannot lift the limit (%s)\n", err_name(rc));
        return 1;
    }
    printf(found ? "sign-in limit of %s lifted\n" : "%s has no sign-in limit on record\n", target);
    return 0;
}

static int
user_cmd_reset_totp(struct app *app, struct db *db, const struct cli_args *a, const struct actor *who)
{
    const char *username = cli_opt(a, "username");
    struct user u;
    if (!username) {
        fprintf(stderr, "usage: jiayuan user reset-totp --username U\n");
        return 2;
    }
    if (user_get_by_name(db, username, &u)) {
        fprintf(stderr, "jiayuan: no user '%s'\n", username);
        return 1;
    }
    if (auth_totp_reset(app, db, who, u.id)) {
        fprintf(stderr, "jiayuan: cannot reset the second factor\n");
        return 1;
    }
    printf("second factor of %s removed; they enrol again at the next login\n", u.username);
    return 0;
}

static int
user_cmd_list(struct db *db)
{
    struct user *items = NULL;
    size_t n = 0;
    int64_t total = 0, after = 0, now = time_now_ms();
    int rc;
    printf("%-6s %-24s %-12s %-10s %-6s %-6s\n", "id", "username", "role", "subdistr.", "totp", "state");
    do {
        if ((rc = user_list(db, after, 200, &items, &n, &total)))
            return 1;
        for (size_t i = 0; i < n; i++) {
            printf("%-6lld %-24s %-12s %-10s %-6s %-6s\n", (long long)items[i].id, items[i].username,
                   role_name(items[i].role), items[i].subdistrict[0] ? items[i].subdistrict : "-",
                   items[i].totp_enabled ? "yes" : "no",
                   items[i].disabled ? "off" : user_is_locked(&items[i], now) ? "locked" : "ok");
            after = items[i].id;
        }
        xfree(items);
    } while (n == 200);
    return 0;
}

int
cli_user(int argc, char **argv)
{
    struct cli_args a;
    struct app app;
    struct actor who;
    int rc;
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "add") && strcmp(sub, "passwd") && strcmp(sub, "lock") && strcmp(sub, "unlock") &&
        strcmp(sub, "list") && strcmp(sub, "reset-totp") && strcmp(sub, "unblock")) {
        fprintf(stderr, "usage: jiayuan user add|passwd|lock|unlock|unblock|reset-totp|list [options]\n");
        return 2;
    }
    if ((rc = cli_parse(argc - 1, argv + 1, user_opts, user_flags, &a)))
        return rc;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    actor_system(&who, "cli");
    struct db *db = db_pool_get(app.pool);
    if (strcmp(sub, "add") == 0)
        rc = user_cmd_add(&app, db, &a, &who);
    else if (strcmp(sub, "passwd") == 0)
        rc = user_cmd_passwd(&app, db, &a, &who);
    else if (strcmp(sub, "list") == 0)
        rc = user_cmd_list(db);
    else if (strcmp(sub, "reset-totp") == 0)
        rc = user_cmd_reset_totp(&app, db, &a, &who);
    else if (strcmp(sub, "unblock") == 0)
        rc = user_cmd_unblock(&app, db, &a, &who);
    else
        rc = user_cmd_lock(&app, db, &a, &who, strcmp(sub, "lock") == 0);
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return rc;
}
