/* utils/errors.ts - turns an error into the text shown to the user.
 *
 * The server's error.message is already in the user's language (the client sends
 * Accept-Language) and is shown as given; errors made here (network, a reply that is not
 * the envelope) get the translated sentence of their code.
 * The server's untranslated error.detail, when it sent one, is kept beside the text and
 * shown folded (详细信息) under it.
 * toastError shows it as a message with the request id (for errors of row actions). */
import { h } from 'vue';
import { ElMessage } from 'element-plus';
import { ApiError } from '@/api/client';
import { i18n } from '@/i18n';

export interface ErrorView {
  code: string;
  text: string;
  requestId: string | null;
  /** the server's error.detail (untranslated: row numbers, field names), or null */
  detail: string | null;
}

export function describeError(e: unknown): ErrorView {
  const { t, te } = i18n.global;
  if (e instanceof ApiError) {
    const key = `errors.${e.code}`;
    let text: string;
    if (e.fromServer) text = e.message;
    else if (te(key)) text = t(key);
    else text = e.message || t('errors.unknown');
    return { code: e.code, text, requestId: e.requestId, detail: e.detail && e.detail !== text ? e.detail : null };
  }
  return { code: 'unknown', text: t('errors.unknown'), requestId: null, detail: null };
}

/** Shows e as an error message, with the request id when the server gave one. */
export function toastError(e: unknown): void {
  const v = describeError(e);
  const line = v.requestId ? `${v.text} (${i18n.global.t('common.requestId')}: ${v.requestId})` : v.text;
  if (!v.detail) {
    ElMessage.error(line);
    return;
  }
  ElMessage.error({
    message: h('div', { 'data-testid': 'toast-error' }, [
      h('div', line),
      h('details', { class: 'error-detail', 'data-testid': 'error-detail' }, [
        h('summary', i18n.global.t('common.errorDetail')),
        h('pre', { class: 'error-detail-text', 'data-testid': 'error-detail-text' }, v.detail),
      ]),
    ]),
    duration: 8000,
    showClose: true,
  });
}
