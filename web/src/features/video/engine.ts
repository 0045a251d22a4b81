/* features/video/engine.ts - what the player component needs from a playback engine, and
 * which engine a browser can use for a codec (issue 9, design §5.4).
 *
 * Engines: "mse" (our own appender of the continuous fMP4 stream live.mp4: lowest latency),
 * "hls" (hls.js on the LL-HLS playlist, for browsers whose MediaSource flavour only hls.js
 * drives, e.g. ManagedMediaSource), "native" (the browser's own HLS: Safari), "snapshot"
 * (none can decode the codec, e.g. H.265 in Chromium: a JPEG refreshed every few seconds).
 * The codec may be unknown before the session's first init segment: then "mse" is tried and
 * reports the codec it reads from the init segment (onUnsupported when MSE refuses it). */
import Hls from 'hls.js/light';

export type EngineState = 'connecting' | 'playing' | 'reconnecting';
export type EngineKind = 'mse' | 'hls' | 'native' | 'snapshot';

export interface EngineEvents {
  onState(s: EngineState): void;
  /** The codec read from the stream (RFC 6381). */
  onCodec(codec: string): void;
  /** This engine cannot decode the stream's codec; it has stopped. */
  onUnsupported(codec: string): void;
  /** A media URL answered an HTTP error the engine does not retry by itself (403, 404, 503):
   * the engine has stopped; the owner may get a new play link and start again. */
  onHttpError(status: number): void;
}

export interface LiveEngine {
  readonly kind: EngineKind;
  start(): void;
  stop(): void;
}

export function mp4Type(codec: string): string {
  return `video/mp4; codecs="${codec}"`;
}

/** MediaSource (or ManagedMediaSource) can take fMP4 of this codec. */
export function mseCanTake(codec: string): boolean {
  return typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(mp4Type(codec));
}

function managedCanTake(codec: string): boolean {
  const mms = (globalThis as unknown as { ManagedMediaSource?: { isTypeSupported(t: string): boolean } }).ManagedMediaSource;
  return !!mms && mms.isTypeSupported(mp4Type(codec));
}

/** The engine for a codec in this browser; force picks one when it can work (tests, diagnosis). */
export function pickEngine(codec: string | null, video: HTMLVideoElement, force?: EngineKind | null): EngineKind {
  const can: Record<EngineKind, boolean> = {
    mse: typeof MediaSource !== 'undefined' && (codec === null || mseCanTake(codec)),
    hls: Hls.isSupported() && (codec === null || mseCanTake(codec) || managedCanTake(codec)),
    native: video.canPlayType('application/vnd.apple.mpegurl') !== '' && (codec === null || video.canPlayType(mp4Type(codec)) !== ''),
    snapshot: true,
  };
  if (force && can[force]) return force;
  if (can.mse) return 'mse';
  if (can.hls) return 'hls';
  if (can.native) return 'native';
  return 'snapshot';
}
