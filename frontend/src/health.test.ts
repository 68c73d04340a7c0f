import { describe, expect, it } from "vitest";

import { summarizeHealth } from "./health";

describe("summarizeHealth", () => {
  it("reads a healthy answer", () => {
    const s = summarizeHealth({
      status: "ok",
      nats: "ok",
      services: { "camrec-proxy": { status: "up", instances: 2, version: "0.1.0" } },
      missing: [],
      message: "all services up",
    });
    expect(s.ok).toBe(true);
    expect(s.headline).toBe("all services up");
    expect(s.lines).toEqual([
      { name: "nats", status: "up", detail: "reachable" },
      { name: "camrec-proxy", status: "up", detail: "2 instances v0.1.0" },
    ]);
  });

  it("names what is missing", () => {
    const s = summarizeHealth({
      status: "degraded",
      nats: "ok",
      services: { "camrec-recorder": { status: "down", instances: 0, version: null } },
      message: "not answering: camrec-recorder",
    });
    expect(s.ok).toBe(false);
    expect(s.lines[1]).toEqual({ name: "camrec-recorder", status: "down", detail: "not answering" });
  });

  it.each([null, "text", 42, [], { services: "x" }])("never throws on garbage: %j", (garbage) => {
    const s = summarizeHealth(garbage);
    expect(s.ok).toBe(false);
  });
});
