/* features/video/routes.ts - the camera wall (issue 9), a child of the main layout, and its menu
 * entry; both need video.play. The embeddable player is a separate page (embed.html). */
import type { RouteRecordRaw } from 'vue-router';
import { Monitor } from '@element-plus/icons-vue';
import VideoWallView from './VideoWallView.vue';

export const videoRoutes: RouteRecordRaw[] = [
  { path: 'video', name: 'video-wall', component: VideoWallView, meta: { title: 'video.nav.wall', perm: 'video.play' } },
];

export const videoMenu = [{ path: '/video', key: 'video.nav.wall', icon: Monitor, perm: 'video.play', testid: 'menu-video-wall' }];
