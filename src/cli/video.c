/* cli/video.c - the live-video options of `jiayuan serve` and `jiayuan cameras probe`
 * (issue 9): parsed once here into a struct video_config (see cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/str.h"

struct cli_video_opt {
    const char *name;
    int64_t min, max;
};

static int
cli_video_num(const struct cli_args *a, const char *name, int64_t min, int64_t max, int64_t *v)
{
    const char *s = cli_opt(a, name);
    if (!s)
        return 0;
    if (cstr_to_i64(s, v, min, max)) {
        fprintf(stderr, "jiayuan: --%s must be %lld..%lld\n", name, (long long)min, (long long)max);
        return 2;
    }
    return 0;
}

int
cli_video_config(const struct cli_args *a, struct video_config *cfg)
{
    int64_t up = 0, linger = -1, ring = 0, tc = 0, rw = 0, interval = 0, conc = 0, ttl = 0;
    memset(cfg, 0, sizeof *cfg);
    if (cli_video_num(a, "media-max-upstreams", 1, 4096, &up) ||
        cli_video_num(a, "media-linger", 0, 3600, &linger) ||
        cli_video_num(a, "media-ring-bytes", 256 * 1024, 1LL << 30, &ring) ||
        cli_video_num(a, "media-max-transcodes", 0, 256, &tc) ||
        cli_video_num(a, "media-rw-timeout", 100, 120000, &rw) ||
        cli_video_num(a, "media-probe-interval", 1, 86400, &interval) ||
        cli_video_num(a, "media-probe-concurrency", 1, 64, &conc) || cli_video_num(a, "play-ttl", 1, 86400, &ttl))
        return 2;
    cfg->media.max_upstreams = (size_t)up;
    /* 0 s of linger is allowed: media/ reads 0 as its default, so ask for 1 ms */
    cfg->media.linger_ms = linger < 0 ? 0 : linger == 0 ? 1 : (unsigned)(linger * 1000);
    cfg->media.ring_bytes = (size_t)ring;
    cfg->media.max_transcodes = (size_t)tc;
    cfg->media.rw_timeout_ms = (unsigned)rw;
    cfg->media.udp = cli_flag(a, "media-udp");
    cfg->probe_interval_s = (unsigned)interval;
    cfg->probe_concurrency = (unsigned)conc;
    cfg->play_ttl_s = (unsigned)ttl;
    return 0;
}
