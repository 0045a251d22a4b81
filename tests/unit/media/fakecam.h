/* tests/unit/media/fakecam.h - start tests/support/fake_camera.py (GstRtspServer through
 * /usr/bin/python3) from a media test, read its ready line, count the RTSP sessions it
 * holds from its status port, kill/stop/restart it (issue 9). Header-only, for the suites
 * of tests/unit/media/. A real RTSP server: nothing is mocked. */
#ifndef JY_TESTS_MEDIA_FAKECAM_H
#define JY_TESTS_MEDIA_FAKECAM_H
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct fakecam {
    pid_t pid;
    int port, status_port;
    char url[4][160];   /* rtsp://127.0.0.1:P/<mount> in --mount order */
    int nurl;
    char out_path[64];  /* its standard output */
};

/* fakecam_available: python3-gi and the GStreamer RTSP server are installed. */
static inline bool fakecam_available(void)
{
    struct stat st;
    return stat("/usr/bin/python3", &st) == 0 &&
           stat("/usr/lib/python3/dist-packages/gi", &st) == 0;
}

static inline void fakecam_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* fakecam_start runs fake_camera.py with the mounts (NULL-terminated; "cam1", "cam2:h265")
 * and --gop gop on port (0 = any) and status_port (0 = any); 0 when the ready line came. */
static inline int fakecam_start(struct fakecam *c, int port, int status_port, int gop, const char *const *mounts)
{
    const char *src = getenv("JIAYUAN_SRC");
    char script[512], port_s[16], sport_s[16], gop_s[16], line[1024];
    const char *argv[32];
    int n = 0;
    snprintf(script, sizeof script, "%s/tests/support/fake_camera.py", src ? src : ".");
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(sport_s, sizeof sport_s, "%d", status_port);
    snprintf(gop_s, sizeof gop_s, "%d", gop);
    argv[n++] = "/usr/bin/python3";
    argv[n++] = script;
    argv[n++] = "--port";
    argv[n++] = port_s;
    argv[n++] = "--status-port";
    argv[n++] = sport_s;
    argv[n++] = "--gop";
    argv[n++] = gop_s;
    for (int i = 0; mounts[i] && n < 28; i++) {
        argv[n++] = "--mount";
        argv[n++] = mounts[i];
    }
    argv[n] = NULL;
    if (c->out_path[0])
        unlink(c->out_path);
    snprintf(c->out_path, sizeof c->out_path, "/tmp/jy-fakecam-XXXXXX");
    int fd = mkstemp(c->out_path);
    if (fd < 0)
        return -1;
    close(fd);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, c->out_path, O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&c->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc)
        return -1;
    rc = -1;
    for (int i = 0; i < 600 && rc == -1; i++) { /* ~30 s: the ready line, or the process ended */
        FILE *f = fopen(c->out_path, "r");
        while (f && rc == -1 && fgets(line, sizeof line, f)) {
            if (strncmp(line, "fake-camera ready ", 18))
                continue;
            c->nurl = 0;
            for (char *tok = strtok(line + 18, " \n"); tok; tok = strtok(NULL, " \n")) {
                if (!strncmp(tok, "status=http://127.0.0.1:", 24))
                    c->status_port = atoi(tok + 24);
                else if (!strncmp(tok, "rtsp://", 7) && c->nurl < 4)
                    snprintf(c->url[c->nurl++], sizeof c->url[0], "%s", tok);
            }
            if (c->nurl)
                sscanf(c->url[0], "rtsp://127.0.0.1:%d/", &c->port);
            rc = c->nurl && c->status_port ? 0 : -2;
        }
        if (f)
            fclose(f);
        if (rc == -1 && waitpid(c->pid, NULL, WNOHANG) == c->pid) {
            c->pid = 0;
            break;
        }
        if (rc == -1)
            fakecam_sleep_ms(50);
    }
    return rc;
}

/* fakecam_sessions returns the RTSP sessions the camera holds, -1 when it does not answer. */
static inline int fakecam_sessions(const struct fakecam *c)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->status_port) };
    char buf[4096];
    size_t got = 0;
    ssize_t r;
    int fd = socket(AF_INET, SOCK_STREAM, 0), n = -1;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    static const char req[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req, sizeof req - 1) == (ssize_t)sizeof req - 1)
        while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)r;
    close(fd);
    buf[got] = 0;
    const char *p = strstr(buf, "\"sessions\":");
    if (p)
        n = atoi(p + 11);
    return n;
}

/* fakecam_wait_sessions polls until the camera holds want sessions (bounded: ~20 s). */
static inline int fakecam_wait_sessions(const struct fakecam *c, int want)
{
    int n = -1;
    for (int i = 0; i < 400 && (n = fakecam_sessions(c)) != want; i++)
        fakecam_sleep_ms(50);
    return n;
}

static inline void fakecam_kill(struct fakecam *c, int sig)
{
    if (c->pid > 0) {
        kill(c->pid, sig);
        if (sig == SIGKILL || sig == SIGTERM) {
            waitpid(c->pid, NULL, 0);
            c->pid = 0;
        }
    }
}

/* fakecam_stop ends the camera and removes its output file. */
static inline void fakecam_stop(struct fakecam *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGCONT);
        fakecam_kill(c, SIGKILL);
    }
    if (c->out_path[0])
        unlink(c->out_path);
    c->out_path[0] = 0;
}

#endif
