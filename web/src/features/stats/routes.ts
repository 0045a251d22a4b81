/* features/stats/routes.ts - the dashboard (仪表盘 / 大屏), the home page. */
import type { RouteRecordRaw } from 'vue-router';
import { DataBoard } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import DashboardView from './views/DashboardView.vue';

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [{ path: '', name: 'dashboard', component: DashboardView, meta: { title: 'nav.dashboard' } }];

export const menu: MenuEntry[] = [{ path: '/', key: 'nav.dashboard', icon: DataBoard, perm: null, testid: 'menu-dashboard' }];
