/* composables/useLogout.ts - log out on the server, then go to the login page. */
import { useRouter } from 'vue-router';
import { useSession } from '@/stores/session';

export function useLogout() {
  const router = useRouter();
  const session = useSession();
  return async function logout(): Promise<void> {
    try {
      await session.logout();
    } catch {
      /* the local session is cleared anyway */
    }
    await router.replace({ name: 'login', query: { bye: '1' } });
  };
}
