/* api/client.ts - fetch wrapper for the same-origin JSON API (generic: no API paths here;
 * every path lives in a feature's api.ts under web/src/features/<area>/).
 *
 * Every request carries the session cookie (same-origin). Every non-GET request sends
 * Content-Type: application/json and, once known, X-CSRF-Token. A non-2xx reply becomes an
 * ApiError built from the envelope {"error":{"code","message","request_id"}}; replies that
 * are not that envelope still give an ApiError with a synthetic code (http_<status>,
 * network). A listener (set by the session store) hears every ApiError so that an expired
 * session or a forced step can send the user to the right page. Besides JSON calls:
 * upload() sends multipart form data with progress events (XMLHttpRequest), and blob()
 * POSTs JSON and answers a file (downloads); both report errors the same way.
 * Every request sends Accept-Language from the UI locale (setAcceptLanguage, called by
 * i18n/): the server's error.message is then in the user's language and is shown as given
 * (fromServer); error.code stays the same in every language (issue 14).
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly path: string;
  /** true when message is the server's, already in the user's language */
  readonly fromServer: boolean;
  /** the server's stable reason code beside the message, when it gave one */
  readonly reason: string | null;
  /** the server's untranslated detail (error.detail: row numbers, field names), when it sent one */
  readonly detail: string | null;

  constructor(
    status: number,
    code: string,
    message: string,
    requestId: string | null,
    path: string,
    fromServer = false,
    reason: string | null = null,
    detail: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.path = path;
    this.fromServer = fromServer;
    this.reason = reason;
    this.detail = detail;
  }
}

let acceptLanguage = 'zh-CN';

/** Sets the Accept-Language every request sends ("zh-CN" or "en"). */
export function setAcceptLanguage(tag: string): void {
  acceptLanguage = tag;
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

/** The ApiError of a non-2xx reply: the envelope's code, message and request id when the
 * body is {"error":{…}}, else a synthetic http_<status> code. */
function errorOf(status: number, statusText: string, data: unknown, requestId: string | null, path: string): ApiError {
  const env = (data as { error?: { code?: unknown; message?: unknown; request_id?: unknown; reason?: unknown; detail?: unknown } } | null)?.error;
  const fromServer = typeof env?.code === 'string' && typeof env?.message === 'string' && env.message !== '';
  return new ApiError(
    status,
    typeof env?.code === 'string' ? env.code : `http_${status}`,
    typeof env?.message === 'string' ? env.message : statusText,
    typeof env?.request_id === 'string' ? env.request_id : requestId,
    path,
    fromServer,
    typeof env?.reason === 'string' ? env.reason : null,
    typeof env?.detail === 'string' && env.detail !== '' ? env.detail : null,
  );
}

/** Tells the listener, then gives the error back to be thrown. */
function fail(e: ApiError): ApiError {
  errorListener?.(e);
  return e;
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': acceptLanguage };
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
    throw fail(new ApiError(0, 'network', 'network error', null, path));
  }
  if (res.status === 204) return undefined as T;
  const data = parseJson(await res.text());
  if (!res.ok) throw fail(errorOf(res.status, res.statusText, data, res.headers.get('X-Request-Id'), path));
  if (data === null) throw new ApiError(res.status, 'bad_response', 'reply is not JSON', res.headers.get('X-Request-Id'), path);
  return data as T;
}

/** Progress of an upload. */
export interface UploadProgress {
  /** 0..100 of the bytes sent */
  percent: number;
  /** true once every byte is sent and the server is working on the file */
  processing: boolean;
}

/** POSTs multipart form data with progress events; expects 200 or 201 with a JSON body. */
function upload<T>(path: string, form: FormData, onProgress?: (p: UploadProgress) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', acceptLanguage);
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable && ev.total > 0) onProgress?.({ percent: Math.min(100, Math.round((ev.loaded / ev.total) * 100)), processing: false });
    };
    xhr.upload.onload = () => onProgress?.({ percent: 100, processing: true });
    xhr.onerror = () => reject(fail(new ApiError(0, 'network', 'network error', null, path)));
    xhr.onload = () => {
      const data = parseJson(xhr.responseText);
      if ((xhr.status === 200 || xhr.status === 201) && data !== null) resolve(data as T);
      else reject(fail(errorOf(xhr.status, xhr.statusText, data, xhr.getResponseHeader('X-Request-Id'), path)));
    };
    xhr.send(form);
  });
}

/** POSTs a JSON body (or multipart form data) and answers the reply as a Blob (a generated file). */
async function blob(path: string, body: unknown): Promise<Blob> {
  const isForm = body instanceof FormData;
  const headers: Record<string, string> = isForm
    ? { Accept: '*/*', 'Accept-Language': acceptLanguage }
    : { 'Content-Type': 'application/json', Accept: '*/*', 'Accept-Language': acceptLanguage };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', credentials: 'same-origin', cache: 'no-store', headers, body: isForm ? body : JSON.stringify(body ?? {}) });
  } catch {
    throw fail(new ApiError(0, 'network', 'network error', null, path));
  }
  if (!res.ok) throw fail(errorOf(res.status, res.statusText, parseJson(await res.text()), res.headers.get('X-Request-Id'), path));
  return res.blob();
}

/** Saves a Blob as a file through a temporary object URL. */
export function saveBlob(b: Blob, fileName: string): void {
  const url = URL.createObjectURL(b);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const api = {
  get: <T>(path: string, q?: Query) => request<T>('GET', q ? withQuery(path, q) : path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
  upload,
  blob,
};
