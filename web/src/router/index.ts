/* router/index.ts - history routing (the server answers index.html for non-API paths).
 *
 * The guard loads the session once (/auth/me) and sends the user to the first step they
 * still owe: login, forced password change, forced TOTP enrolment, then the main layout.
 * Pages that need a permission fall back to the dashboard. The server enforces all of this
 * again; the guard only keeps the user on a page that can work. */
import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
import { useSession } from '@/stores/session';
import { safeRedirect } from './redirect';
import BareLayout from '@/layouts/BareLayout.vue';
import MainLayout from '@/layouts/MainLayout.vue';
import AccountPasswordView from '@/views/AccountPasswordView.vue';
import AccountTotpView from '@/views/AccountTotpView.vue';
import AuditView from '@/views/AuditView.vue';
import BatchDetailView from '@/views/BatchDetailView.vue';
import BatchesView from '@/views/BatchesView.vue';
import DashboardView from '@/views/DashboardView.vue';
import ForcePasswordView from '@/views/ForcePasswordView.vue';
import ForceTotpView from '@/views/ForceTotpView.vue';
import LoginView from '@/views/LoginView.vue';
import PeopleView from '@/views/PeopleView.vue';
import UsersView from '@/views/UsersView.vue';
import { placesRoutes } from '@/features/places/routes';
import { camerasRoutes } from '@/features/cameras/routes';

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
    {
      path: '/welcome',
      component: BareLayout,
      children: [
        { path: 'password', name: 'force-password', component: ForcePasswordView },
        { path: 'totp', name: 'force-totp', component: ForceTotpView },
      ],
    },
    {
      path: '/',
      component: MainLayout,
      children: [
        { path: '', name: 'dashboard', component: DashboardView, meta: { title: 'nav.dashboard' } },
        { path: 'users', name: 'users', component: UsersView, meta: { title: 'nav.users', perm: 'users.read' } },
        { path: 'audit', name: 'audit', component: AuditView, meta: { title: 'nav.audit', perm: 'audit.read' } },
        { path: 'people', name: 'people', component: PeopleView, meta: { title: 'nav.people', perm: 'people.read' } },
        { path: 'batches', name: 'batches', component: BatchesView, meta: { title: 'nav.batches', perm: 'people.read' } },
        { path: 'batches/:id(\\d+)', name: 'batch', component: BatchDetailView, meta: { title: 'nav.batch', perm: 'people.read' } },
        ...placesRoutes,
        ...camerasRoutes,
        { path: 'account/password', name: 'account-password', component: AccountPasswordView, meta: { title: 'nav.password' } },
        { path: 'account/totp', name: 'account-totp', component: AccountTotpView, meta: { title: 'nav.totp' } },
      ],
    },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to): Promise<boolean | RouteLocationRaw> => {
  const session = useSession();
  if (!session.loaded) {
    try {
      await session.refresh();
    } catch {
      /* server unreachable: treated as logged out; the login page shows errors */
      session.clear();
    }
  }
  const step = session.step;
  if (to.meta.public) return step === 'login' ? true : { path: '/' };
  if (step === 'login') {
    return to.fullPath === '/' ? { name: 'login' } : { name: 'login', query: { redirect: to.fullPath } };
  }
  if (step === 'password' || step === 'totp') {
    const forced = step === 'password' ? 'force-password' : 'force-totp';
    if (to.name === forced) return true;
    // Keep the page first asked for, to go there once the forced steps are done.
    const wanted = to.path.startsWith('/welcome/') ? to.query.redirect : to.fullPath;
    const redirect = safeRedirect(wanted);
    return { name: forced, query: redirect === '/' ? {} : { redirect } };
  }
  if (to.name === 'force-password' || to.name === 'force-totp') return { name: 'dashboard' };
  if (to.meta.perm && !session.can(to.meta.perm)) return { name: 'dashboard' };
  return true;
});
