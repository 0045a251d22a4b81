/* http/static.h - the web UI compiled into the binary (S2: no web root on disk).
 *
 * Files come from core/embedded.h. Unknown paths without a file extension get index.html
 * (history routing in the single-page app). Without a built UI every page says so and the
 * API works as usual. static_set_enabled(false) withdraws the UI (tamper alarm).
 */
#ifndef JY_HTTP_STATIC_H
#define JY_HTTP_STATIC_H
#include <stdbool.h>
#include <stdint.h>

#include "core/embedded.h"

#include "http/req.h"

/* static_serve answers a GET/HEAD for req->path from the embedded UI. */
int static_serve(struct req *req);
/* static_serve_file answers with the embedded UI file name ("embed.html") under the
 * caller's route (no Cache-Control of its own: the server's no-store). ERR_NOT_FOUND when the UI has no such file;
 * ERR_UNAVAILABLE while the UI is withdrawn (tamper alarm). */
int static_serve_file(struct req *req, const char *name);
void static_set_enabled(bool enabled);
bool static_has_ui(void);

/* UI integrity (issue 12, S2 tamper test). static_check recomputes the digests of the
 * embedded UI against its build-time manifest (crypto/manifest.h); on a mismatch it
 * withdraws the UI for good (every page 503 with a plain notice; the API keeps working),
 * counts one failure and sets *bad to the first file that differs, returning ERR_CRYPTO.
 * The caller logs and audits. static_check_files is the same over any file list (tests).
 * static_integrity_failures: checks that failed since start (/metrics:
 * jiayuan_ui_integrity_failures_total); static_withdrawn_now: the UI is withdrawn
 * (/metrics: jiayuan_ui_withdrawn). */
int static_check(const char **bad);
int static_check_files(const struct embedded_file *files, const char **bad);
uint64_t static_integrity_failures(void);
bool static_withdrawn_now(void);

#endif
