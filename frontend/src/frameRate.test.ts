import { describe, expect, it } from "vitest";

import { FrameRate } from "./frameRate";

describe("FrameRate", () => {
  it("counts the frames drawn over the last two seconds", () => {
    const rate = new FrameRate(2000);
    expect(rate.rate(0)).toBeNull();
    for (let t = 0; t <= 4000; t += 40) rate.tick(t); // 25 fps for 4 s
    expect(rate.rate(4000)).toBeCloseTo(25, 5);
    for (let t = 4100; t <= 6000; t += 100) rate.tick(t); // then 10 fps
    expect(rate.rate(6000)).toBeCloseTo(10, 0);
  });

  it("falls to 0 when the picture stands still", () => {
    const rate = new FrameRate(2000);
    rate.tick(0);
    rate.tick(40);
    expect(rate.rate(1000)).toBeCloseTo(1, 5); // one interval in a second
    expect(rate.rate(5000)).toBe(0);
  });
});
