/* features/stats/throttle.ts - coalesces refresh requests.
 *
 * Callers mark what became stale (a set of keys); the runner is called with everything
 * marked since its last call, never twice at once, and starts at most once per gap (500 ms:
 * at most two refreshes a second however many events arrive). A mark during a run is kept
 * for the next run, so nothing marked is ever lost.
 */
export class RefreshThrottle<K> {
  private readonly run: (keys: Set<K>) => Promise<void>;
  private readonly gapMs: number;
  private pending = new Set<K>();
  private running = false;
  private lastStart = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(run: (keys: Set<K>) => Promise<void>, gapMs = 500) {
    this.run = run;
    this.gapMs = gapMs;
  }

  mark(...keys: K[]): void {
    if (this.stopped) return;
    for (const k of keys) this.pending.add(k);
    this.schedule();
  }

  /** True while a run is going or one is due. */
  get busy(): boolean {
    return this.running || this.timer !== null;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.running || this.timer || !this.pending.size || this.stopped) return;
    const wait = Math.max(0, this.lastStart + this.gapMs - Date.now());
    this.timer = setTimeout(() => void this.fire(), wait);
  }

  private async fire(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    const keys = this.pending;
    this.pending = new Set<K>();
    this.running = true;
    this.lastStart = Date.now();
    try {
      await this.run(keys);
    } catch {
      /* the runner reports its own errors */
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
