/* features/exchange/routes.ts - data exchange with the bureaus (issue 11), children of the main
 * layout, and the menu entries beside them. One block per source; each source adds its own
 * lines (sites: city↔district site matching, R2.11). */
import type { RouteRecordRaw } from 'vue-router';
import { Connection, Phone, FirstAidKit, Switch, Upload, UserFilled } from '@element-plus/icons-vue';
import SiteMatchView from './sites/SiteMatchView.vue';
import HotlineView from './hotline/HotlineView.vue';
import HealthEpiView from './health/HealthEpiView.vue';
import HealthDoctorsView from './health/HealthDoctorsView.vue';
import EmergencyView from './emergency/EmergencyView.vue';
import HistoryImportView from './history/HistoryImportView.vue';

export const exchangeRoutes: RouteRecordRaw[] = [
  { path: 'exchange/sites', name: 'exchange-sites', component: SiteMatchView, meta: { title: 'exchange.nav.sites', perm: 'sites.write' } },
  { path: 'exchange/hotline', name: 'hotline', component: HotlineView, meta: { title: 'hotline.nav', perm: 'stats.read' } },
  { path: 'exchange/health', name: 'exchange-health', component: HealthEpiView, meta: { title: 'health.nav.epi', perm: 'health.read' } },
  { path: 'exchange/doctors', name: 'exchange-doctors', component: HealthDoctorsView, meta: { title: 'doctors.nav', perm: 'health.read' } },
  { path: 'exchange/emergency', name: 'exchange-emergency', component: EmergencyView, meta: { title: 'emergency.nav', perm: 'stats.read' } },
  { path: 'exchange/history', name: 'exchange-history', component: HistoryImportView, meta: { title: 'history.nav', perm: 'plans.write' } },
];

export const exchangeMenu = [
  { path: '/exchange/sites', key: 'exchange.nav.sites', icon: Connection, perm: 'sites.write', testid: 'menu-exchange-sites' },
  { path: '/exchange/hotline', key: 'hotline.nav', icon: Phone, perm: 'stats.read', testid: 'menu-hotline' },
  { path: '/exchange/health', key: 'health.nav.epi', icon: FirstAidKit, perm: 'health.read', testid: 'menu-exchange-health' },
  { path: '/exchange/doctors', key: 'doctors.nav', icon: UserFilled, perm: 'health.read', testid: 'menu-exchange-doctors' },
  { path: '/exchange/emergency', key: 'emergency.nav', icon: Switch, perm: 'stats.read', testid: 'menu-exchange-emergency' },
  { path: '/exchange/history', key: 'history.nav', icon: Upload, perm: 'plans.write', testid: 'menu-exchange-history' },
];
