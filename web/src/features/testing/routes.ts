/* features/testing/routes.ts - the personal test-result query (people.read) and the
 * workbench pages of sites, scans and check-ins (issue 10, R1.1-R1.3). */
import type { RouteRecordRaw } from 'vue-router';
import { Calendar, Location, Postcard, Histogram } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import CheckinsView from './views/CheckinsView.vue';
import PeopleView from './views/PeopleView.vue';
import ScansView from './views/ScansView.vue';
import SiteDetailView from './views/SiteDetailView.vue';
import SitesView from './views/SitesView.vue';

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [
  { path: 'people', name: 'people', component: PeopleView, meta: { title: 'nav.people', perm: 'people.read' } },
  { path: 'sites', name: 'sites', component: SitesView, meta: { title: 'wb.nav.sites', perm: 'sites.read' } },
  { path: 'sites/:id(\\d+)', name: 'site', component: SiteDetailView, meta: { title: 'wb.nav.site', perm: 'sites.read' } },
  { path: 'scans', name: 'scans', component: ScansView, meta: { title: 'wb.nav.scans', perm: 'stats.read' } },
  { path: 'checkins', name: 'checkins', component: CheckinsView, meta: { title: 'wb.nav.checkins', perm: 'checkins.read' } },
];

export const menu: MenuEntry[] = [
  { path: '/sites', key: 'wb.nav.sites', icon: Location, perm: 'sites.read', testid: 'menu-sites' },
  { path: '/scans', key: 'wb.nav.scans', icon: Histogram, perm: 'stats.read', testid: 'menu-scans' },
  { path: '/checkins', key: 'wb.nav.checkins', icon: Calendar, perm: 'checkins.read', testid: 'menu-checkins' },
  { path: '/people', key: 'nav.people', icon: Postcard, perm: 'people.read', testid: 'menu-people' },
];
