/* features/exchange/routes.ts - data exchange with the bureaus (issue 11), children of the main
 * layout, and the menu entries beside them. One block per source; each source adds its own
 * lines (sites: city↔district site matching, R2.11). */
import type { RouteRecordRaw } from 'vue-router';
import { Connection, Phone, FirstAidKit } from '@element-plus/icons-vue';
import SiteMatchView from './sites/SiteMatchView.vue';
import HotlineView from './hotline/HotlineView.vue';
import HealthEpiView from './health/HealthEpiView.vue';

export const exchangeRoutes: RouteRecordRaw[] = [
  { path: 'exchange/sites', name: 'exchange-sites', component: SiteMatchView, meta: { title: 'exchange.nav.sites', perm: 'sites.write' } },
  { path: 'exchange/hotline', name: 'hotline', component: HotlineView, meta: { title: 'hotline.nav', perm: 'stats.read' } },
  { path: 'exchange/health', name: 'exchange-health', component: HealthEpiView, meta: { title: 'health.nav.epi', perm: 'health.read' } },
];

export const exchangeMenu = [
  { path: '/exchange/sites', key: 'exchange.nav.sites', icon: Connection, perm: 'sites.write', testid: 'menu-exchange-sites' },
  { path: '/exchange/hotline', key: 'hotline.nav', icon: Phone, perm: 'stats.read', testid: 'menu-hotline' },
  { path: '/exchange/health', key: 'health.nav.epi', icon: FirstAidKit, perm: 'health.read', testid: 'menu-exchange-health' },
];
