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
import * as account from '@/features/account/routes';
import * as batch from '@/features/batch/routes';
import { camerasRoutes } from '@/features/cameras/routes';
import { placesRoutes } from '@/features/places/routes';
import * as platform from '@/features/platform/routes';
import * as review from '@/features/review/routes';
import * as stats from '@/features/stats/routes';
import * as testing from '@/features/testing/routes';
import { videoRoutes } from '@/features/video/routes';
import { screenRoutes } from '@/features/screen/routes';
import { exchangeRoutes } from '@/features/exchange/routes';

/* One route list per feature (web/src/features/<area>/routes.ts), children of the main
 * layout unless said otherwise; a new feature adds one import and one spread. */
export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    ...account.publicRoutes,
    ...screenRoutes,
    { path: '/welcome', component: BareLayout, children: account.welcomeRoutes },
    {
      path: '/',
      component: MainLayout,
      children: [
        ...stats.routes,
        ...testing.routes,
        ...review.routes,
        ...batch.routes,
        ...placesRoutes,
        ...camerasRoutes,
        ...videoRoutes,
        ...exchangeRoutes,
        ...account.routes,
        ...platform.routes,
      ],
    },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to): Promise<boolean | RouteLocationRaw> => {
  // The big screen signs itself in (a wall display's kiosk token has no user profile).
  if (to.meta.screen) return true;
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
  // The security administrator's home is the security overview (issue 14: no business figures).
  if (to.name === 'dashboard' && session.can('settings.write') && !session.can('dashboard.read')) return { name: 'security' };
  if (to.meta.perm && !session.can(to.meta.perm)) return { name: 'dashboard' };
  return true;
});
