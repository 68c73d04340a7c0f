import { useEffect, useRef, useState } from "react";

import { api, errorMessage, isActive, type Recording } from "../api/client";
import { formatBytes, formatDate, formatDuration } from "../format";
import { HealthBadge, HealthDetails } from "./Health";

export function Recordings({ recordings, onChanged }: { recordings: Recording[]; onChanged: () => void }) {
  const [playing, setPlaying] = useState<Recording | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function remove(rec: Recording) {
    if (!window.confirm(`Delete the recording "${rec.file_name}"? This removes the file.`)) return;
    setError(null);
    try {
      const { error: failure, response } = await api.DELETE("/api/recordings/{recording_id}", {
        params: { path: { recording_id: rec.id } },
      });
      if (failure || !response.ok) setError(errorMessage(failure, response));
      else onChanged();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <section className="panel" aria-labelledby="recordings-title">
      <h2 id="recordings-title">Recordings</h2>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {recordings.length === 0 ? (
        <p className="empty">
          No recordings yet. Open a camera above, choose a duration and press <strong>Start recording</strong>.
        </p>
      ) : (
        <ul className="recordings">
          {recordings.map((rec) => (
            <RecordingItem key={rec.id} rec={rec} onPlay={() => setPlaying(rec)} onDelete={() => void remove(rec)} />
          ))}
        </ul>
      )}
      {playing ? <Player rec={playing} onClose={() => setPlaying(null)} /> : null}
    </section>
  );
}

function RecordingItem({ rec, onPlay, onDelete }: { rec: Recording; onPlay: () => void; onDelete: () => void }) {
  const active = isActive(rec);
  const playable = !active && rec.state !== "failed" && rec.size_bytes > 0;
  const video = rec.video;
  // Set once the file is final; a recording still running has none yet (old ones never do).
  const health = active ? null : (rec.health ?? null);
  return (
    <li className="recording" data-recording-id={rec.id}>
      <button type="button" className="thumb" onClick={onPlay} disabled={!playable} aria-label={`Play ${rec.file_name}`}>
        {rec.has_thumbnail ? (
          <img src={`/api/recordings/${rec.id}/thumbnail`} alt="" loading="lazy" />
        ) : (
          <span className="no-thumb" aria-hidden="true">
            {active ? "●" : "▶"}
          </span>
        )}
      </button>
      <div className="meta">
        <strong className="name">{rec.session_name}</strong>
        <span
          className={`badge state-${rec.state}`}
          title={rec.end_reason ?? undefined}
          data-testid="recording-state"
        >
          {rec.state}
        </span>
        {health ? <HealthBadge health={health} /> : null}
        <span>{formatDate(rec.started_at)}</span>
        <span data-testid="recording-duration">{formatDuration(rec.duration_s)}</span>
        <span>{formatBytes(rec.size_bytes)}</span>
        {video ? (
          <span>
            {video.width}×{video.height} · {video.codec.toUpperCase()}
            {rec.audio ? ` + ${rec.audio.codec.toUpperCase()}` : ""}
          </span>
        ) : null}
        {rec.end_reason && rec.state !== "finished" ? <span className="reason">{rec.end_reason}</span> : null}
        {health ? <HealthDetails health={health} /> : null}
      </div>
      <div className="actions">
        <button type="button" onClick={onPlay} disabled={!playable}>
          Play
        </button>
        {playable ? (
          <a className="button" href={`/api/recordings/${rec.id}/file?download=1`} download={rec.file_name}>
            Download
          </a>
        ) : null}
        <button type="button" className="danger" onClick={onDelete} disabled={active}>
          Delete
        </button>
      </div>
    </li>
  );
}

function Player({ rec, onClose }: { rec: Recording; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="player" aria-label={`Player: ${rec.file_name}`} onClose={onClose}>
      <header>
        <h3>{rec.file_name}</h3>
        <button type="button" onClick={() => dialog.current?.close()} aria-label="Close player">
          ✕
        </button>
      </header>
      <video src={`/api/recordings/${rec.id}/file`} controls autoPlay muted playsInline preload="metadata" />
    </dialog>
  );
}
