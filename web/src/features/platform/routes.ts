/* features/platform/routes.ts - the audit log (audit.read). */
import type { RouteRecordRaw } from 'vue-router';
import { Document } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import AuditView from './views/AuditView.vue';

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [
  { path: 'audit', name: 'audit', component: AuditView, meta: { title: 'nav.audit', perm: 'audit.read' } },
];

export const menu: MenuEntry[] = [{ path: '/audit', key: 'nav.audit', icon: Document, perm: 'audit.read', testid: 'menu-audit' }];
