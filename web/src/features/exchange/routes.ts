/* features/exchange/routes.ts - the data-exchange pages of issue 11 (one block per source),
 * children of the main layout, and their menu entries. */
import type { RouteRecordRaw } from 'vue-router';
import { FirstAidKit } from '@element-plus/icons-vue';
import HealthEpiView from './health/HealthEpiView.vue';

export const exchangeRoutes: RouteRecordRaw[] = [
  { path: 'exchange/health', name: 'exchange-health', component: HealthEpiView, meta: { title: 'health.nav.epi', perm: 'health.read' } },
];

export const exchangeMenu = [
  { path: '/exchange/health', key: 'health.nav.epi', icon: FirstAidKit, perm: 'health.read', testid: 'menu-exchange-health' },
];
