/* features/cameras/routes.ts - the camera ledger, bindings, camera checks and reconciliation pages (issue 8),
 * children of the main layout; the menu entries beside them. */
import type { RouteRecordRaw } from 'vue-router';
import { Connection, Finished, Link, VideoCamera } from '@element-plus/icons-vue';
import BindingsView from './BindingsView.vue';
import CameraChecksView from './CameraChecksView.vue';
import CamerasView from './CamerasView.vue';
import ReconcileView from './ReconcileView.vue';

export const camerasRoutes: RouteRecordRaw[] = [
  { path: 'cameras', name: 'cameras', component: CamerasView, meta: { title: 'cameras.nav.cameras', perm: 'cameras.read' } },
  { path: 'bindings', name: 'bindings', component: BindingsView, meta: { title: 'cameras.nav.bindings', perm: 'cameras.read' } },
  { path: 'camera-checks', name: 'camera-checks', component: CameraChecksView, meta: { title: 'cameras.nav.checks', perm: 'cameras.read' } },
  { path: 'reconciliations', name: 'reconcile', component: ReconcileView, meta: { title: 'cameras.nav.reconcile', perm: 'cameras.write' } },
];

export const camerasMenu = [
  { path: '/cameras', key: 'cameras.nav.cameras', icon: VideoCamera, perm: 'cameras.read', testid: 'menu-cameras' },
  { path: '/bindings', key: 'cameras.nav.bindings', icon: Link, perm: 'cameras.read', testid: 'menu-bindings' },
  { path: '/camera-checks', key: 'cameras.nav.checks', icon: Finished, perm: 'cameras.read', testid: 'menu-camera-checks' },
  { path: '/reconciliations', key: 'cameras.nav.reconcile', icon: Connection, perm: 'cameras.write', testid: 'menu-reconcile' },
];
