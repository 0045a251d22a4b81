/* tests/e2e/e2e_doctor.c - `jiayuan doctor` (issue 12, O3/O4) against a running server's
 * installation, on SQLite and PostgreSQL: a healthy one gives OK lines and exit 0; a key
 * file readable by others and a missing data folder give FAIL lines and exit 1, and
 * doctor creates nothing (the missing folder stays missing). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "server.h"

/* doctor runs `jiayuan doctor --var VAR [--db URL] --keys KEK`, stdout into out. */
static int
doctor(struct server *srv, const char *var, struct buf *out)
{
    char kek[1024];
    const char *argv[] = { getenv("JIAYUAN_BIN"), "doctor", "--var", var, "--keys", kek, "--db", srv->db_url, NULL };
    int fds[2], status = 0;
    snprintf(kek, sizeof kek, "%s/keys/kek", var);
    if (!srv->db_url)
        argv[6] = NULL;
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int log = open(srv->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        dup2(fds[1], STDOUT_FILENO);
        if (log >= 0)
            dup2(log, STDERR_FILENO);
        close(fds[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char chunk[4096];
    ssize_t got;
    while ((got = read(fds[0], chunk, sizeof chunk)) > 0)
        buf_add(out, chunk, (size_t)got);
    close(fds[0]);
    assert_true(pid > 0 && waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_healthy(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    assert_int_equal(doctor(srv, srv->var, &out), 0);
    assert_non_null(strstr(out.data, "OK   keys"));
    assert_non_null(strstr(out.data, "OK   database"));
    assert_non_null(strstr(out.data, "migrations current"));
    assert_non_null(strstr(out.data, "OK   audit"));
    assert_non_null(strstr(out.data, "OK   disk"));
    assert_non_null(strstr(out.data, "0 FAIL"));
    assert_null(strstr(out.data, "FAIL "));
    buf_release(&out);
}

static void
test_key_mode(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    char kek[1024];
    snprintf(kek, sizeof kek, "%s/keys/kek", srv->var);
    assert_int_equal(chmod(kek, 0644), 0);
    int rc = doctor(srv, srv->var, &out);
    assert_int_equal(chmod(kek, 0600), 0);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out.data, "FAIL keys"));
    assert_non_null(strstr(out.data, "must be 0600"));
    buf_release(&out);
}

static void
test_missing_var(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    char var[1024];
    struct stat st;
    snprintf(var, sizeof var, "%s/no-such-var", srv->dir);
    assert_int_equal(doctor(srv, var, &out), 1);
    assert_non_null(strstr(out.data, "FAIL var"));
    assert_non_null(strstr(out.data, "FAIL keys"));
    assert_int_not_equal(stat(var, &st), 0); /* doctor made nothing */
    buf_release(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_key_mode),
        cmocka_unit_test(test_missing_var),
    };
    return server_run("doctor", tests, sizeof tests / sizeof tests[0], NULL);
}
