/* tests/support/fakecam.c - start, signal and stop fake_camera.py for C tests (issue 9). */
#include "fakecam.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
fakecam_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

bool
fakecam_available(void)
{
    static int ok = -1;
    if (ok < 0)
        ok = system("/usr/bin/python3 -c 'import gi; gi.require_version(\"GstRtspServer\", \"1.0\"); "
                    "from gi.repository import GstRtspServer' >/dev/null 2>&1") == 0;
    return ok == 1;
}

/* fakecam_parse reads "fake-camera ready URL... [status=URL]" into c. */
static void
fakecam_parse(struct fakecam *c, char *line)
{
    char *save = NULL;
    for (char *w = strtok_r(line, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
        if (!strncmp(w, "status=", 7))
            snprintf(c->status, sizeof c->status, "%s", w + 7);
        else if (!strncmp(w, "rtsp://", 7) && c->nurls < FAKECAM_MAX_URLS) {
            const char *colon = strrchr(w, ':');
            snprintf(c->url[c->nurls++], sizeof c->url[0], "%s", w);
            if (colon)
                c->port = atoi(colon + 1);
        }
    }
}

int
fakecam_start(struct fakecam *c, const char *const *args)
{
    const char *src = getenv("JIAYUAN_SRC");
    char script[512], line[4096];
    const char *argv[48];
    size_t n = 0;
    int fd;

    memset(c, 0, sizeof *c);
    snprintf(script, sizeof script, "%s/tests/support/fake_camera.py", src ? src : ".");
    snprintf(c->log, sizeof c->log, "/tmp/jy-fakecam-XXXXXX");
    if ((fd = mkstemp(c->log)) < 0)
        return -1;
    argv[n++] = "/usr/bin/python3";
    argv[n++] = script;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--status-port";
    argv[n++] = "0";
    for (size_t i = 0; args && args[i] && n < 46; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if ((c->pid = fork()) < 0) {
        close(fd);
        return -1;
    }
    if (c->pid == 0) {
        dup2(fd, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fd);
    for (int i = 0; i < 300; i++) {   /* 30 s: GStreamer's first start builds its registry */
        FILE *f = fopen(c->log, "r");
        while (f && fgets(line, sizeof line, f)) {
            if (!strncmp(line, "fake-camera ready ", 18)) {
                fclose(f);
                fakecam_parse(c, line + 18);
                return c->nurls ? 0 : (fakecam_stop(c), -1);
            }
        }
        if (f)
            fclose(f);
        if (waitpid(c->pid, NULL, WNOHANG) == c->pid) {
            c->pid = 0;
            break;
        }
        fakecam_sleep_ms(100);
    }
    fakecam_stop(c);
    return -1;
}

void
fakecam_signal(struct fakecam *c, int sig)
{
    if (c->pid > 0)
        kill(c->pid, sig);
}

void
fakecam_stop(struct fakecam *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGCONT);
        kill(c->pid, SIGTERM);
        for (int i = 0; i < 50 && waitpid(c->pid, NULL, WNOHANG) != c->pid; i++) {
            if (i == 49) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, NULL, 0);
            }
            fakecam_sleep_ms(100);
        }
        c->pid = 0;
    }
    if (c->log[0])
        unlink(c->log);
    c->log[0] = 0;
}

int
fakecam_status_json(const struct fakecam *c, char *out, size_t cap)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    static const char req[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    const char *body;
    size_t got = 0;
    ssize_t k;
    int port, s;

    out[0] = 0;
    if (cap < 2 || sscanf(c->status, "http://127.0.0.1:%d/", &port) != 1)
        return -1;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        return -1;
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(s, req, sizeof req - 1) == (ssize_t)(sizeof req - 1))
        while (got < cap - 1 && (k = read(s, out + got, cap - 1 - got)) > 0)
            got += (size_t)k;
    close(s);
    out[got] = 0;
    if (!(body = strstr(out, "\r\n\r\n")))
        return out[0] = 0, -1;
    memmove(out, body + 4, strlen(body + 4) + 1);
    return 0;
}

int
fakecam_count(const struct fakecam *c, const char *key)
{
    char resp[4096], pat[64];
    const char *p;

    if (fakecam_status_json(c, resp, sizeof resp))
        return -1;
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    return (p = strstr(resp, pat)) ? atoi(p + strlen(pat)) : -1;
}
