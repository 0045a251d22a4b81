/* main.ts - boots the UI: i18n, pinia, router; API errors that end or redirect the session. */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import './styles/app.css';
import App from './App.vue';
import { onApiError } from './api/client';
import { i18n } from './i18n';
import { router } from './router';
import { useSession } from './stores/session';
import { SESSION_PATHS } from './features/account/api';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
app.use(router);

/* A 401 "unauthenticated" means the session is gone (expired, logged out elsewhere); a 403
 * naming a forced step means the server wants that step first. */
const session = useSession(pinia);
onApiError((e) => {
  if (SESSION_PATHS.test(e.path)) return;
  if (router.currentRoute.value.meta.screen) return; // the big screen signs itself in again
  if (e.status === 401 && (e.code === 'unauthenticated' || e.code === 'unauthorized')) {
    session.clear();
    session.expired = true;
    const here = router.currentRoute.value;
    if (here.name !== 'login') void router.replace({ name: 'login', query: { redirect: here.fullPath } });
  } else if (e.status === 403 && (e.code === 'password_change_required' || e.code === 'totp_enrolment_required')) {
    void session.refresh().then(() => router.replace('/'));
  }
});

app.mount('#app');
