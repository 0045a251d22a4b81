/* domain/video/video_int.h - what video.c and video_health.c share; not for other areas. */
#ifndef JY_DOMAIN_VIDEO_VIDEO_INT_H
#define JY_DOMAIN_VIDEO_VIDEO_INT_H
#include <stdint.h>

struct video_config;

/* video__config returns the running configuration (defaults filled in by video_start). */
const struct video_config *video__config(void);
/* video_health__note queues a status seen by a running session (called on a session
 * thread: no database work, never blocks on one); the health thread records it. codec may
 * be NULL. Dropped (and counted) when the queue is full. */
void video_health__note(int64_t camera_id, const char *status, const char *codec);

#endif
