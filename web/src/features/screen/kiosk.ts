/* features/screen/kiosk.ts - where a wall display's token comes from, and keeping the kiosk
 * signed in without a keyboard.
 *
 * The display opens /screen#kiosk=jy_… . The fragment (after #) is never sent to the
 * server, so the token reaches neither the access log nor a Referer; the page takes it out
 * of the address bar and the history entry at once, keeps it in memory only (no storage),
 * and exchanges it for an HttpOnly kiosk cookie (POST /api/v1/auth/kiosk). The cookie lasts
 * at most the server's absolute session lifetime; when a read then answers 401, the page
 * exchanges the remembered token again (at most once a minute), so the wall keeps running
 * for days. A revoked token stays refused and the page says so.
 */
import { openKiosk, type Viewer } from './api';

const TOKEN_RE = /^jy_[A-Za-z0-9_-]{20,128}$/;
const RETRY_GAP_MS = 60_000;

let token: string | null = null;
let lastExchange = -Infinity;

/** Takes "kiosk=" out of the URL fragment (whatever else it holds stays) and remembers a
 * well-formed token. True when a token is now known. */
export function takeKioskToken(): boolean {
  const raw = location.hash.replace(/^#/, '');
  if (!raw) return token !== null;
  const p = new URLSearchParams(raw);
  if (!p.has('kiosk')) return token !== null;
  const t = p.get('kiosk') ?? '';
  if (TOKEN_RE.test(t)) token = t;
  p.delete('kiosk');
  const rest = p.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return token !== null;
}

export function hasKioskToken(): boolean {
  return token !== null;
}

/** Exchanges the remembered token for a kiosk cookie; null when there is none, or when
 * the last exchange was less than a minute ago (unless force). Errors are thrown. */
export async function exchangeKiosk(force = false): Promise<Viewer | null> {
  if (!token) return null;
  const now = Date.now();
  if (!force && now - lastExchange < RETRY_GAP_MS) return null;
  lastExchange = now;
  return openKiosk(token);
}
