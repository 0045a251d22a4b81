/* router/menu.ts - the left menu of the main layout, gathered from the features.
 *
 * Each feature's routes.ts exports `menu` entries beside its routes; this list only says
 * which features take part and in what order (a new feature adds one import and one
 * spread here). The layout shows the entries whose permission the user holds. */
import type { Component } from 'vue';
import { menu as account } from '@/features/account/routes';
import { menu as batch } from '@/features/batch/routes';
import { camerasMenu as cameras } from '@/features/cameras/routes';
import { placesMenu as places } from '@/features/places/routes';
import { screenMenu as screen } from '@/features/screen/routes';
import { menu as platform } from '@/features/platform/routes';
import { menu as review } from '@/features/review/routes';
import { menu as stats } from '@/features/stats/routes';
import { menu as testing } from '@/features/testing/routes';
import { videoMenu as video } from '@/features/video/routes';
import { exchangeMenu as exchange } from '@/features/exchange/routes';

export interface MenuEntry {
  /** The path the entry opens (also the active-item key). */
  path: string;
  /** i18n key of the label. */
  key: string;
  icon: Component;
  /** Permission the user must hold; null = every logged-in user. */
  perm: string | null;
  testid: string;
}

export const MENU: MenuEntry[] = [...stats, ...screen, ...testing, ...review, ...batch, ...places, ...cameras, ...video, ...exchange, ...account, ...platform];
