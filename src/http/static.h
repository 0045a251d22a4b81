/* http/static.h - the web UI compiled into the binary (S2: no web root on disk).
 *
 * Files come from core/embedded.h. Unknown paths without a file extension get index.html
 * (history routing in the single-page app). Without a built UI every page says so and the
 * API works as usual. static_set_enabled(false) withdraws the UI (tamper alarm).
 */
#ifndef JY_HTTP_STATIC_H
#define JY_HTTP_STATIC_H
#include <stdbool.h>

#include "http/req.h"

/* static_serve answers a GET/HEAD for req->path from the embedded UI. */
int static_serve(struct req *req);
/* static_serve_file answers with the embedded UI file name ("embed.html") under the
 * caller's route (no Cache-Control of its own: the server's no-store). ERR_NOT_FOUND when the UI has no such file;
 * ERR_UNAVAILABLE while the UI is withdrawn (tamper alarm). */
int static_serve_file(struct req *req, const char *name);
void static_set_enabled(bool enabled);
bool static_has_ui(void);

#endif
