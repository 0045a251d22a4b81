/* http/static.c - serving the embedded web UI (S2 anti-tampering: the bundle lives in the
 * binary, its manifest is verified at start-up and periodically by cli/serve.c). */
#include "http/static.h"

#include <stdatomic.h>
#include <string.h>

#include "core/embedded.h"
#include "core/err.h"
#include "crypto/manifest.h"

static atomic_bool static_enabled = true;
static atomic_uint_fast64_t static_failures;

static const char static_no_ui[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<title>jiayuan</title></head><body>"
    "<h1>家园 jiayuan</h1>"
    "<p>界面未构建：此服务器仅提供 API（/api/v1/…）。运行 <code>make build</code> 以构建界面。</p>"
    "<p>The web UI was not built into this binary: this server answers the API only "
    "(/api/v1/…). Run <code>make build</code> to include the UI.</p>"
    "</body></html>\n";

static const char static_withdrawn[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<title>jiayuan</title></head><body><h1>界面暂停服务 / UI withdrawn</h1>"
    "<p>界面文件完整性校验失败，已停止提供界面，请联系系统管理员。</p>"
    "<p>The UI failed its integrity check and is not served. Contact the administrator.</p>"
    "</body></html>\n";

void static_set_enabled(bool enabled) { atomic_store(&static_enabled, enabled); }
bool static_has_ui(void) { return embedded_ui_count > 0; }
bool static_withdrawn_now(void) { return !atomic_load(&static_enabled); }
uint64_t static_integrity_failures(void) { return (uint64_t)atomic_load(&static_failures); }

int
static_check_files(const struct embedded_file *files, const char **bad)
{
    *bad = NULL;
    if (!manifest_verify(files, bad))
        return 0;
    atomic_fetch_add(&static_failures, 1);
    atomic_store(&static_enabled, false); /* withdrawn until restart: a tampered binary stays tampered */
    return ERR_CRYPTO;
}

int
static_check(const char **bad)
{
    return static_check_files(embedded_ui, bad);
}

static const char *
static_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
        { ".ico", "image/x-icon" }, { ".woff2", "font/woff2" }, { ".woff", "font/woff" },
        { ".ttf", "font/ttf" }, { ".json", "application/json" }, { ".map", "application/json" },
        { ".txt", "text/plain; charset=utf-8" }, { ".wasm", "application/wasm" },
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static const struct embedded_file *
static_find(const char *path)
{
    size_t lo = 0, hi = embedded_ui_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(embedded_ui[mid].path, path);
        if (c == 0)
            return &embedded_ui[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int
static_serve(struct req *req)
{
    const char *path = req->path[0] == '/' ? req->path + 1 : req->path;
    const struct embedded_file *f;
    const char *last = strrchr(req->path, '/');

    if (!static_has_ui() || !atomic_load(&static_enabled)) {
        const char *page = static_has_ui() ? static_withdrawn : static_no_ui;
        req_add_header(req, "Cache-Control", "no-store");
        req_reply_static(req, static_has_ui() ? 503 : 200, "text/html; charset=utf-8",
                         (const unsigned char *)page, strlen(page));
        return 0;
    }
    f = *path ? static_find(path) : NULL;
    if (!f) {
        if (last && strchr(last, '.'))
            return req_fail(req, ERR_NOT_FOUND, "no such file");
        f = static_find("index.html");
        if (!f)
            return req_fail(req, ERR_NOT_FOUND, "no such file");
    }
    if (strncmp(f->path, "assets/", 7) == 0)
        req_add_header(req, "Cache-Control", "public, max-age=31536000, immutable");
    else
        req_add_header(req, "Cache-Control", "no-cache");
    req_reply_static(req, 200, static_type(f->path), f->data, f->len);
    return 0;
}

int
static_serve_file(struct req *req, const char *name)
{
    const struct embedded_file *f;
    if (!atomic_load(&static_enabled))
        return req_fail(req, ERR_UNAVAILABLE, "the UI failed its integrity check and is not served");
    if (!(f = static_find(name)))
        return req_fail(req, ERR_NOT_FOUND, "no such file");
    req_reply_static(req, 200, static_type(f->path), f->data, f->len);
    return 0;
}
