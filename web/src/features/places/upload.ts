/* features/places/upload.ts - multipart upload with progress (XMLHttpRequest: fetch has no
 * upload progress). The CSRF token is read from /auth/me just before, as BatchesView does.
 * A non-2xx reply becomes an ApiError from the {"error":{…}} envelope. */
import { api, ApiError } from '@/api/client';
import type { SessionReply } from '@/api/types';

export interface UploadProgress {
  /** 0..100 of the bytes sent */
  percent: number;
  /** true once every byte is sent and the server is working on the file */
  processing: boolean;
}

export async function uploadForm<T>(
  path: string,
  fields: Record<string, string | number>,
  file: File,
  onProgress: (p: UploadProgress) => void,
): Promise<T> {
  const me = await api.get<SessionReply>('/api/v1/auth/me');
  return new Promise<T>((resolve, reject) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, String(v));
    fd.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-CSRF-Token', me.csrf_token);
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable && ev.total > 0) onProgress({ percent: Math.min(100, Math.round((ev.loaded / ev.total) * 100)), processing: false });
    };
    xhr.upload.onload = () => onProgress({ percent: 100, processing: true });
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error', null, path));
    xhr.onload = () => {
      let data: unknown = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data) {
        resolve(data as T);
        return;
      }
      const env = (data as { error?: { code?: string; message?: string; request_id?: string } } | null)?.error;
      reject(
        new ApiError(
          xhr.status,
          env?.code ?? `http_${xhr.status}`,
          env?.message ?? xhr.statusText,
          env?.request_id ?? xhr.getResponseHeader('X-Request-Id'),
          path,
        ),
      );
    };
    xhr.send(fd);
  });
}
