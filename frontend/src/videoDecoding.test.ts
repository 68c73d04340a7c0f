// The feeding rules, with a stand-in for WebCodecs (Node has none); the real decoder is
// exercised by tests/ui/test_preview_formats.py in Chromium.
import { describe, expect, it } from "vitest";

import type { PreviewConfig } from "./api/client";
import type { H264Unit } from "./h264";
import { type Codecs, type DecoderLike, MAX_QUEUE, UnitDecoder } from "./videoDecoding";

type Chunk = { type: "key" | "delta"; timestamp: number };

class FakeDecoder implements DecoderLike {
  state: CodecState = "unconfigured";
  queue: Chunk[] = [];
  configs: VideoDecoderConfig[] = [];
  constructor(readonly init: VideoDecoderInit) {}
  get decodeQueueSize() {
    return this.queue.length;
  }
  configure(config: VideoDecoderConfig) {
    this.configs.push(config);
    this.state = "configured";
  }
  decode(chunk: EncodedVideoChunk) {
    this.queue.push(chunk as unknown as Chunk);
  }
  close() {
    this.state = "closed";
  }
  reset() {
    this.queue = []; // pending work is dropped, no output for it
    this.state = "unconfigured";
  }
  /** the decoder catches up: every queued chunk comes out as a frame */
  drain() {
    for (const chunk of this.queue.splice(0)) {
      this.init.output({ timestamp: chunk.timestamp, close() {} } as unknown as VideoFrame);
    }
  }
}

function setUp(supported = true) {
  const decoders: FakeDecoder[] = [];
  const asked: VideoDecoderConfig[] = [];
  const codecs: Codecs = {
    isConfigSupported: async (config) => {
      asked.push(config);
      return { supported, config };
    },
    createDecoder: (init) => {
      const d = new FakeDecoder(init);
      decoders.push(d);
      return d;
    },
    createChunk: (init) => ({ type: init.type, timestamp: init.timestamp }) as unknown as EncodedVideoChunk,
  };
  const frames: number[] = [];
  const failures: string[] = [];
  const decoder = new UnitDecoder(
    (frame) => {
      frames.push(frame.timestamp);
      frame.close();
    },
    (why) => failures.push(why),
    codecs,
  );
  return { decoder, decoders, asked, frames, failures };
}

const CONFIG: PreviewConfig = { type: "config", codec: "avc1.42C01E", width: 1280, height: 720 };
const key = (t: number): H264Unit => ({ type: "h264", key: true, timestampUs: t, data: new Uint8Array([0, 0, 1, 0x65]) });
const delta = (t: number): H264Unit => ({ type: "h264", key: false, timestampUs: t, data: new Uint8Array([0, 0, 1, 0x41]) });
const decodedTimestamps = (d: FakeDecoder) => d.queue.map((c) => `${c.type[0]}${c.timestamp}`);

describe("UnitDecoder", () => {
  it("configures for low latency without a description (Annex B)", async () => {
    const { decoder, decoders, asked } = setUp();
    await decoder.configure(CONFIG);
    expect(asked).toEqual([{ codec: "avc1.42C01E", optimizeForLatency: true }]);
    expect(decoders[0]!.configs).toEqual([{ codec: "avc1.42C01E", optimizeForLatency: true }]);
  });

  it("keeps the units that arrive while it configures, from the newest key on", async () => {
    const { decoder, decoders } = setUp();
    const configured = decoder.configure(CONFIG);
    decoder.push(delta(0)); // before any key: useless
    decoder.push(key(40));
    decoder.push(delta(80));
    await configured;
    expect(decodedTimestamps(decoders[0]!)).toEqual(["k40", "d80"]);
  });

  it("never decodes a delta before the first key", async () => {
    const { decoder, decoders } = setUp();
    await decoder.configure(CONFIG);
    decoder.push(delta(0));
    decoder.push(delta(40));
    decoder.push(key(80));
    decoder.push(delta(120));
    expect(decodedTimestamps(decoders[0]!)).toEqual(["k80", "d120"]);
    expect(decoder.dropped).toBe(2);
  });

  it("drops deltas until the next key when the decoder falls behind", async () => {
    const { decoder, decoders, frames } = setUp();
    await decoder.configure(CONFIG);
    const d = decoders[0]!;
    decoder.push(key(0));
    for (let i = 1; i <= MAX_QUEUE + 3; i++) decoder.push(delta(i * 40)); // the decoder is stuck
    expect(d.decodeQueueSize).toBe(MAX_QUEUE);
    expect(decoder.dropped).toBe(4);
    d.drain();
    decoder.push(delta(9000)); // caught up, but a delta after a dropped one would be garbage
    expect(d.decodeQueueSize).toBe(0);
    decoder.push(key(10000));
    decoder.push(delta(10040));
    d.drain();
    const kept = Array.from({ length: MAX_QUEUE }, (_, i) => i * 40);
    expect(frames).toEqual([...kept, 10000, 10040]);
    expect(decoder.maxQueue).toBe(MAX_QUEUE);
  });

  it("lets a key unit replace a full queue, so it never holds more than MAX_QUEUE", async () => {
    const { decoder, decoders, frames } = setUp();
    await decoder.configure(CONFIG);
    const d = decoders[0]!;
    decoder.push(key(0));
    for (let i = 1; i < MAX_QUEUE; i++) decoder.push(delta(i * 40)); // full: the decoder is stuck
    decoder.push(delta(9000)); // dropped
    decoder.push(key(10000)); // a newer picture on its own: what waits is thrown away
    decoder.push(delta(10040));
    expect(decodedTimestamps(d)).toEqual(["k10000", "d10040"]);
    expect(d.configs).toHaveLength(2); // configured again after the reset
    expect(d.state).toBe("configured");
    expect(decoder.resets).toBe(1);
    expect(decoder.maxQueue).toBe(MAX_QUEUE);
    d.drain();
    expect(frames).toEqual([10000, 10040]);
  });

  it("fails once, for good, when the codec is not supported", async () => {
    const { decoder, decoders, failures } = setUp(false);
    await decoder.configure(CONFIG);
    decoder.push(key(0));
    await decoder.configure(CONFIG);
    expect(failures).toEqual(["this browser cannot decode avc1.42C01E"]);
    expect(decoders).toHaveLength(0);
  });

  it("fails for good on a decoder error, and closes the decoder", async () => {
    const { decoder, decoders, failures } = setUp();
    await decoder.configure(CONFIG);
    decoder.push(key(0));
    decoders[0]!.init.error(new DOMException("bad unit", "EncodingError"));
    decoder.push(key(40));
    expect(failures).toEqual(["decoder error: bad unit"]);
    expect(decoders[0]!.state).toBe("closed");
    expect(decodedTimestamps(decoders[0]!)).toEqual(["k0"]);
  });

  it("starts again at a key unit after a new config (the camera reconnected)", async () => {
    const { decoder, decoders } = setUp();
    await decoder.configure(CONFIG);
    decoder.push(key(0));
    decoders[0]!.drain();
    await decoder.configure({ ...CONFIG, codec: "avc1.64001F" });
    decoder.push(delta(0));
    decoder.push(key(0));
    expect(decoders).toHaveLength(1);
    expect(decoders[0]!.configs.map((c) => c.codec)).toEqual(["avc1.42C01E", "avc1.64001F"]);
    expect(decodedTimestamps(decoders[0]!)).toEqual(["k0"]);
  });
});
