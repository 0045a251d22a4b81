/* features/batch/routes.ts - batch queries: the list (with upload) and one batch. */
import type { RouteRecordRaw } from 'vue-router';
import { Files } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import BatchDetailView from './views/BatchDetailView.vue';
import BatchesView from './views/BatchesView.vue';

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [
  { path: 'batches', name: 'batches', component: BatchesView, meta: { title: 'nav.batches', perm: 'people.read' } },
  { path: 'batches/:id(\\d+)', name: 'batch', component: BatchDetailView, meta: { title: 'nav.batch', perm: 'people.read' } },
];

export const menu: MenuEntry[] = [{ path: '/batches', key: 'nav.batches', icon: Files, perm: 'people.read', testid: 'menu-batches' }];
