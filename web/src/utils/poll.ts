/* utils/poll.ts - the refresh rhythms of the pages, in one place.
 *
 * POLL_MS: a job that runs on the server (a batch) is re-read once a second while it runs.
 * FALLBACK_POLL_MS: a page that may not subscribe to the event stream re-reads its numbers
 * this often instead. LIVE_GAP_MS: a live page re-reads what events made stale at most
 * once per gap (two refreshes a second however many events arrive).
 */
export const POLL_MS = 1000;
export const FALLBACK_POLL_MS = 30_000;
export const LIVE_GAP_MS = 500;

/** Calls run again POLL_MS (or ms) after each call while want() is true; start() arms it
 * (no-op while armed), stop() disarms it for good. run's errors are its own business. */
export class Poller {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly want: () => boolean,
    private readonly ms = POLL_MS,
  ) {}

  start(): void {
    if (this.timer || this.stopped || !this.want()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run().finally(() => this.start());
    }, this.ms);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
