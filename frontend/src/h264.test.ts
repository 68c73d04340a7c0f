import { describe, expect, it } from "vitest";

import { canDecodeH264, H264_DELTA, H264_KEY, parseBinary, parseConfig, wantedFormat } from "./h264";
import { previewUrl } from "./preview";

function unit(kind: number, timestamp: bigint, payload: number[]): ArrayBuffer {
  const buf = new ArrayBuffer(9 + payload.length);
  const view = new DataView(buf);
  view.setUint8(0, kind);
  view.setBigUint64(1, timestamp, false);
  new Uint8Array(buf, 9).set(payload);
  return buf;
}

describe("parseBinary", () => {
  it("reads a framed key unit: kind, big-endian µs timestamp, the Annex B bytes", () => {
    // 0x0000_0102_0304_0506 µs, written by hand big-endian so a little-endian read would fail
    const buf = new Uint8Array([H264_KEY, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 0x67]).buffer;
    const parsed = parseBinary(buf);
    expect(parsed).toEqual({
      type: "h264",
      key: true,
      timestampUs: 0x0102_0304_0506,
      data: new Uint8Array([0, 0, 0, 1, 0x67]),
    });
  });

  it("reads a delta unit, its bytes a view (no copy) and timestamps up to 2^53 - 1", () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    const buf = unit(H264_DELTA, max, [0, 0, 1, 0x41, 0x9a]);
    const parsed = parseBinary(buf);
    expect(parsed?.type).toBe("h264");
    if (parsed?.type !== "h264") return;
    expect(parsed.key).toBe(false);
    expect(parsed.timestampUs).toBe(Number.MAX_SAFE_INTEGER);
    expect(parsed.data.buffer).toBe(buf);
    expect(Array.from(parsed.data)).toEqual([0, 0, 1, 0x41, 0x9a]);
  });

  it("tells a JPEG by its FF D8 start, whatever follows", () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    expect(parseBinary(jpeg.buffer)).toEqual({ type: "jpeg", data: jpeg });
    expect(parseBinary(new Uint8Array([0xff, 0xd8]).buffer)?.type).toBe("jpeg");
  });

  it("rejects short and garbage messages", () => {
    expect(parseBinary(new ArrayBuffer(0))).toBeNull();
    expect(parseBinary(new Uint8Array([0xff]).buffer)).toBeNull();
    expect(parseBinary(unit(H264_KEY, 5n, []))).toBeNull(); // a header and no picture
    expect(parseBinary(new Uint8Array([H264_KEY, 0, 0, 0]).buffer)).toBeNull(); // cut header
    expect(parseBinary(unit(0, 5n, [1, 2, 3]))).toBeNull(); // unknown kind
    expect(parseBinary(unit(3, 5n, [1, 2, 3]))).toBeNull();
    expect(parseBinary(unit(0xff, 5n, [1, 2, 3]))).toBeNull(); // FF but not FF D8
    expect(parseBinary(unit(H264_KEY, 1n << 60n, [1]))).toBeNull(); // no real timestamp
  });
});

describe("parseConfig", () => {
  it("reads config messages only", () => {
    expect(parseConfig('{"type":"config","codec":"avc1.42C01E","width":1280,"height":720}')).toEqual({
      type: "config",
      codec: "avc1.42C01E",
      width: 1280,
      height: 720,
    });
    expect(parseConfig('{"type":"config","codec":"avc1.64001F"}')?.width).toBeNull();
    expect(parseConfig('{"type":"status","state":"live"}')).toBeNull();
    expect(parseConfig('{"type":"config","codec":""}')).toBeNull();
    expect(parseConfig('{"type":"config"}')).toBeNull();
    expect(parseConfig("null")).toBeNull();
    expect(parseConfig("{")).toBeNull();
  });
});

describe("the format asked for", () => {
  const decoder = class {};
  it("is H.264 only in a secure context with WebCodecs", () => {
    expect(canDecodeH264({ isSecureContext: true, VideoDecoder: decoder })).toBe(true);
    expect(canDecodeH264({ isSecureContext: false, VideoDecoder: decoder })).toBe(false);
    expect(canDecodeH264({ isSecureContext: true })).toBe(false);
    expect(canDecodeH264({})).toBe(false);
    expect(wantedFormat({ isSecureContext: true, VideoDecoder: decoder })).toBe("h264");
    expect(wantedFormat({ isSecureContext: true })).toBe("jpeg");
  });

  it("goes in the socket's URL", () => {
    const page = { protocol: "https:", host: "cam.example:8443" };
    expect(previewUrl(page, "abc", "h264")).toBe("wss://cam.example:8443/ws/preview/abc?format=h264");
    expect(previewUrl({ protocol: "http:", host: "127.0.0.1:8000" }, "abc")).toBe(
      "ws://127.0.0.1:8000/ws/preview/abc?format=jpeg",
    );
  });
});
