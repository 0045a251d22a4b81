/* features/video/hls.ts - the HLS engines (issue 9, design §5.4): hls.js (light build, no
 * worker: the transmuxer is not needed for fMP4, and no blob worker is made) on the LL-HLS
 * playlist, or the browser's own HLS (Safari) when MediaSource is missing.
 *
 * The playlist's URIs are relative (init.mp4, seg/...), so they carry the token with no
 * rewriting; no cookie is sent. Fatal network errors: 403/404/503 go to the owner
 * (onHttpError), others reconnect after a back-off; fatal media errors try hls.js's recovery
 * once, then reload. */
import Hls, { ErrorTypes, Events, type ErrorData } from 'hls.js/light';
import type { EngineEvents, LiveEngine } from './engine';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10000;
const GIVE_BACK = new Set([403, 404, 409, 503]);

export class HlsJsEngine implements LiveEngine {
  readonly kind = 'hls' as const;
  private readonly video: HTMLVideoElement;
  private readonly url: string;
  private readonly ev: EngineEvents;
  private hls: Hls | null = null;
  private retryMs = RETRY_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private recovered = false;

  constructor(video: HTMLVideoElement, url: string, ev: EngineEvents) {
    this.video = video;
    this.url = url;
    this.ev = ev;
  }

  start(): void {
    if (this.hls) return;
    this.ev.onState('connecting');
    const hls = new Hls({
      enableWorker: false,
      lowLatencyMode: true,
      backBufferLength: 10,
      liveSyncDurationCount: 1,
      xhrSetup: (xhr) => {
        xhr.withCredentials = false;
      },
    });
    this.hls = hls;
    hls.on(Events.MANIFEST_PARSED, () => void this.video.play().catch(() => {}));
    hls.on(Events.LEVEL_LOADED, () => {
      const codec = hls.levels[0]?.videoCodec;
      if (codec) this.ev.onCodec(codec);
    });
    hls.on(Events.FRAG_BUFFERED, () => {
      this.retryMs = RETRY_MIN_MS;
      this.recovered = false;
      this.ev.onState('playing');
    });
    hls.on(Events.ERROR, (_e, d) => this.onError(d));
    hls.loadSource(this.url);
    hls.attachMedia(this.video);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.hls?.destroy();
    this.hls = null;
  }

  private onError(d: ErrorData): void {
    if (!d.fatal || !this.hls) return;
    const status = d.response?.code ?? 0;
    if (d.type === ErrorTypes.NETWORK_ERROR && GIVE_BACK.has(status)) {
      this.stop();
      this.ev.onHttpError(status);
      return;
    }
    if (d.type === ErrorTypes.MEDIA_ERROR && !this.recovered) {
      this.recovered = true;
      this.hls.recoverMediaError();
      return;
    }
    this.ev.onState('reconnecting');
    this.stop();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}

/** The browser's own HLS (video.src = playlist). */
export class NativeHlsEngine implements LiveEngine {
  readonly kind = 'native' as const;
  private readonly video: HTMLVideoElement;
  private readonly url: string;
  private readonly ev: EngineEvents;
  private readonly onPlaying = () => this.ev.onState('playing');
  private readonly onWaiting = () => this.ev.onState('reconnecting');

  constructor(video: HTMLVideoElement, url: string, ev: EngineEvents) {
    this.video = video;
    this.url = url;
    this.ev = ev;
  }

  start(): void {
    this.ev.onState('connecting');
    this.video.addEventListener('playing', this.onPlaying);
    this.video.addEventListener('stalled', this.onWaiting);
    this.video.src = this.url;
    void this.video.play().catch(() => {});
  }

  stop(): void {
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('stalled', this.onWaiting);
    this.video.removeAttribute('src');
    this.video.load();
  }
}
