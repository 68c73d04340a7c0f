// Frames per second the page itself drew, over a sliding window: what the preview's overlay
// shows on either path (the server's own figure counts what it sent, not what was drawn).

export class FrameRate {
  private times: number[] = [];
  private first: number | null = null;

  constructor(private readonly windowMs = 2000) {}

  /** A frame was drawn at `now` (ms, monotonic). */
  tick(now: number): void {
    this.first ??= now;
    this.times.push(now);
    this.trim(now);
  }

  /** A new stream: measure afresh. */
  reset(): void {
    this.times = [];
    this.first = null;
  }

  /** The frames drawn in the window (now - windowMs, now], per second. Null until a whole
   * window has passed since the first frame: a partial one would extrapolate the burst a
   * viewer gets when it joins (the pictures since the last keyframe, drawn at once). 0 when
   * the picture stands still. */
  rate(now: number): number | null {
    if (this.first === null || now - this.first < this.windowMs) return null;
    this.trim(now);
    return (this.times.length * 1000) / this.windowMs;
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] ?? now) <= now - this.windowMs) drop += 1;
    if (drop) this.times.splice(0, drop);
  }
}
