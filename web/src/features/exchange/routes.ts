/* features/exchange/routes.ts - data exchange with the bureaus (issue 11), children of the
 * main layout, and their menu entries. Each source adds its lines here. */
import type { RouteRecordRaw } from 'vue-router';
import { Switch, Upload } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import EmergencyView from './emergency/EmergencyView.vue';
import HistoryImportView from './history/HistoryImportView.vue';

export const exchangeRoutes: RouteRecordRaw[] = [
  { path: 'exchange/emergency', name: 'exchange-emergency', component: EmergencyView, meta: { title: 'emergency.nav', perm: 'stats.read' } },
  { path: 'exchange/history', name: 'exchange-history', component: HistoryImportView, meta: { title: 'history.nav', perm: 'plans.write' } },
];

export const exchangeMenu: MenuEntry[] = [
  { path: '/exchange/emergency', key: 'emergency.nav', icon: Switch, perm: 'stats.read', testid: 'menu-exchange-emergency' },
  { path: '/exchange/history', key: 'history.nav', icon: Upload, perm: 'plans.write', testid: 'menu-exchange-history' },
];
