// The preview socket's binary messages (libs/contracts/.../previews.py): a JPEG (starts FF D8)
// or one framed H.264 access unit: kind byte, timestamp in µs (u64 big-endian), Annex B bytes.
// Pure functions, so the framing is tested without a browser.
import type { PreviewConfig, PreviewFormat } from "./api/client";

import { H264_DELTA, H264_HEADER_BYTES, H264_KEY } from "./api/constants";

export { H264_DELTA, H264_HEADER_BYTES, H264_KEY };

export type H264Unit = {
  type: "h264";
  key: boolean;
  /** the source's timestamp, microseconds (starts again after a camera reconnect) */
  timestampUs: number;
  /** the Annex B bytes (a view into the message, not a copy) */
  data: Uint8Array<ArrayBuffer>;
};
export type JpegFrame = { type: "jpeg"; data: Uint8Array<ArrayBuffer> };
export type BinaryMessage = H264Unit | JpegFrame;

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** What one binary message is, or null if it is neither a JPEG nor a well-formed unit. */
export function parseBinary(message: ArrayBuffer): BinaryMessage | null {
  const bytes = new Uint8Array(message);
  if (isJpeg(bytes)) return { type: "jpeg", data: bytes };
  if (bytes.length <= H264_HEADER_BYTES) return null; // a header with no picture bytes
  const kind = bytes[0];
  if (kind !== H264_KEY && kind !== H264_DELTA) return null;
  const timestamp = new DataView(message, 1, 8).getBigUint64(0, false);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return null; // 285 years of µs: garbage
  return {
    type: "h264",
    key: kind === H264_KEY,
    timestampUs: Number(timestamp),
    data: bytes.subarray(H264_HEADER_BYTES),
  };
}

/** A PreviewConfig text message, or null for anything else (status messages included). */
export function parseConfig(text: string): PreviewConfig | null {
  try {
    const value = JSON.parse(text) as Partial<PreviewConfig> | null;
    if (value && value.type === "config" && typeof value.codec === "string" && value.codec) {
      return { type: "config", codec: value.codec, width: value.width ?? null, height: value.height ?? null };
    }
  } catch {
    // not JSON: not a config
  }
  return null;
}

type DecodingScope = { isSecureContext?: boolean; VideoDecoder?: unknown };

/** WebCodecs is there (it exists only in secure contexts: https or localhost). */
export function canDecodeH264(scope: DecodingScope = window as DecodingScope): boolean {
  return scope.isSecureContext === true && typeof scope.VideoDecoder !== "undefined";
}

/** The format this page asks the previewer for: H.264 if it can decode it, else JPEG. */
export function wantedFormat(scope?: DecodingScope): PreviewFormat {
  return canDecodeH264(scope) ? "h264" : "jpeg";
}

export const FORMAT_LABELS: Record<PreviewFormat, string> = {
  h264: "H.264 · decoded in the browser",
  jpeg: "JPEG",
};
