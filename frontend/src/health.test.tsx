// The health report, the measured stream and the space warning as the page renders them
// (server-side rendering: no DOM needed, effects such as the preview socket do not run).
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import type { Recording, RecordingHealth, Session } from "./api/client";
import { parseEventMessage } from "./events";
import { HealthBadge, HealthDetails } from "./components/Health";
import { Recordings } from "./components/Recordings";
import { SessionCard } from "./components/SessionCard";

const health: RecordingHealth = {
  verdict: "has gaps",
  summary: "1 gap of 3.1 s, 1 reconnect; audio to the end",
  frames: 1490,
  fps: 24.98,
  median_frame_interval_ms: 40,
  min_frame_interval_ms: 39.5,
  max_frame_interval_ms: 3100,
  gap_threshold_ms: 120,
  gaps: [{ at_s: 12.2, length_s: 3.14 }],
  reconnects: [{ at_s: 20, dropped_at: "2026-12-01T10:00:20Z", away_s: 4.24 }],
  audio_expected: true,
  video_start_s: 0,
  video_end_s: 59.6,
  audio_start_s: 0.5,
  audio_end_s: 59.56,
  av_drift_ms: -40,
};

function recording(over: Partial<Recording> = {}): Recording {
  return {
    id: "r1",
    session_id: "s1",
    session_name: "door",
    file_name: "door.mp4",
    source: "rtsp://cam/x",
    started_at: "2026-12-01T10:00:00Z",
    state: "finished",
    requested_duration_s: 60,
    duration_s: 60,
    size_bytes: 15_000_000,
    transcoded: false,
    fragmented: false,
    has_thumbnail: false,
    reconnects: 1,
    ...over,
  };
}

const session: Session = {
  id: "s1",
  name: "door",
  url: "rtsp://cam/x",
  source_kind: "rtsp",
  relay: "go2rtc",
  relay_url: "rtsp://relay/s1",
  state: "ready",
  created_at: "2026-12-01T10:00:00Z",
  video: { codec: "h264", width: 1280, height: 720, fps: 25 },
  audio: null,
};

describe("health badge", () => {
  it("shows the verdict with a class per verdict and the summary as its title", () => {
    const html = renderToStaticMarkup(<HealthBadge health={health} />);
    expect(html).toContain('class="badge health-badge health-has-gaps"');
    expect(html).toContain(`title="${health.summary}"`);
    expect(html).toContain(">has gaps</span>");
  });
});

describe("health details", () => {
  it("lists the figures, each gap and each reconnect", () => {
    const html = renderToStaticMarkup(<HealthDetails health={health} />);
    expect(html).toMatch(/^<details class="health-details">/);
    for (const text of [
      health.summary,
      "1490",
      "24.98 fps measured",
      "min 39.5 · median 40.0 · max 3100.0 ms",
      "at 0:12 for 3.1 s",
      "at 0:20, source away 4.2 s",
      "0.0 s – 59.6 s",
      "0.5 s – 59.6 s",
      "−40 ms (audio stops first)",
    ]) {
      expect(html).toContain(text);
    }
  });
  it("says none when there are no gaps, reconnects or audio", () => {
    const clean: RecordingHealth = {
      ...health,
      verdict: "clean",
      gaps: [],
      reconnects: [],
      audio_expected: false,
      audio_start_s: null,
      audio_end_s: null,
      av_drift_ms: null,
    };
    const html = renderToStaticMarkup(<HealthDetails health={clean} />);
    expect(html).toContain("none over 120.0 ms");
    expect(html).toContain("none (the source had no audio)");
    expect(html).not.toContain("A/V drift");
  });
});

describe("recordings list", () => {
  const render = (list: Recording[]) => renderToStaticMarkup(<Recordings recordings={list} onChanged={() => undefined} />);
  it("badges finished recordings that have a report", () => {
    const html = render([recording({ health })]);
    expect(html).toContain("health-badge");
    expect(html).toContain("health-details");
  });
  it("shows no badge without a report or while recording", () => {
    expect(render([recording({ health: null })])).not.toContain("health-badge");
    expect(render([recording({ state: "recording", health })])).not.toContain("health-badge");
  });
});

describe("session card", () => {
  const render = (s: Session, active: Recording | null = null) =>
    renderToStaticMarkup(<SessionCard session={s} durations={[60, null]} recording={active} onChanged={() => undefined} />);

  it("says measuring… until the relay was measured, then the real figures", () => {
    expect(render(session)).toMatch(/class="measured pending"[^>]*>measuring…</);
    const measured: Session = {
      ...session,
      measured: { fps: 24.96, bitrate_kbps: 2140, seconds: 5, frames: 125, measured_at: "2026-12-01T10:00:05Z" },
    };
    expect(render(measured)).toContain("25.0 fps measured (header says 25) · 2.1 Mbit/s");
  });

  it("shows the space warning while the recording that carries it runs", () => {
    const fit = {
      bitrate_kbps: 2000,
      bitrate_from: "session" as const,
      estimated_bytes: null,
      free_bytes: 40_000_000,
      reserve_bytes: 10_000_000,
      fits_s: 120,
      warning: "only about 2 min fit in the 30 MB above the reserve",
    };
    const html = render(session, recording({ state: "recording", requested_duration_s: null, fit }));
    expect(html).toMatch(/<p class="fit-warning" role="status">only about 2 min fit/);
    expect(render(session, recording({ state: "finished", fit }))).not.toContain("fit-warning");
    expect(render(session, recording({ state: "recording", fit: { ...fit, warning: null } }))).not.toContain(
      "fit-warning",
    );
  });
});

describe("events", () => {
  it("takes a measured event as a session event (the page refetches the sessions on those)", () => {
    const message = JSON.stringify({
      type: "event",
      subject: "camrec.events.sessions.s1",
      event: {
        event: "measured",
        session_id: "s1",
        url: "rtsp://cam/x",
        measured: { fps: 25, bitrate_kbps: 2100, seconds: 5, frames: 125, measured_at: "2026-12-01T10:00:05Z" },
      },
    });
    const parsed = parseEventMessage(message);
    expect(parsed?.kind).toBe("session");
    expect(parsed?.event).toMatchObject({ event: "measured", measured: { fps: 25 } });
  });
});
