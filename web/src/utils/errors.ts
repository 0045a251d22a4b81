/* utils/errors.ts - turns an error into the text shown to the user.
 *
 * Known codes get a translated sentence; weak_password also shows the server's message,
 * which says what the policy misses. Unknown codes fall back to the server's message.
 * toastError shows it as a message with the request id (for errors of row actions). */
import { ElMessage } from 'element-plus';
import { ApiError } from '@/api/client';
import { i18n } from '@/i18n';

export interface ErrorView {
  code: string;
  text: string;
  requestId: string | null;
}

const DETAIL_CODES = new Set(['weak_password', 'invalid', 'bad_request', 'validation', 'conflict']);

export function describeError(e: unknown): ErrorView {
  const { t, te } = i18n.global;
  if (e instanceof ApiError) {
    const key = `errors.${e.code}`;
    let text: string;
    if (te(key)) {
      text = t(key);
      if (DETAIL_CODES.has(e.code) && e.message && e.message !== text) text += `: ${e.message}`;
    } else {
      text = e.message || t('errors.unknown');
    }
    return { code: e.code, text, requestId: e.requestId };
  }
  return { code: 'unknown', text: t('errors.unknown'), requestId: null };
}

/** Shows e as an error message, with the request id when the server gave one. */
export function toastError(e: unknown): void {
  const v = describeError(e);
  ElMessage.error(v.requestId ? `${v.text} (${i18n.global.t('common.requestId')}: ${v.requestId})` : v.text);
}
