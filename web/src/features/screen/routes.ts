/* features/screen/routes.ts - the big screen (大屏, R2.7): a full-window page outside the
 * main layout (no side menu), opened by a signed-in user from the menu or by a wall
 * display with a kiosk token (see kiosk.ts). meta.screen tells the router guard and the
 * session-expiry handler to leave the page alone: it signs itself in. */
import type { RouteRecordRaw } from 'vue-router';
import { Monitor } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import ScreenView from './views/ScreenView.vue';

/** Top-level routes (no layout). */
export const screenRoutes: RouteRecordRaw[] = [
  { path: '/screen', name: 'screen', component: ScreenView, meta: { screen: true, title: 'screen.nav' } },
];

export const screenMenu: MenuEntry[] = [
  { path: '/screen', key: 'screen.nav', icon: Monitor, perm: 'dashboard.read', testid: 'menu-screen' },
];
