/* domain/cameras/camera_id.h - GB/T 28181 device IDs of cameras (R3.1, R3.7, R3.13).
 *
 * A GB/T 28181-2016 device ID is 20 decimal digits: positions 1-8 the centre code
 * (administrative division, 2+2+2+2), 9-10 the industry code, 11-13 the type code, 14 the
 * network flag, 15-20 a serial number. Only type codes 131 (camera) and 132 (network camera)
 * are cameras; anything else (111 DVR, 118 NVR, 200 platform …) is refused as "not a camera".
 *
 * Sheets mangle IDs. camera_id_clean repairs what can be repaired without guessing (full-width
 * digits, blanks, hyphens, a leading apostrophe, an Excel ="…" formula text, surrounding
 * quotes) and rejects what cannot (scientific notation, where Excel has already rounded the
 * number away; a digit too few or too many; other characters) with a reason. Pure functions:
 * no allocation except into the caller's buf, no database.
 */
#ifndef JY_DOMAIN_CAMERAS_CAMERA_ID_H
#define JY_DOMAIN_CAMERAS_CAMERA_ID_H
#include <stdbool.h>
#include <stddef.h>

struct buf;

#define CAMERA_ID_LEN 20
#define CAMERA_ID_MAX_INPUT 256 /* longer cell text is refused unread */

/* camera_id_is_valid reports whether s (NUL-terminated) is exactly 20 ASCII digits whose
 * type field is 131 or 132. NULL is not valid. */
bool camera_id_is_valid(const char *s);

/* camera_id_type returns the type code (positions 11-13) of a 20-digit string, or -1 when s
 * is not 20 ASCII digits. */
int camera_id_type(const char *s);

/* camera_id_clean reads one cell s[0..n) (no NUL needed) into out (21 bytes, NUL-terminated).
 * Returns 0 with *fixed = false when the text was already a valid ID, 0 with *fixed = true
 * when it was repaired, ERR_INVALID with out = "" and a one-line reason appended to why (may
 * be NULL) otherwise. The reason never quotes the text. fixed may be NULL. */
int camera_id_clean(const char *s, size_t n, char out[CAMERA_ID_LEN + 1], bool *fixed,
                    struct buf *why);

#endif
