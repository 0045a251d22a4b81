/* cli/token.c - `jiayuan token add|revoke|list`: API tokens for upstream systems. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/account/token.h"
#include "domain/video/embed_sites.h"

int
cli_token(int argc, char **argv)
{
    static const char *const allowed[] = { "name", "scopes", "subdistrict", "frame-ancestors", "id", "var", "db",
                                           "keys", NULL };
    struct cli_args a;
    struct app app;
    struct actor who;
    const char *sub = argc > 0 ? argv[0] : "";
    int rc;

    if (strcmp(sub, "add") && strcmp(sub, "revoke") && strcmp(sub, "list")) {
        fprintf(stderr, "usage: jiayuan token add --name N --scopes a.read,b.write [--subdistrict CODE]\n"
                        "                         [--frame-ancestors \"https://a.example https://b.example\"]\n"
                        "       jiayuan token revoke --id N\n       jiayuan token list\n");
        return 2;
    }
    if ((rc = cli_parse(argc - 1, argv + 1, allowed, NULL, &a)))
        return rc;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    actor_system(&who, "cli");
    struct db *db = db_pool_get(app.pool);
    if (strcmp(sub, "add") == 0) {
        const char *name = cli_opt(&a, "name"), *scopes = cli_opt(&a, "scopes"), *bad = NULL;
        size_t bad_len = 0;
        perm_set set = 0;
        struct buf secret = BUF_INIT;
        const char *sites = cli_opt(&a, "frame-ancestors");
        struct buf why = BUF_INIT, norm = BUF_INIT;
        int64_t id = 0;
        if (!name || !scopes) {
            fprintf(stderr, "jiayuan: token add needs --name and --scopes\n");
            rc = 2;
        } else if (sites && embed_sites_parse(sites, &norm, &why)) {
            fprintf(stderr, "jiayuan: --frame-ancestors: %s\n", why.data);
            rc = 2;
        } else if (perm_parse_scopes(scopes, &set, &bad, &bad_len)) {
            fprintf(stderr, "jiayuan: unknown scope '%.*s'\n", (int)bad_len, bad);
            rc = 2;
        } else if ((rc = token_create(&app, db, &who, name, set, cli_opt(&a, "subdistrict"), &secret, &id))) {
            fprintf(stderr, "jiayuan: cannot create the token (%s)\n",
                    rc == ERR_FORBIDDEN ? "tokens may carry only data scopes" : err_name(rc));
            rc = 1;
        } else if (sites && (rc = embed_sites_set(&app, db, &who, id, norm.data))) {
            fprintf(stderr, "jiayuan: token %lld created, but its --frame-ancestors were not stored (%s)\n",
                    (long long)id, err_name(rc));
            rc = 1;
        } else {
            printf("token %lld created; it is shown only now:\n%s\n", (long long)id, secret.data);
            if (norm.len)
                printf("its play links may be framed by: %s\n", norm.data);
        }
        buf_release_secret(&secret);
        buf_release(&why);
        buf_release(&norm);
    } else if (strcmp(sub, "revoke") == 0) {
        int64_t id = 0;
        if (cstr_to_i64(cli_opt(&a, "id"), &id, 1, INT64_MAX)) {
            fprintf(stderr, "jiayuan: token revoke needs --id N\n");
            rc = 2;
        } else if ((rc = token_revoke(&app, db, &who, id))) {
            fprintf(stderr, "jiayuan: no live token %lld\n", (long long)id);
            rc = 1;
        } else {
            printf("token %lld revoked\n", (long long)id);
        }
    } else {
        struct arena arena = ARENA_INIT;
        struct token_info *items = NULL;
        size_t n = 0;
        if ((rc = token_list(db, &arena, &items, &n))) {
            rc = 1;
        } else {
            printf("%-6s %-24s %-10s %-8s %s\n", "id", "name", "subdistr.", "state", "scopes");
            for (size_t i = 0; i < n; i++)
                printf("%-6lld %-24s %-10s %-8s %s\n", (long long)items[i].id, items[i].name,
                       items[i].subdistrict[0] ? items[i].subdistrict : "-",
                       items[i].revoked_at ? "revoked" : "live", items[i].scopes);
        }
        arena_release(&arena);
    }
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return rc;
}
