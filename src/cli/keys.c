/* cli/keys.c - `jiayuan keys init`: create the key-encryption key file (S1). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "crypto/keyring.h"

int
cli_keys(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", NULL };
    struct cli_args a;
    char path[1024];
    int rc;
    if (argc < 1 || strcmp(argv[0], "init") != 0) {
        fprintf(stderr, "usage: jiayuan keys init [--keys FILE] [--var DIR]\n");
        return 2;
    }
    if ((rc = cli_parse(argc - 1, argv + 1, allowed, NULL, &a)))
        return rc;
    cli_kek_path(&a, path, sizeof path);
    rc = keyring_kek_create(path);
    if (rc == ERR_CONFLICT) {
        fprintf(stderr, "jiayuan: key file '%s' exists already; it is never overwritten\n", path);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "jiayuan: cannot create key file '%s'\n", path);
        return 1;
    }
    printf("key-encryption key written to %s (mode 0600). Back it up apart from the database:\n"
           "without it the encrypted data cannot be read.\n", path);
    return 0;
}
