/* tests/support/plainscan.c - see plainscan.h. */
#include "plainscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define BLOCK ((size_t)1 << 20)

/* zip_has copies the zip at path to a private file and searches its inflated members for
 * needle with Python's zipfile. */
static bool
zip_has(const char *path, const char *needle)
{
    char copy[128], cmd[1024];
    snprintf(copy, sizeof copy, "/tmp/jy_plainscan.%d.zip", (int)getpid());
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' 2>/dev/null", path, copy);
    if (system(cmd) != 0)
        return false; /* closed meanwhile */
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
             "sys.exit(0 if any(sys.argv[2].encode() in z.read(n) for n in z.namelist()) else 1)' '%s' '%s' "
             "2>/dev/null",
             copy, needle);
    int rc = system(cmd);
    unlink(copy);
    return rc == 0;
}

bool
plain_file_has(const char *path, const char *needle)
{
    static char blk[BLOCK + 64];
    size_t nl = strlen(needle), keep = 0;
    bool found = false, zip = false, first = true;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    for (ssize_t r; !found && (r = read(fd, blk + keep, BLOCK)) > 0;) {
        size_t n = keep + (size_t)r;
        if (first && n >= 4 && memcmp(blk, "PK\3\4", 4) == 0)
            zip = true;
        first = false;
        found = memmem(blk, n, needle, nl) != NULL;
        keep = n < nl - 1 ? n : nl - 1;
        memmove(blk, blk + n - keep, keep);
    }
    close(fd);
    return found || (zip && zip_has(path, needle));
}

bool
plain_tree_has(const char *dir, const char *needle, char *hit, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    if (!d)
        return false;
    while (!found && (e = readdir(d))) {
        char path[4096];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            found = plain_tree_has(path, needle, hit, cap);
        else if (S_ISREG(st.st_mode) && plain_file_has(path, needle)) {
            snprintf(hit, cap, "%s", path);
            found = true;
        }
    }
    closedir(d);
    return found;
}

bool
plain_scan_fds(const struct server *srv, const char *needle, size_t *ntmp, char *hit, size_t cap)
{
    char dir[64], tmpdir[4096];
    bool found = false;
    struct dirent *e;
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)srv->pid);
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp/", srv->var);
    DIR *d = opendir(dir);
    assert_non_null(d);
    *ntmp = 0;
    while ((e = readdir(d))) {
        char link[4096], target[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0 || target[0] != '/')
            continue; /* sockets, pipes, anonymous inodes */
        target[n] = '\0';
        if (strncmp(target, "/dev/", 5) == 0 || strncmp(target, "/proc/", 6) == 0)
            continue;
        if (strncmp(target, tmpdir, strlen(tmpdir)) == 0)
            (*ntmp)++;
        if (!found && plain_file_has(link, needle)) {
            snprintf(hit, cap, "%s", target);
            found = true;
        }
    }
    closedir(d);
    return found;
}

size_t
plain_tmp_fds(const struct server *srv)
{
    char hit[16];
    size_t n = 0;
    (void)plain_scan_fds(srv, "\x01\x02never\x03", &n, hit, sizeof hit);
    return n;
}

size_t
plain_wait_tmp_fds(const struct server *srv, size_t n, bool exact)
{
    size_t have = 0;
    int rounds = exact ? 4000 : 1200;
    for (int i = 0; i < rounds; i++) {
        have = plain_tmp_fds(srv);
        if (exact ? have == n : have >= n)
            break;
        usleep(50 * 1000);
    }
    if (exact ? have != n : have < n) { /* say what is open, for the failure message */
        char dir[64], link[4096], target[4096];
        snprintf(dir, sizeof dir, "/proc/%d/fd", (int)srv->pid);
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));) {
            snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
            ssize_t k = readlink(link, target, sizeof target - 1);
            if (k > 0) {
                target[k] = '\0';
                print_error("fd %s -> %s\n", e->d_name, target);
            }
        }
        if (d)
            closedir(d);
    }
    return have;
}

void
plain_assert_tmp_dir_empty(const struct server *srv)
{
    char dir[4096];
    size_t names = 0;
    snprintf(dir, sizeof dir, "%s/tmp", srv->var);
    DIR *d = opendir(dir);
    if (!d)
        return; /* never made: empty too */
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            names++;
    closedir(d);
    assert_int_equal(names, 0);
}
