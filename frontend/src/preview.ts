// Preview frames: draw the newest, drop stale ones. A JPEG arriving while the previous one
// is still being decoded replaces any frame waiting behind it, so the picture never lags.
import type { PreviewFormat, PreviewStatus } from "./api/client";

export type Decode<I> = (jpeg: Blob) => Promise<I>;
export type Draw<I> = (image: I) => void;

export class FrameDrawer<I> {
  drawn = 0;
  dropped = 0;
  private decoding = false;
  private waiting: Blob | null = null;
  private closed = false;

  constructor(
    private readonly decode: Decode<I>,
    private readonly draw: Draw<I>,
  ) {}

  push(jpeg: Blob): void {
    if (this.closed) return;
    if (this.decoding) {
      if (this.waiting) this.dropped += 1;
      this.waiting = jpeg;
      return;
    }
    void this.run(jpeg);
  }

  close(): void {
    this.closed = true;
    this.waiting = null;
  }

  private async run(jpeg: Blob): Promise<void> {
    this.decoding = true;
    let next: Blob | null = jpeg;
    while (next && !this.closed) {
      this.waiting = null;
      try {
        const image = await this.decode(next);
        if (!this.closed) {
          this.draw(image);
          this.drawn += 1;
        }
      } catch {
        this.dropped += 1; // an undecodable frame: skip it
      }
      next = this.waiting;
    }
    this.decoding = false;
  }
}

export function parseStatus(data: string): PreviewStatus | null {
  try {
    const value = JSON.parse(data) as PreviewStatus;
    return value && value.type === "status" ? value : null;
  } catch {
    return null;
  }
}

export function previewUrl(
  location: { protocol: string; host: string },
  sessionId: string,
  format: PreviewFormat = "jpeg",
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/preview/${encodeURIComponent(sessionId)}?format=${format}`;
}
