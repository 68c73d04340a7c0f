import { describe, expect, it } from "vitest";

import { durationLabel, formatBytes, formatDuration, progressShare } from "./format";

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
});
