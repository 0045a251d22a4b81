/* features/places/upload.ts - a file plus form fields as multipart, through the shared
 * client's upload (progress events, CSRF token, the {"error":{…}} envelope as ApiError). */
import { api, type UploadProgress } from '@/api/client';

export type { UploadProgress };

export function uploadForm<T>(
  path: string,
  fields: Record<string, string | number>,
  file: File,
  onProgress: (p: UploadProgress) => void,
): Promise<T> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, String(v));
  fd.append('file', file, file.name);
  return api.upload<T>(path, fd, onProgress);
}
