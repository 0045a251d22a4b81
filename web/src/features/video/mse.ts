/* features/video/mse.ts - the MSE engine: the continuous fMP4 stream (live.mp4) appended to a
 * SourceBuffer (issue 9, design §5.4; the MSE facts of §4).
 *
 * fetch + ReadableStream → BoxSplitter → SourceBuffer.appendBuffer, one piece at a time (the
 * reader waits for each append: backpressure is the network's). Every init segment (ftyp +
 * moov; a new one comes in-band after the gateway reconnected to the camera, and the codec or
 * size may have changed) gets a new MediaSource and SourceBuffer, so timestamps restart
 * cleanly. After each append: the buffer is trimmed behind the play head (KEEP_BEHIND_S), and
 * when the play head is more than LIVE_LAG_S behind the newest data (a late start at the
 * ring's keyframe, a stall, a background tab) it jumps to live. A QuotaExceededError trims
 * harder and tries once more. When the reply ends or fails the engine reconnects with
 * back-off (1 s doubling to 10 s); 403/404/503 are handed to the owner (onHttpError). */
import { BoxSplitter, codecOfInit, type Piece } from './boxes';
import { mp4Type, mseCanTake, type EngineEvents, type LiveEngine } from './engine';

export const LIVE_LAG_S = 1.0;
const LIVE_TARGET_S = 0.3; /* where a jump to live lands, behind the newest data */
const KEEP_BEHIND_S = 10;
const TRIM_TO_S = 4;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10000;
const GIVE_BACK = new Set([403, 404, 409, 503]);

function once(target: EventTarget, type: string): Promise<void> {
  return new Promise((resolve) => target.addEventListener(type, () => resolve(), { once: true }));
}

export class MseEngine implements LiveEngine {
  readonly kind = 'mse' as const;
  private readonly video: HTMLVideoElement;
  private readonly url: string;
  private readonly ev: EngineEvents;
  private stopped = true;
  private abort: AbortController | null = null;
  private ms: MediaSource | null = null;
  private sb: SourceBuffer | null = null;
  private objectUrl: string | null = null;
  private playing = false;
  private sleepTimer: ReturnType<typeof setTimeout> | null = null;
  private wake: (() => void) | null = null;

  constructor(video: HTMLVideoElement, url: string, ev: EngineEvents) {
    this.video = video;
    this.url = url;
    this.ev = ev;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.abort = null;
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    this.detach();
  }

  private async run(): Promise<void> {
    let retry = RETRY_MIN_MS;
    this.ev.onState('connecting');
    while (!this.stopped) {
      const ctl = new AbortController();
      this.abort = ctl;
      try {
        const r = await fetch(this.url, { signal: ctl.signal, cache: 'no-store', credentials: 'omit' });
        if (!r.ok || !r.body) {
          await r.body?.cancel().catch(() => {});
          if (GIVE_BACK.has(r.status)) {
            this.stop();
            this.ev.onHttpError(r.status);
            return;
          }
        } else {
          const reader = r.body.getReader();
          const split = new BoxSplitter();
          for (;;) {
            const { done, value } = await reader.read();
            if (done || this.stopped) break;
            for (const p of split.push(value)) {
              if (!(await this.piece(p))) return;
              retry = RETRY_MIN_MS;
            }
          }
        }
      } catch {
        /* network error, abort, a broken box or a failed append: reconnect */
      }
      if (this.stopped) return;
      this.playing = false;
      this.ev.onState('reconnecting');
      await this.sleep(retry);
      retry = Math.min(retry * 2, RETRY_MAX_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  /** One piece of the stream; false when the engine stopped for good (unsupported codec). */
  private async piece(p: Piece): Promise<boolean> {
    if (p.kind === 'init') {
      const codec = codecOfInit(p.data);
      if (!codec || !mseCanTake(codec)) {
        this.stop();
        this.ev.onUnsupported(codec ?? 'unknown');
        return false;
      }
      this.ev.onCodec(codec);
      await this.attach(codec);
      await this.append(p.data);
      return true;
    }
    if (!this.sb) return true; /* media before any init segment: cannot be decoded */
    await this.append(p.data);
    this.followLive();
    await this.trim();
    if (!this.playing && this.sb.buffered.length > 0) {
      this.playing = true;
      this.video.play().catch(() => {});
      this.ev.onState('playing');
    }
    return true;
  }

  /** A new MediaSource with one SourceBuffer for codec, attached to the video. */
  private async attach(codec: string): Promise<void> {
    this.detach();
    const ms = new MediaSource();
    this.ms = ms;
    this.objectUrl = URL.createObjectURL(ms);
    this.video.src = this.objectUrl;
    await once(ms, 'sourceopen');
    if (this.ms !== ms) throw new Error('detached');
    this.sb = ms.addSourceBuffer(mp4Type(codec));
    this.sb.mode = 'segments';
  }

  private detach(): void {
    this.sb = null;
    this.ms = null;
    if (this.objectUrl) {
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = null;
      this.video.removeAttribute('src');
      this.video.load();
    }
  }

  private async append(data: Uint8Array): Promise<void> {
    const sb = this.sb;
    if (!sb) return;
    try {
      await this.run1(sb, () => sb.appendBuffer(data as BufferSource));
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'QuotaExceededError')) throw e;
      await this.trim(true);
      await this.run1(sb, () => sb.appendBuffer(data as BufferSource));
    }
  }

  /** Runs one SourceBuffer operation and waits for its updateend (error: throws). */
  private async run1(sb: SourceBuffer, op: () => void): Promise<void> {
    if (sb.updating) await once(sb, 'updateend');
    const done = new Promise<void>((resolve, reject) => {
      const ok = () => {
        sb.removeEventListener('error', bad);
        resolve();
      };
      const bad = () => {
        sb.removeEventListener('updateend', ok);
        reject(new Error('SourceBuffer error'));
      };
      sb.addEventListener('updateend', ok, { once: true });
      sb.addEventListener('error', bad, { once: true });
    });
    op();
    await done;
  }

  /** Jumps to live when the play head is behind the newest range by more than LIVE_LAG_S or
   * outside it (a late start, a gap). */
  private followLive(): void {
    const b = this.sb?.buffered;
    if (!b || b.length === 0) return;
    const start = b.start(b.length - 1);
    const end = b.end(b.length - 1);
    const t = this.video.currentTime;
    if (t < start || end - t > LIVE_LAG_S) this.video.currentTime = Math.max(start, end - LIVE_TARGET_S);
  }

  /** Removes what is more than KEEP_BEHIND_S behind the play head (hard: all but 1 s). */
  private async trim(hard = false): Promise<void> {
    const sb = this.sb;
    if (!sb || sb.buffered.length === 0) return;
    const t = this.video.currentTime;
    const first = sb.buffered.start(0);
    const upTo = hard ? t - 1 : t - TRIM_TO_S;
    if ((hard || t - first > KEEP_BEHIND_S) && upTo > first) await this.run1(sb, () => sb.remove(first, upTo));
  }
}
