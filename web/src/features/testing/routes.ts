/* features/testing/routes.ts - the personal test-result query (people.read). */
import type { RouteRecordRaw } from 'vue-router';
import { Postcard } from '@element-plus/icons-vue';
import type { MenuEntry } from '@/router/menu';
import PeopleView from './views/PeopleView.vue';

/** Children of / (main layout). */
export const routes: RouteRecordRaw[] = [
  { path: 'people', name: 'people', component: PeopleView, meta: { title: 'nav.people', perm: 'people.read' } },
];

export const menu: MenuEntry[] = [{ path: '/people', key: 'nav.people', icon: Postcard, perm: 'people.read', testid: 'menu-people' }];
