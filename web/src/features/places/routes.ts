/* features/places/routes.ts - the map, the place ledger and the toilet survey import (issue 8),
 * children of the main layout; the menu entries beside them. The map is for the roles that
 * read places (district, subdistrict, viewer). */
import type { RouteRecordRaw } from 'vue-router';
import { List, MapLocation, UploadFilled } from '@element-plus/icons-vue';
import MapView from './MapView.vue';
import PlacesView from './PlacesView.vue';
import ToiletImportView from './ToiletImportView.vue';

export const placesRoutes: RouteRecordRaw[] = [
  { path: 'map', name: 'map', component: MapView, meta: { title: 'places.nav.map', perm: 'places.read' } },
  { path: 'places', name: 'places', component: PlacesView, meta: { title: 'places.nav.places', perm: 'places.read' } },
  { path: 'toilets/import', name: 'toilet-import', component: ToiletImportView, meta: { title: 'places.nav.toiletImport', perm: 'places.write' } },
];

export const placesMenu = [
  { path: '/map', key: 'places.nav.map', icon: MapLocation, perm: 'places.read', testid: 'menu-map' },
  { path: '/places', key: 'places.nav.places', icon: List, perm: 'places.read', testid: 'menu-places' },
  { path: '/toilets/import', key: 'places.nav.toiletImport', icon: UploadFilled, perm: 'places.write', testid: 'menu-toilet-import' },
];
