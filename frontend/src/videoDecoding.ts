// H.264 units from the preview socket, decoded by the browser (WebCodecs). The decoder is fed
// so the picture never lags: no delta before the first key unit; when the decoder falls behind
// (MAX_QUEUE units waiting) deltas are dropped until the next key unit, and that key unit
// replaces what still waits (reset, then decode it): the queue never holds more than MAX_QUEUE.
// Any failure (codec not supported, decoder error) is reported once; the caller then falls
// back to JPEG for good.
import type { PreviewConfig } from "./api/client";
import type { H264Unit } from "./h264";

/** Units the decoder may have waiting before deltas are dropped: at 25 fps, 320 ms of lag,
 * the same 8 units the previewer lets a viewer be behind (MAX_LIVE_UNITS). At 3, on this
 * 2-core machine under load (load average 5-9), the queue touched 3 in steady state in 2 of 8
 * browser-test runs and once dropped deltas: the picture stood still up to a GOP (2 s) until
 * the next key unit, and once for 1.9 s after the 5 s stall test. */
export const MAX_QUEUE = 8;
/** Units kept while the decoder is being configured (from the newest key unit on). */
const MAX_PENDING = 60;

/** The part of WebCodecs used here, so the feeding rules are tested without a browser. */
export interface Codecs {
  isConfigSupported(config: VideoDecoderConfig): Promise<VideoDecoderSupport>;
  createDecoder(init: VideoDecoderInit): DecoderLike;
  createChunk(init: EncodedVideoChunkInit): EncodedVideoChunk;
}

export interface DecoderLike {
  readonly state: CodecState;
  readonly decodeQueueSize: number;
  configure(config: VideoDecoderConfig): void;
  decode(chunk: EncodedVideoChunk): void;
  reset(): void;
  close(): void;
}

export const browserCodecs: Codecs = {
  isConfigSupported: (config) => VideoDecoder.isConfigSupported(config),
  createDecoder: (init) => new VideoDecoder(init),
  createChunk: (init) => new EncodedVideoChunk(init),
};

export function decoderConfig(config: PreviewConfig): VideoDecoderConfig {
  // No `description`: the units are Annex B, SPS and PPS in band with every key unit.
  return { codec: config.codec, optimizeForLatency: true };
}

export class UnitDecoder {
  decoded = 0;
  dropped = 0;
  /** the largest decodeQueueSize seen right after a decode() call */
  maxQueue = 0;
  /** key units that replaced a full queue (a stale backlog thrown away) */
  resets = 0;
  private decoder: DecoderLike | null = null;
  private config: VideoDecoderConfig | null = null;
  private configuring = 0; // generation of the newest configure; units wait while it runs
  private ready = false;
  private pending: H264Unit[] = [];
  private needKey = true;
  private failed = false;

  constructor(
    private readonly onFrame: (frame: VideoFrame) => void,
    private readonly onFail: (why: string) => void,
    private readonly codecs: Codecs = browserCodecs,
  ) {}

  /** A PreviewConfig arrived: (re)configure. Units pushed meanwhile wait, from a key on. */
  async configure(config: PreviewConfig): Promise<void> {
    if (this.failed) return;
    const generation = ++this.configuring;
    this.ready = false;
    const wanted = decoderConfig(config);
    let supported = false;
    try {
      supported = (await this.codecs.isConfigSupported(wanted)).supported === true;
    } catch (error) {
      return this.fail(`cannot check ${config.codec}: ${String(error)}`);
    }
    if (this.failed || generation !== this.configuring) return; // closed, or a newer config
    if (!supported) return this.fail(`this browser cannot decode ${config.codec}`);
    try {
      if (!this.decoder) {
        this.decoder = this.codecs.createDecoder({
          output: (frame) => this.output(frame),
          error: (error) => this.fail(`decoder error: ${error.message}`),
        });
      }
      this.decoder.configure(wanted);
      this.config = wanted;
    } catch (error) {
      return this.fail(`cannot configure ${config.codec}: ${String(error)}`);
    }
    this.ready = true;
    this.needKey = true; // a (re)configured decoder starts at a key unit
    const waiting = this.pending;
    this.pending = [];
    for (const unit of waiting) this.push(unit);
  }

  push(unit: H264Unit): void {
    if (this.failed) return;
    if (!this.ready) {
      if (unit.key) this.pending = [unit];
      else if (this.pending.length > 0) this.pending.push(unit);
      if (this.pending.length > MAX_PENDING) this.pending = []; // wait for the next key
      return;
    }
    const decoder = this.decoder;
    if (!decoder || decoder.state !== "configured") return;
    if (!unit.key && (this.needKey || decoder.decodeQueueSize >= MAX_QUEUE)) {
      this.dropped += 1;
      this.needKey = true; // a delta after a dropped one would decode to garbage
      return;
    }
    try {
      if (unit.key && decoder.decodeQueueSize >= MAX_QUEUE && this.config) {
        // What waits is older than this picture, which needs none of it: throw it away.
        decoder.reset();
        decoder.configure(this.config);
        this.resets += 1;
      }
      decoder.decode(
        this.codecs.createChunk({ type: unit.key ? "key" : "delta", timestamp: unit.timestampUs, data: unit.data }),
      );
    } catch (error) {
      return this.fail(`cannot decode: ${String(error)}`);
    }
    this.needKey = false;
    this.maxQueue = Math.max(this.maxQueue, decoder.decodeQueueSize);
  }

  close(): void {
    this.failed = true; // nothing more is decoded or reported
    this.pending = [];
    const decoder = this.decoder;
    this.decoder = null;
    if (decoder && decoder.state !== "closed") decoder.close();
  }

  private output(frame: VideoFrame): void {
    if (this.failed) {
      frame.close();
      return;
    }
    this.decoded += 1;
    this.onFrame(frame); // the callee closes it
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.close();
    this.onFail(why);
  }
}
