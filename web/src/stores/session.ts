/* stores/session.ts - who is logged in, with what permissions, and the CSRF token.
 *
 * The session itself is an HttpOnly cookie the page cannot read; this store only mirrors
 * the user object from /auth/login, /auth/me and the account endpoints. nextStep() says
 * which forced page (password change, TOTP enrolment) must come before the main layout.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, setCsrfToken } from '@/api/client';
import * as account from '@/features/account/api';
import type { User, UserReply } from '@/features/account/api';

export type Step = 'login' | 'password' | 'totp' | 'ready';

export const useSession = defineStore('session', () => {
  const user = ref<User | null>(null);
  const loaded = ref(false);
  /** Set when the session ended by itself (401 on a normal call), shown on the login page. */
  const expired = ref(false);

  function setSession(u: User, csrf?: string | null) {
    user.value = u;
    if (csrf !== undefined) setCsrfToken(csrf);
    loaded.value = true;
    expired.value = false;
  }

  function clear() {
    user.value = null;
    setCsrfToken(null);
    loaded.value = true;
  }

  /** Loads the session from GET /auth/me; a 401 means "not logged in". */
  async function refresh(): Promise<void> {
    try {
      const r = await account.getMe();
      setSession(r.user, r.csrf_token);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) clear();
      else {
        loaded.value = true;
        throw e;
      }
    }
  }

  async function login(username: string, password: string, totp?: string): Promise<User> {
    const r = await account.login(username, password, totp);
    setSession(r.user, r.csrf_token);
    return r.user;
  }

  async function logout(): Promise<void> {
    try {
      await account.logout();
    } finally {
      clear();
    }
  }

  /** Applies a {"user":U} reply; then re-reads /me in case the server rotated the CSRF token. */
  async function applyUserReply(r: UserReply): Promise<void> {
    user.value = r.user;
    try {
      await refresh();
    } catch {
      /* keep the user from the reply */
    }
  }

  const step = computed<Step>(() => {
    const u = user.value;
    if (!u) return 'login';
    if (u.must_change_password) return 'password';
    if (u.totp_required && !u.totp_enabled) return 'totp';
    return 'ready';
  });

  function can(perm: string): boolean {
    return !!user.value?.permissions?.includes(perm);
  }

  return { user, loaded, expired, step, setSession, clear, refresh, login, logout, applyUserReply, can };
});
