/* utils/roles.ts - role labels. */
import { i18n } from '@/i18n';

export function roleLabel(role: string | null | undefined): string {
  if (!role) return '';
  const key = `roles.${role}`;
  return i18n.global.te(key) ? i18n.global.t(key) : role;
}
