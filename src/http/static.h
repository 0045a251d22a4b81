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
void static_set_enabled(bool enabled);
bool static_has_ui(void);

#endif
