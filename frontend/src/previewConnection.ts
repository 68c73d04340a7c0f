// One card's preview socket: asks for H.264 when the browser can decode it (WebCodecs), else
// JPEG; draws whatever arrives on the canvas; reconnects after a drop; falls back to JPEG for
// good when the browser's decoder cannot do this camera's H.264.
import type { PreviewFormat, PreviewStatus } from "./api/client";
import { CLOSE_NORMAL, CLOSE_UNKNOWN_SESSION } from "./api/constants";
import { FrameRate } from "./frameRate";
import { parseBinary, parseConfig, wantedFormat } from "./h264";
import { FrameDrawer, parseStatus, previewUrl } from "./preview";
import { UnitDecoder } from "./videoDecoding";

const RETRY_MS = 2000;
const FPS_EVERY_MS = 1000;

export type PreviewView = {
  status: PreviewStatus | null;
  /** why the preview ended (close CLOSE_NORMAL or CLOSE_UNKNOWN_SESSION), null while it runs */
  ended: string | null;
  /** what the socket carries now, as the server says (or the page saw) */
  format: PreviewFormat | null;
  /** why the page gave up on H.264, if it did */
  fallback: string | null;
  /** frames per second this page drew over the last window (FrameRate): what the overlay shows */
  drawnFps: number | null;
  /** when drawnFps was measured (performance.now(), ms): its window is the 2 s before */
  drawnAt: number | null;
};

type Picture = { source: CanvasImageSource; width: number; height: number };

export class PreviewConnection {
  private socket: WebSocket | null = null;
  private decoder: UnitDecoder | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private fpsTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private readonly rate = new FrameRate();
  private readonly jpegs: FrameDrawer<ImageBitmap>;
  private view: PreviewView = { status: null, ended: null, format: null, fallback: null, drawnFps: null, drawnAt: null };
  private drawn = 0;

  constructor(
    private readonly sessionId: string,
    private readonly canvas: () => HTMLCanvasElement | null,
    private readonly onView: (view: PreviewView) => void,
  ) {
    this.jpegs = new FrameDrawer<ImageBitmap>(
      (blob) => createImageBitmap(blob),
      (bitmap) => {
        this.draw({ source: bitmap, width: bitmap.width, height: bitmap.height });
        bitmap.close();
      },
    );
  }

  start(): void {
    this.fpsTimer = setInterval(() => {
      const now = performance.now();
      this.update({ drawnFps: this.rate.rate(now), drawnAt: now });
    }, FPS_EVERY_MS);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.jpegs.close();
    this.dropSocket();
    if (this.retry) clearTimeout(this.retry);
    if (this.fpsTimer) clearInterval(this.fpsTimer);
  }

  private connect(): void {
    if (this.stopped) return;
    const format = this.view.fallback ? "jpeg" : wantedFormat();
    this.rate.reset(); // a new stream, with its own join burst
    this.update({
      status: this.view.status ? { ...this.view.status, state: "connecting" } : null,
      drawnFps: null,
    });
    const socket = new WebSocket(previewUrl(window.location, this.sessionId, format));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onmessage = (message: MessageEvent<ArrayBuffer | string>) => {
      if (typeof message.data === "string") this.text(message.data);
      else this.binary(message.data);
    };
    socket.onclose = (event) => {
      if (this.stopped || socket !== this.socket) return;
      this.dropSocket();
      if (event.code === CLOSE_NORMAL || event.code === CLOSE_UNKNOWN_SESSION) {
        this.update({ ended: event.reason || "the preview ended" });
        return;
      }
      const status = { ...(this.view.status ?? { type: "status" }), state: "reconnecting" } as PreviewStatus;
      this.update({ status });
      this.retry = setTimeout(() => this.connect(), RETRY_MS);
    };
  }

  private text(data: string): void {
    const status = parseStatus(data);
    if (status) {
      this.update({ status, ...(status.format ? { format: status.format } : {}) });
      return;
    }
    const config = parseConfig(data);
    if (config && !this.view.fallback) {
      this.decoder ??= new UnitDecoder(
        (frame) => {
          this.draw({ source: frame, width: frame.displayWidth, height: frame.displayHeight });
          frame.close();
        },
        (why) => this.fallBack(why),
      );
      void this.decoder.configure(config);
    }
  }

  private binary(data: ArrayBuffer): void {
    const message = parseBinary(data);
    if (!message) return; // neither a JPEG nor a framed unit: nothing to draw
    if (message.type === "jpeg") {
      if (this.view.format !== "jpeg") this.update({ format: "jpeg" }); // what it carries, whatever was asked
      this.jpegs.push(new Blob([message.data], { type: "image/jpeg" }));
    } else {
      if (this.view.format !== "h264") this.update({ format: "h264" });
      this.decoder?.push(message); // before a config there is no decoder: nothing to do
    }
  }

  /** The decoder cannot do it: JPEG from now on, on a new socket, at once. */
  private fallBack(why: string): void {
    if (this.stopped || this.view.fallback) return;
    console.warn(`preview ${this.sessionId}: falling back to JPEG: ${why}`);
    this.update({ fallback: why, format: "jpeg", drawnFps: null });
    this.dropSocket();
    this.connect();
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.decoder?.close();
    this.decoder = null;
    if (socket) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.close();
    }
  }

  private draw(picture: Picture): void {
    const el = this.canvas();
    const ctx = el?.getContext("2d");
    if (!el || !ctx) return;
    if (el.width !== picture.width || el.height !== picture.height) {
      el.width = picture.width;
      el.height = picture.height;
    }
    ctx.drawImage(picture.source, 0, 0);
    this.drawn += 1;
    this.rate.tick(performance.now());
    // For tests and anyone debugging: what the page did with the units it got.
    el.dataset.framesDrawn = String(this.drawn);
    if (this.decoder) {
      el.dataset.unitsDropped = String(this.decoder.dropped);
      el.dataset.decodeQueueMax = String(this.decoder.maxQueue);
      el.dataset.decoderResets = String(this.decoder.resets);
    }
  }

  private update(patch: Partial<PreviewView>): void {
    this.view = { ...this.view, ...patch };
    this.onView(this.view);
  }
}
