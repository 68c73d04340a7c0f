import type { RecordingHealth } from "../api/client";
import {
  driftLabel,
  frameIntervalsLabel,
  formatMs,
  gapLabel,
  reconnectLabel,
  spanLabel,
  verdictClass,
} from "../format";

/** The verdict of a finished recording's health report, its one-line summary as the title. */
export function HealthBadge({ health }: { health: RecordingHealth }) {
  return (
    <span className={`badge health-badge ${verdictClass(health.verdict)}`} title={health.summary}>
      {health.verdict}
    </span>
  );
}

/** The health report in full, folded until asked for. */
export function HealthDetails({ health }: { health: RecordingHealth }) {
  return (
    <details className="health-details">
      <summary>Health details</summary>
      <p className="health-summary">{health.summary}</p>
      <dl className="facts">
        <dt>Frames</dt>
        <dd data-testid="health-frames">{health.frames}</dd>
        <dt>Frame rate</dt>
        <dd>{health.fps !== null ? `${health.fps.toFixed(2)} fps measured` : "–"}</dd>
        <dt>Frame interval</dt>
        <dd>
          {frameIntervalsLabel(
            health.min_frame_interval_ms,
            health.median_frame_interval_ms,
            health.max_frame_interval_ms,
          )}
        </dd>
        <dt>Gaps</dt>
        <dd>
          <EventList
            items={health.gaps.map(gapLabel)}
            none={health.gap_threshold_ms !== null ? `none over ${formatMs(health.gap_threshold_ms)}` : "none"}
          />
        </dd>
        <dt>Reconnects</dt>
        <dd>
          <EventList items={health.reconnects.map(reconnectLabel)} none="none" />
        </dd>
        <dt>Video</dt>
        <dd>{spanLabel(health.video_start_s, health.video_end_s)}</dd>
        <dt>Audio</dt>
        <dd>
          {health.audio_expected || (health.audio_end_s !== undefined && health.audio_end_s !== null)
            ? spanLabel(health.audio_start_s, health.audio_end_s)
            : "none (the source had no audio)"}
        </dd>
        {health.av_drift_ms !== null && health.av_drift_ms !== undefined ? (
          <>
            <dt>A/V drift</dt>
            <dd>{driftLabel(health.av_drift_ms)}</dd>
          </>
        ) : null}
      </dl>
    </details>
  );
}

function EventList({ items, none }: { items: string[]; none: string }) {
  if (items.length === 0) return <>{none}</>;
  return (
    <ul className="health-events">
      {items.map((text, i) => (
        <li key={i}>{text}</li>
      ))}
    </ul>
  );
}
