import { describe, expect, it } from "vitest";

import { FrameRate } from "./frameRate";

describe("FrameRate", () => {
  it("counts the frames drawn over the last two seconds", () => {
    const rate = new FrameRate(2000);
    expect(rate.rate(0)).toBeNull();
    for (let t = 0; t <= 4000; t += 40) rate.tick(t); // 25 fps for 4 s
    expect(rate.rate(4000)).toBe(25);
    for (let t = 4100; t <= 6000; t += 100) rate.tick(t); // then 10 fps
    expect(rate.rate(6000)).toBe(10);
  });

  it("says nothing until a whole window has passed, so a join's burst is not extrapolated", () => {
    const rate = new FrameRate(2000);
    for (let i = 0; i < 20; i += 1) rate.tick(1000 + i); // 20 pictures at once on joining
    for (let t = 1040; t <= 3000; t += 40) rate.tick(t); // then 25 fps
    expect(rate.rate(2000)).toBeNull(); // a partial window: it would say 44 fps
    expect(rate.rate(2999)).toBeNull();
    expect(rate.rate(3000)).toBe(34.5); // the burst is in this window: drawn, so shown
    for (let t = 3040; t <= 4000; t += 40) rate.tick(t);
    expect(rate.rate(4000)).toBe(25);
  });

  it("falls to 0 when the picture stands still, and starts over on a new stream", () => {
    const rate = new FrameRate(2000);
    rate.tick(0);
    rate.tick(40);
    expect(rate.rate(2000)).toBe(0.5); // one frame in (0, 2000]
    expect(rate.rate(5000)).toBe(0);
    rate.reset();
    expect(rate.rate(6000)).toBeNull();
  });
});
