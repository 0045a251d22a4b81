/* composables/useUpload.ts - one file chosen through a hidden <input type="file"> and sent
 * with a progress bar (api/client.ts upload: percent of the bytes sent, then "processing"
 * while the server works on it). Files over UPLOAD_MAX_BYTES (the server's cap for every
 * upload route) are refused before sending. A failure goes to the caller's error ref. */
import { ref, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { ApiError, type UploadProgress } from '@/api/client';

export const UPLOAD_MAX_BYTES = 64 * 1024 * 1024;

export function useUpload(error: Ref<unknown>) {
  const { t } = useI18n();
  const fileInput = ref<HTMLInputElement | null>(null);
  const file = ref<File | null>(null);
  const uploading = ref(false);
  const percent = ref(0);
  const processing = ref(false);

  function onFile(e: Event) {
    const input = e.target as HTMLInputElement;
    file.value = input.files && input.files.length ? input.files[0] : null;
    error.value = null;
  }

  /** Forgets the chosen file (and clears the input, so the same file can be chosen again). */
  function clear() {
    file.value = null;
    if (fileInput.value) fileInput.value.value = '';
  }

  /** Sends the chosen file with send(file, onProgress); returns its reply, or null when no
   * file is chosen, it is too large, or sending failed. */
  async function run<T>(path: string, send: (f: File, onProgress: (p: UploadProgress) => void) => Promise<T>): Promise<T | null> {
    const f = file.value;
    if (!f) return null;
    error.value = null;
    if (f.size > UPLOAD_MAX_BYTES) {
      error.value = new ApiError(413, 'too_large', t('batches.tooLarge'), null, path);
      return null;
    }
    uploading.value = true;
    percent.value = 0;
    processing.value = false;
    try {
      return await send(f, (p) => {
        percent.value = p.percent;
        processing.value = p.processing;
      });
    } catch (e) {
      error.value = e;
      return null;
    } finally {
      uploading.value = false;
      processing.value = false;
    }
  }

  return { fileInput, file, uploading, percent, processing, onFile, clear, run };
}
