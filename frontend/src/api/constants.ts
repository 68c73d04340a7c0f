// Generated from camrec_contracts by ./scripts/gen-client: do not edit.

/** Recording states in which a recording still runs. */
export const ACTIVE_STATES = ["starting", "recording", "reconnecting", "finalizing"] as const;

/** The duration buttons, in seconds. */
export const RECORDING_PRESETS_S = [60, 300, 3600, 5400, 7200] as const;

/** Preview socket: the session closed. */
export const CLOSE_NORMAL = 1000;

/** Preview socket: no such session (or it is closed). */
export const CLOSE_UNKNOWN_SESSION = 4404;

/** Preview socket: the previewer could not ask the proxy about the session. */
export const CLOSE_UNAVAILABLE = 4503;

/** Kind byte of a framed H.264 key unit. */
export const H264_KEY = 1;

/** Kind byte of any other framed H.264 unit. */
export const H264_DELTA = 2;

/** A framed H.264 unit's header: kind (1 byte) and timestamp (u64 µs, big-endian). */
export const H264_HEADER_BYTES = 9;
