import { describe, expect, it } from "vitest";

import {
  driftLabel,
  durationLabel,
  formatBitrate,
  formatBytes,
  formatDuration,
  formatHeaderFps,
  formatMs,
  formatSeconds,
  frameIntervalsLabel,
  gapLabel,
  measuredLabel,
  progressShare,
  reconnectLabel,
  spanLabel,
  verdictClass,
} from "./format";

describe("format", () => {
  it("labels the duration buttons as the product names them", () => {
    expect([60, 300, 3600, 5400, 7200, null].map(durationLabel)).toEqual([
      "1 min",
      "5 min",
      "1 h",
      "1 h 30",
      "2 h",
      "Until stopped",
    ]);
  });
  it("shows durations as clock time", () => {
    expect(formatDuration(5.2)).toBe("0:05");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBe("–");
  });
  it("shows sizes in decimal units", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_500_000)).toBe("1.5 MB");
    expect(formatBytes(3_400_000_000)).toBe("3.4 GB");
    expect(formatBytes(undefined)).toBe("–");
  });
  it("computes progress only for timed recordings", () => {
    expect(progressShare(30, 60)).toBe(0.5);
    expect(progressShare(90, 60)).toBe(1);
    expect(progressShare(30, null)).toBeNull();
  });
  it("shows a header frame rate as stated", () => {
    expect(formatHeaderFps(25)).toBe("25");
    expect(formatHeaderFps(29.97)).toBe("29.97");
    expect(formatHeaderFps(null)).toBe("–");
  });
  it("shows bitrates in kbit/s below a megabit, else Mbit/s", () => {
    expect(formatBitrate(850.4)).toBe("850 kbit/s");
    expect(formatBitrate(2100)).toBe("2.1 Mbit/s");
    expect(formatBitrate(123_456)).toBe("123 Mbit/s");
    expect(formatBitrate(undefined)).toBe("–");
  });
  it("puts the measured frame rate next to what the header claims", () => {
    const measured = { fps: 25.02, bitrate_kbps: 2100 };
    expect(measuredLabel(measured, 25)).toBe("25.0 fps measured (header says 25) · 2.1 Mbit/s");
    expect(measuredLabel({ fps: 12.5, bitrate_kbps: 640 }, 30)).toBe(
      "12.5 fps measured (header says 30) · 640 kbit/s",
    );
    expect(measuredLabel(measured, null)).toBe("25.0 fps measured (header states none) · 2.1 Mbit/s");
    expect(measuredLabel({ fps: null, bitrate_kbps: 64 }, 25)).toBe(
      "no frame rate measured (header says 25) · 64 kbit/s",
    );
    expect(measuredLabel(null, 25)).toBe("measuring…");
    expect(measuredLabel(undefined, 25)).toBe("measuring…");
  });
  it("describes gaps and reconnects by where they are in the file", () => {
    expect(gapLabel({ at_s: 12.2, length_s: 3.14 })).toBe("at 0:12 for 3.1 s");
    expect(reconnectLabel({ at_s: 20, away_s: 4.24 })).toBe("at 0:20, source away 4.2 s");
    // after a recorder restart the drop's time is not known
    expect(reconnectLabel({ at_s: 20, away_s: null })).toBe("at 0:20, source away for an unknown time");
    expect(gapLabel({ at_s: 3725, length_s: 0.5 })).toBe("at 1:02:05 for 0.5 s");
  });
  it("names a class per verdict", () => {
    expect(verdictClass("clean")).toBe("health-clean");
    expect(verdictClass("has gaps")).toBe("health-has-gaps");
    expect(verdictClass("audio lost")).toBe("health-audio-lost");
    expect(verdictClass("interrupted")).toBe("health-interrupted");
  });
  it("shows frame intervals, spans and drift", () => {
    expect(frameIntervalsLabel(39.84, 40, 41.25)).toBe("min 39.8 · median 40.0 · max 41.3 ms");
    expect(frameIntervalsLabel(null, 40, null)).toBe("min – · median 40.0 · max – ms");
    expect(frameIntervalsLabel(null, null, undefined)).toBe("–");
    expect(formatMs(120)).toBe("120.0 ms");
    expect(formatSeconds(3.14159)).toBe("3.1 s");
    expect(spanLabel(0, 12.34)).toBe("0.0 s – 12.3 s");
    expect(spanLabel(null, null)).toBe("none");
    expect(driftLabel(12.4)).toBe("+12 ms (audio ends later)");
    expect(driftLabel(-40)).toBe("−40 ms (audio stops first)");
    expect(driftLabel(0.2)).toBe("0 ms");
    expect(driftLabel(null)).toBe("–");
  });
});
