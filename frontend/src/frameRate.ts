// Frames per second the page itself drew, over a sliding window (for the H.264 path, where
// the server's fps counts units sent, not pictures shown).

export class FrameRate {
  private times: number[] = [];
  private ticked = false;

  constructor(private readonly windowMs = 2000) {}

  /** A frame was drawn at `now` (ms, monotonic). */
  tick(now: number): void {
    this.ticked = true;
    this.times.push(now);
    this.trim(now);
  }

  /** Frames per second over the window ending at `now`: null before the first frame, 0 when
   * fewer than two were drawn in the window (the picture stands still). */
  rate(now: number): number | null {
    if (!this.ticked) return null;
    this.trim(now);
    const first = this.times[0];
    if (first === undefined || this.times.length < 2) return 0;
    return ((this.times.length - 1) * 1000) / Math.max(now - first, 1);
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] ?? now) < now - this.windowMs) drop += 1;
    if (drop) this.times.splice(0, drop);
  }
}
