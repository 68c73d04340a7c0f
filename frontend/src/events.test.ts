import { describe, expect, it } from "vitest";

import { EventStore, parseEventMessage } from "./events";

class FakeSocket {
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = false;
  close() {
    this.closed = true;
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const store = new EventStore(
    "ws://x/api/events",
    () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    { set: (fn, ms) => timers.push({ fn, ms }), clear: () => undefined },
  );
  return { store, sockets, timers };
}

describe("parseEventMessage", () => {
  it("sorts events by subject and ignores anything else", () => {
    const session = JSON.stringify({
      type: "event",
      subject: "camrec.events.sessions.0123456789ab",
      event: { event: "opened", session_id: "0123456789ab" },
    });
    expect(parseEventMessage(session)?.kind).toBe("session");
    const rec = JSON.stringify({ type: "event", subject: "camrec.events.recordings.abc", event: { event: "progress" } });
    expect(parseEventMessage(rec)?.kind).toBe("recording");
    expect(parseEventMessage(JSON.stringify({ type: "hello" }))).toBeNull();
    expect(parseEventMessage("not json")).toBeNull();
    expect(parseEventMessage(new ArrayBuffer(2))).toBeNull();
  });
});

describe("EventStore", () => {
  it("delivers events, reconnects with growing back-off, and counts generations", () => {
    const { store, sockets, timers } = harness();
    const seen: string[] = [];
    const states: string[] = [];
    store.onEvent((e) => seen.push(e.subject));
    store.subscribeState(() => states.push(store.getState()));
    store.start();
    sockets[0]!.onopen?.({});
    expect(store.getState()).toBe("open");
    expect(store.getGeneration()).toBe(1);
    sockets[0]!.onmessage?.({
      data: JSON.stringify({ type: "event", subject: "camrec.events.sessions.a", event: { event: "closed" } }),
    });
    expect(seen).toEqual(["camrec.events.sessions.a"]);

    sockets[0]!.onclose?.({});
    expect(store.getState()).toBe("reconnecting");
    timers[0]!.fn();
    sockets[1]!.onclose?.({}); // still down
    timers[1]!.fn();
    expect(timers.map((t) => t.ms)).toEqual([250, 500]);
    sockets[2]!.onopen?.({});
    expect(store.getState()).toBe("open");
    expect(store.getGeneration()).toBe(2); // the page refetches: events may have been missed
    expect(states).toEqual(["open", "reconnecting", "open"]);
  });

  it("stops for good when stopped", () => {
    const { store, sockets, timers } = harness();
    store.start();
    store.stop();
    expect(sockets[0]!.closed).toBe(true);
    sockets[0]!.onclose?.({});
    expect(timers).toEqual([]);
  });
});
