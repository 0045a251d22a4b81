/* features/account/routes.ts - login (public), the forced first steps (under the bare
 * layout at /welcome/...), the own account pages and the user administration. */
import type { RouteRecordRaw } from 'vue-router';
import { User } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import AccountPasswordView from './views/AccountPasswordView.vue';
import AccountTotpView from './views/AccountTotpView.vue';
import ForcePasswordView from './views/ForcePasswordView.vue';
import ForceTotpView from './views/ForceTotpView.vue';
import LoginView from './views/LoginView.vue';
import UsersView from './views/UsersView.vue';

/** Top-level routes reachable without a session. */
export const publicRoutes: RouteRecordRaw[] = [{ path: '/login', name: 'login', component: LoginView, meta: { public: true } }];

/** Children of /welcome (bare layout): the steps a user owes before the main layout. */
export const welcomeRoutes: RouteRecordRaw[] = [
  { path: 'password', name: 'force-password', component: ForcePasswordView },
  { path: 'totp', name: 'force-totp', component: ForceTotpView },
];

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [
  { path: 'users', name: 'users', component: UsersView, meta: { title: 'nav.users', perm: 'users.read' } },
  { path: 'account/password', name: 'account-password', component: AccountPasswordView, meta: { title: 'nav.password' } },
  { path: 'account/totp', name: 'account-totp', component: AccountTotpView, meta: { title: 'nav.totp' } },
];

export const menu: MenuEntry[] = [{ path: '/users', key: 'nav.users', icon: User, perm: 'users.read', testid: 'menu-users' }];
