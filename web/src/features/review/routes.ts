/* features/review/routes.ts - planned vs actual and the correction workflow (issue 10,
 * R1.4-R1.6), children of the main layout; the menu entries beside them. */
import type { RouteRecordRaw } from 'vue-router';
import { DocumentChecked, TrendCharts } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import CorrectionsView from './views/CorrectionsView.vue';
import ProgressView from './views/ProgressView.vue';

export const routes: RouteRecordRaw[] = [
  { path: 'progress', name: 'progress', component: ProgressView, meta: { title: 'review.nav.progress', perm: 'plans.read' } },
  { path: 'corrections', name: 'corrections', component: CorrectionsView, meta: { title: 'review.nav.corrections', perm: 'actuals.read' } },
];

export const menu: MenuEntry[] = [
  { path: '/progress', key: 'review.nav.progress', icon: TrendCharts, perm: 'plans.read', testid: 'menu-progress' },
  { path: '/corrections', key: 'review.nav.corrections', icon: DocumentChecked, perm: 'actuals.read', testid: 'menu-corrections' },
];
