/* api/events.ts - the live event stream GET /api/v1/events (Server-Sent Events).
 *
 * EventSource sends the session cookie (same origin) and resumes by itself with the
 * Last-Event-ID header after a dropped connection. When the server refuses the stream (an
 * HTTP error such as 401 closes an EventSource for good), this wrapper opens a new one
 * after a growing delay (2 s doubling to 30 s), resuming with ?last_event_id=. Payloads
 * carry counts and keys, never people; the server filters them by the caller's
 * subdistrict.
 *
 * States: "connecting" (first connection), "open", "reconnecting" (dropped or refused,
 * a new attempt is due), "closed" (stopped by the page).
 */

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveEvent {
  id: string;
  topic: string;
  data: unknown;
}

export interface LiveHandlers {
  /** Every event of the subscribed topics. */
  onEvent: (e: LiveEvent) => void;
  onState: (s: LiveState) => void;
  /** The stream is (again) open; reconnected is false only the first time. Events missed
   * while it was down are replayed by the server when it can, but a reader that keeps
   * derived numbers should re-read them here. */
  onOpen?: (reconnected: boolean) => void;
  /** The server refused the stream (for example the session ended). */
  onRefused?: () => void;
}

const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 30000;

export class LiveEvents {
  private readonly topics: string[];
  private readonly h: LiveHandlers;
  private es: EventSource | null = null;
  private lastId = '';
  private opened = false;
  private stopped = true;
  private retryMs = RETRY_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(topics: string[], handlers: LiveHandlers) {
    this.topics = topics;
    this.h = handlers;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.h.onState('connecting');
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.es?.close();
    this.es = null;
    this.h.onState('closed');
  }

  private url(): string {
    const p = new URLSearchParams({ topics: this.topics.join(',') });
    if (this.lastId) p.set('last_event_id', this.lastId);
    return `/api/v1/events?${p.toString()}`;
  }

  private connect(): void {
    const es = new EventSource(this.url());
    this.es = es;
    es.onopen = () => {
      if (this.es !== es) return;
      const reconnected = this.opened;
      this.opened = true;
      this.retryMs = RETRY_MIN_MS;
      this.h.onState('open');
      this.h.onOpen?.(reconnected);
    };
    es.onerror = () => {
      if (this.es !== es || this.stopped) return;
      this.h.onState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        // Refused (HTTP error or not an event stream): the browser gives up; we retry.
        es.close();
        this.es = null;
        this.h.onRefused?.();
        this.timer = setTimeout(() => {
          this.timer = null;
          if (!this.stopped) this.connect();
        }, this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      }
      // readyState CONNECTING: the browser reconnects by itself with Last-Event-ID.
    };
    for (const topic of this.topics) {
      es.addEventListener(topic, (ev: MessageEvent<string>) => {
        if (this.es !== es) return;
        if (ev.lastEventId) this.lastId = ev.lastEventId;
        let data: unknown = null;
        try {
          data = JSON.parse(ev.data);
        } catch {
          data = null;
        }
        this.h.onEvent({ id: ev.lastEventId, topic, data });
      });
    }
  }
}
