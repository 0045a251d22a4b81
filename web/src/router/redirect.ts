/* router/redirect.ts - only same-app paths are followed after login (no open redirect). */
export function safeRedirect(v: unknown): string {
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string') return '/';
  if (!s.startsWith('/') || s.startsWith('//') || s.startsWith('/\\') || s.startsWith('/login') || s.startsWith('/welcome')) return '/';
  return s;
}
