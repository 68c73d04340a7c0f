import { useState } from "react";

import { api, errorMessage, isActive, type Recording, type Session } from "../api/client";
import {
  durationLabel,
  formatBytes,
  formatDate,
  formatDuration,
  formatHeaderFps,
  measuredLabel,
  progressShare,
} from "../format";
import { PreviewCanvas } from "./PreviewCanvas";
import { ErrorLine } from "./ErrorLine";

type Props = {
  session: Session;
  durations: (number | null)[];
  recording: Recording | null;
  onChanged: () => void;
};

export function SessionCard({ session, durations, recording, onChanged }: Props) {
  const [duration, setDuration] = useState<number | null>(durations[0] ?? 60);
  const [busy, setBusy] = useState<"start" | "stop" | "close" | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The start reply: it carries the space estimate ("will it fit?") even before the list has it.
  const [startReply, setStartReply] = useState<Recording | null>(null);
  const active = recording && isActive(recording) ? recording : null;
  const fit = active ? (active.fit ?? (startReply?.id === active.id ? startReply.fit : null) ?? null) : null;
  const titleId = `session-${session.id}-title`;

  async function run<T>(
    kind: "start" | "stop" | "close",
    call: () => Promise<{ data?: T; error?: unknown; response: Response }>,
    done?: (data: T | undefined) => void,
  ) {
    setBusy(kind);
    setError(null);
    try {
      const { data, error: failure, response } = await call();
      if (failure || !response.ok) setError(errorMessage(failure, response));
      else {
        done?.(data);
        onChanged();
      }
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(null);
    }
  }

  const start = () =>
    run(
      "start",
      () =>
        api.POST("/api/sessions/{session_id}/recordings", {
          params: { path: { session_id: session.id } },
          body: { duration_s: duration },
        }),
      (reply) => setStartReply(reply ?? null),
    );
  const stop = () =>
    active
      ? run("stop", () => api.POST("/api/recordings/{recording_id}/stop", { params: { path: { recording_id: active.id } } }))
      : undefined;
  const close = () => {
    if (active && !window.confirm(`"${session.name}" is recording. Stop the recording and close the session?`)) return;
    void run("close", () => api.DELETE("/api/sessions/{session_id}", { params: { path: { session_id: session.id } } }));
  };

  const video = session.video;
  return (
    <article className="panel session" aria-labelledby={titleId} data-session-id={session.id}>
      <header className="session-head">
        <h3 id={titleId}>{session.name}</h3>
        {active ? (
          <span className="rec" aria-label="recording">
            REC
          </span>
        ) : null}
      </header>
      <PreviewCanvas sessionId={session.id} name={session.name} />
      <dl className="facts">
        <dt>URL</dt>
        <dd className="url">{session.url}</dd>
        <dt>Source</dt>
        <dd>
          {session.source_kind === "rtsp" ? "RTSP" : "MJPEG"} via {session.relay}
        </dd>
        <dt>Video</dt>
        <dd>
          {video.codec.toUpperCase()} {video.width}×{video.height}
          {video.fps ? ` · ${formatHeaderFps(video.fps)} fps` : ""}
        </dd>
        <dt>Measured</dt>
        <dd className={session.measured ? "measured" : "measured pending"} data-testid="measured">
          {measuredLabel(session.measured, video.fps)}
        </dd>
        <dt>Audio</dt>
        <dd>{session.audio ? session.audio.codec.toUpperCase() : "none"}</dd>
        <dt>Opened</dt>
        <dd>{formatDate(session.created_at)}</dd>
      </dl>
      <fieldset className="durations" disabled={!!active}>
        <legend>Duration</legend>
        {durations.map((d) => (
          <button
            key={String(d)}
            type="button"
            aria-pressed={duration === d}
            className={duration === d ? "chosen" : ""}
            onClick={() => setDuration(d)}
          >
            {durationLabel(d)}
          </button>
        ))}
      </fieldset>
      {active ? <RecordingProgress recording={active} /> : null}
      {fit?.warning ? (
        <p className="fit-warning" role="status">
          {fit.warning}
        </p>
      ) : null}
      <div className="actions">
        {active ? (
          <button type="button" className="danger" onClick={stop} disabled={busy !== null || active.state === "starting" || active.state === "finalizing"}>
            {busy === "stop" ? "Stopping…" : "Stop recording"}
          </button>
        ) : (
          <button type="button" className="primary" onClick={start} disabled={busy !== null}>
            {busy === "start" ? "Starting…" : "Start recording"}
          </button>
        )}
        <button type="button" onClick={close} disabled={busy !== null}>
          {busy === "close" ? "Closing…" : "Close session"}
        </button>
      </div>
      <ErrorLine error={error} />
    </article>
  );
}

function RecordingProgress({ recording }: { recording: Recording }) {
  const elapsed = recording.duration_s ?? 0;
  const total = recording.requested_duration_s ?? null;
  const share = progressShare(elapsed, total);
  return (
    <div className="progress" data-testid="recording-progress">
      <progress
        max={1}
        value={share ?? undefined}
        aria-label="Recording progress"
        aria-valuetext={`${formatDuration(elapsed)} recorded`}
      />
      <span className="elapsed">
        {formatDuration(elapsed)}
        {total ? ` / ${formatDuration(total)}` : ""}
      </span>
      <span>{formatBytes(recording.size_bytes)}</span>
      <span className="state">{recording.state === "finalizing" ? "finalizing…" : recording.state}</span>
    </div>
  );
}
