/// <reference types="vite/client" />

import 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean;
    /** Permission the user must hold (U.permissions). */
    perm?: string;
    /** i18n key of the page title. */
    title?: string;
    /** The big screen: signs itself in (kiosk token or session); the guard lets it be. */
    screen?: boolean;
  }
}
