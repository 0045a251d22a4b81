/* features/cameras/routes.ts - the camera ledger and the reconciliation pages (issue 8),
 * children of the main layout; the menu entries beside them. */
import type { RouteRecordRaw } from 'vue-router';
import { Connection, VideoCamera } from '@element-plus/icons-vue';
import CamerasView from './CamerasView.vue';
import ReconcileView from './ReconcileView.vue';

export const camerasRoutes: RouteRecordRaw[] = [
  { path: 'cameras', name: 'cameras', component: CamerasView, meta: { title: 'cameras.nav.cameras', perm: 'cameras.read' } },
  { path: 'reconciliations', name: 'reconcile', component: ReconcileView, meta: { title: 'cameras.nav.reconcile', perm: 'cameras.write' } },
];

export const camerasMenu = [
  { path: '/cameras', key: 'cameras.nav.cameras', icon: VideoCamera, perm: 'cameras.read', testid: 'menu-cameras' },
  { path: '/reconciliations', key: 'cameras.nav.reconcile', icon: Connection, perm: 'cameras.write', testid: 'menu-reconcile' },
];
