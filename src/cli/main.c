/* cli/main.c - the jiayuan binary: dispatch to subcommands (see cli/cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    { "serve", cli_serve, "serve [--listen 127.0.0.1:8080] [--threads N]   run the server" },
    { "keys", cli_keys, "keys init|rotate-data|status|retire N         key file; data-key rotation (issue 12)" },
    { "migrate", cli_migrate, "migrate                                       apply database migrations" },
    { "user", cli_user, "user add|passwd|lock|unlock|unblock|reset-totp|list   manage accounts" },
    { "token", cli_token, "token add|revoke|list ...                     manage API tokens" },
    { "webhook-allow", cli_webhook_allow, "webhook-allow [--set host,*.domain,...]       show or set the webhook allow-list" },
    { "demo", cli_demo, "demo --scale small|medium|district|city [--seed N] [--max-samples N]  load a synthetic district" },
    { "batch", cli_batch, "batch IN.xlsx|IN.csv -o OUT.xlsx [--days N]   look a resident list up" },
    { "toilets", cli_toilets, "toilets import SURVEY.xlsx|.csv [--crs C] [-o R.xlsx]  load a toilet survey" },
    { "cameras", cli_cameras, "cameras reconcile NET.xlsx -o OUT.xlsx [--within M] | bind RUN | undo BATCH | probe [--id N]" },
    { "sites", cli_sites, "sites match CITY.xlsx|.csv [--crs C] [--auto S] -o OUT.xlsx  match city sites to ours" },
    { "places", cli_places, "places import FILE [--kind K] [--crs C] | export -o OUT   place ledgers (xlsx/csv/GeoJSON)" },
    { "hotline", cli_hotline, "hotline extract T.xlsx --rule EXPR [--category P]... -o OUT.xlsx  12345 tickets by rule" },
    { "health", cli_health, "health import EPI.xlsx|.csv                   load 流调 records (卫健)" },
    { "exchange", cli_exchange, "exchange emergency import FILE [--plan P]     the emergency bureau's figures (应急局)" },
    { "history", cli_history, "history import FILE                           past testing rounds (subdistricts, schools)" },
    { "backup", cli_backup, "backup -o FILE [--keys FILE] | --digests       sealed online backup (table digests)" },
    { "restore", cli_restore, "restore FILE --var NEWDIR [--db URL] [--keys F] rebuild and prove a backup" },
    { "doctor", cli_doctor, "doctor [--keys FILE]                          check keys, database, disk, clock, upstreams" },
    { "purge", cli_purge, "purge [--dry-run]                             delete data older than the retention limits" },
    { "erase", cli_erase, "erase --reason TEXT  (ID number on stdin)     erase one person's data on request" },
    { "verify", cli_verify, "verify [--tags FILE]                          check the audit chain (and the shipped tags) and the UI manifest" },
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: jiayuan COMMAND [options] [--var DIR] [--db URL]\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  jiayuan %s\n", commands[i].help);
    fprintf(f, "\n--var DIR   data folder (default ./var)\n"
               "--db URL    postgres://user:pass@host/db, or SQLite (default VAR/jiayuan.db)\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "jiayuan: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
