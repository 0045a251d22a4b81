/* features/video/api.ts - live video (issue 9; R3.1-R3.6, R3.12): play links, snapshots and the
 * running sessions. The only place with video API paths.
 *
 * POST /api/v1/cameras/{id}/play starts (warms) the camera's session and answers short-lived,
 * signed media URLs (the token is in the path, so they need no cookie: the embeddable player
 * and hls.js use them as they are). Stream URLs and camera credentials never reach the browser. */
import { api } from '@/api/client';

/** The session state the gateway reports (media/hub.h media_state_name). */
export type MediaState = 'connecting' | 'playing' | 'retrying' | 'failed' | 'stopped' | string;

export interface PlayInfo {
  camera_id?: number;
  /** LL-HLS playlist, relative URL */
  hls: string;
  /** continuous fragmented MP4, relative URL */
  stream: string;
  snapshot: string;
  embed?: string;
  /** RFC 6381 codec of what viewers get ("avc1.4D401E"), null while not known yet */
  codec: string | null;
  /** false: H.265 and no transcode slot (snapshots only in browsers without HEVC) */
  playable: boolean;
  state?: MediaState;
  expires_at?: string;
}

export interface MediaInfo {
  state: MediaState;
  codec: string | null;
  playable: boolean;
  viewers: number;
}

export interface VideoSession {
  camera_id: number;
  state: MediaState;
  codec: string | null;
  viewers: number;
}

/** The camera a play button opens (PlayDialog). */
export interface PlayTarget {
  id: number;
  gb_id: string;
  name: string | null;
  status?: string | null;
}

export function playCamera(cameraId: number): Promise<PlayInfo> {
  return api.post<PlayInfo>(`/api/v1/cameras/${cameraId}/play`, {});
}

export function cameraSnapshotUrl(cameraId: number): string {
  return `/api/v1/cameras/${cameraId}/snapshot`;
}

export function videoSessions(): Promise<{ items: VideoSession[] }> {
  return api.get<{ items: VideoSession[] }>('/api/v1/video/sessions');
}

/* ---------- the media paths of one play token (/media/v1/p/<tok>/...) ---------- */

const MEDIA_PREFIX = '/media/v1/p/';
const EMBED_PREFIX = '/media/v1/embed/';

/** The play token of an embed page path (/media/v1/embed/<tok>), or null. */
export function tokenFromEmbedPath(pathname: string): string | null {
  if (!pathname.startsWith(EMBED_PREFIX)) return null;
  const tok = pathname.slice(EMBED_PREFIX.length).replace(/\/+$/, '');
  return /^[A-Za-z0-9_-]+$/.test(tok) ? tok : null;
}

/** The media URLs of a token, as POST .../play would answer them (codec not known yet). */
export function playInfoOfToken(tok: string): PlayInfo {
  const base = `${MEDIA_PREFIX}${tok}/`;
  return { hls: `${base}index.m3u8`, stream: `${base}live.mp4`, snapshot: `${base}snapshot.jpg`, embed: `${EMBED_PREFIX}${tok}`, codec: null, playable: true };
}

/** The /info URL beside a play reply's stream URL. */
export function infoUrl(p: PlayInfo): string {
  return p.stream.replace(/live\.mp4$/, 'info');
}

/** The status line of a session (no cookie: the token is the credential). Throws MediaHttpError. */
export async function mediaInfo(p: PlayInfo, signal?: AbortSignal): Promise<MediaInfo> {
  const r = await fetch(infoUrl(p), { cache: 'no-store', credentials: 'omit', signal });
  if (!r.ok) throw new MediaHttpError(r.status);
  return (await r.json()) as MediaInfo;
}

/** A media URL answered with an HTTP error (403: tampered or expired link, 503: busy). */
export class MediaHttpError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`media request failed: HTTP ${status}`);
    this.name = 'MediaHttpError';
    this.status = status;
  }
}
