/* core/err.c - lookups into the error table of core/err.h. */
#include "core/err.h"

static const struct {
    const char *name, *code, *msg, *zh;
    int status;
} err_rows[] = {
#define ERR__ROW(name, code, status, msg, zh) { #name, code, msg, zh, status },
    ERR_TABLE(ERR__ROW)
#undef ERR__ROW
};

static int
err_index(int rc)
{
    return (rc >= 0 && rc < ERR__COUNT) ? rc : ERR_INTERNAL;
}

const char *err_code(int rc) { return err_rows[err_index(rc)].code; }
int err_status(int rc) { return err_rows[err_index(rc)].status; }
const char *err_message(int rc) { return err_rows[err_index(rc)].msg; }
const char *err_name(int rc) { return err_rows[err_index(rc)].name; }
const char *err_message_zh(int rc) { return err_rows[err_index(rc)].zh; }
