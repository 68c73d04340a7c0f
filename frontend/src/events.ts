// The one WebSocket to /api/events: every camrec event, with automatic reconnect.
import type { RecordingEvent, SessionEvent } from "./api/client";

export type ConnectionState = "connecting" | "open" | "reconnecting";

export type CamrecEvent =
  | { kind: "session"; subject: string; event: SessionEvent }
  | { kind: "recording"; subject: string; event: RecordingEvent }
  | { kind: "other"; subject: string; event: unknown };

type SocketLike = {
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  close(): void;
};

export type SocketFactory = (url: string) => SocketLike;
export type Timers = {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
};

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];

export function parseEventMessage(data: unknown): CamrecEvent | null {
  if (typeof data !== "string") return null;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return null;
  }
  if (!message || typeof message !== "object") return null;
  const { type, subject, event } = message as { type?: unknown; subject?: unknown; event?: unknown };
  if (type !== "event" || typeof subject !== "string" || !event || typeof event !== "object") return null;
  if (subject.startsWith("camrec.events.sessions.")) return { kind: "session", subject, event: event as SessionEvent };
  if (subject.startsWith("camrec.events.recordings.")) {
    return { kind: "recording", subject, event: event as RecordingEvent };
  }
  return { kind: "other", subject, event };
}

export class EventStore {
  state: ConnectionState = "connecting";
  /** How many times the socket has (re)opened: a change means "refetch, you may have missed events". */
  generation = 0;
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private readonly stateListeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: CamrecEvent) => void>();

  constructor(
    private readonly url: string,
    private readonly makeSocket: SocketFactory = (u) => new WebSocket(u) as unknown as SocketLike,
    private readonly timers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as number) },
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  subscribeState = (listener: () => void): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  onEvent(listener: (event: CamrecEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  getState = (): ConnectionState => this.state;
  getGeneration = (): number => this.generation;

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.stateListeners.forEach((l) => l());
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = this.makeSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.generation += 1;
      this.state = "open";
      this.stateListeners.forEach((l) => l());
    };
    socket.onmessage = (message) => {
      const event = parseEventMessage(message.data);
      if (event) this.eventListeners.forEach((l) => l(event));
    };
    socket.onerror = () => undefined; // onclose follows and schedules the retry
    socket.onclose = () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.setState("reconnecting");
      const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? 4000;
      this.attempt += 1;
      this.timer = this.timers.set(() => {
        this.timer = null;
        this.connect();
      }, delay);
    };
  }
}

export function eventsUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/events`;
}
