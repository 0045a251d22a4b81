/* features/platform/routes.ts - the audit log (audit.read), the security administrator's
 * overview and the security policy (settings.read; changes need settings.write). */
import type { RouteRecordRaw } from 'vue-router';
import { Document, Lock, Setting } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import AuditView from './views/AuditView.vue';
import PolicyView from './views/PolicyView.vue';
import SecurityHomeView from './views/SecurityHomeView.vue';

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [
  { path: 'audit', name: 'audit', component: AuditView, meta: { title: 'nav.audit', perm: 'audit.read' } },
  { path: 'security', name: 'security', component: SecurityHomeView, meta: { title: 'nav.security', perm: 'settings.write' } },
  { path: 'security/policy', name: 'security-policy', component: PolicyView, meta: { title: 'nav.policy', perm: 'settings.read' } },
];

export const menu: MenuEntry[] = [
  { path: '/security', key: 'nav.security', icon: Lock, perm: 'settings.write', testid: 'menu-security' },
  { path: '/security/policy', key: 'nav.policy', icon: Setting, perm: 'settings.read', testid: 'menu-policy' },
  { path: '/audit', key: 'nav.audit', icon: Document, perm: 'audit.read', testid: 'menu-audit' },
];
