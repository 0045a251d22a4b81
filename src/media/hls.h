/* media/hls.h - LL-HLS names (issue 9; R3.1, R3.6, R3.12). Internal to media/; the playlist
 * and file functions themselves are media_viewer_playlist / media_viewer_file in hub.h.
 *
 * Names a player may ask for (relative to the playlist): "init.mp4", "seg/<msn>.m4s" (a
 * whole segment) and "seg/<msn>.<part>.m4s" (a part). Numbers are decimal without sign or
 * leading zeros, msn < 10^15, part < 10^4.
 */
#ifndef JY_MEDIA_HLS_H
#define JY_MEDIA_HLS_H
#include <stdint.h>

enum media_hls_kind { MEDIA_HLS_INIT, MEDIA_HLS_SEGMENT, MEDIA_HLS_PART };

/* media_hls_parse_name reads name: ERR_INVALID for anything else. *part is -1 for a
 * segment or the init segment, *msn -1 for the init segment. */
int media_hls_parse_name(const char *name, enum media_hls_kind *kind, int64_t *msn, int *part);

#endif
