/* api/client.ts - fetch wrapper for the same-origin JSON API.
 *
 * Every request carries the session cookie (same-origin). Every non-GET request sends
 * Content-Type: application/json and, once known, X-CSRF-Token. A non-2xx reply becomes an
 * ApiError built from the envelope {"error":{"code","message","request_id"}}; replies that
 * are not that envelope still give an ApiError with a synthetic code (http_<status>,
 * network). A listener (set by the session store) hears every ApiError so that an expired
 * session or a forced step can send the user to the right page.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly path: string;

  constructor(status: number, code: string, message: string, requestId: string | null, path: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.path = path;
  }
}

let csrfToken: string | null = null;
let errorListener: ((e: ApiError) => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function onApiError(fn: ((e: ApiError) => void) | null): void {
  errorListener = fn;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === null || v === undefined || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['Content-Type'] = 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    init.body = JSON.stringify(body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    const e = new ApiError(0, 'network', 'network error', null, path);
    errorListener?.(e);
    throw e;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const env = (data as { error?: { code?: unknown; message?: unknown; request_id?: unknown } } | null)?.error;
    const e = new ApiError(
      res.status,
      typeof env?.code === 'string' ? env.code : `http_${res.status}`,
      typeof env?.message === 'string' ? env.message : res.statusText,
      typeof env?.request_id === 'string' ? env.request_id : res.headers.get('X-Request-Id'),
      path,
    );
    errorListener?.(e);
    throw e;
  }
  if (data === null) throw new ApiError(res.status, 'bad_response', 'reply is not JSON', res.headers.get('X-Request-Id'), path);
  return data as T;
}

export const api = {
  get: <T>(path: string, q?: Query) => request<T>('GET', q ? withQuery(path, q) : path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};
