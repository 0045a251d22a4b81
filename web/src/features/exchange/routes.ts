/* features/exchange/routes.ts - the data-exchange pages of issue 11 (one per source),
 * children of the main layout; the menu entries beside them. */
import type { RouteRecordRaw } from 'vue-router';
import { Phone } from '@element-plus/icons-vue';
import HotlineView from './hotline/HotlineView.vue';

export const exchangeRoutes: RouteRecordRaw[] = [
  { path: 'exchange/hotline', name: 'hotline', component: HotlineView, meta: { title: 'hotline.nav', perm: 'stats.read' } },
];

export const exchangeMenu = [
  { path: '/exchange/hotline', key: 'hotline.nav', icon: Phone, perm: 'stats.read', testid: 'menu-hotline' },
];
