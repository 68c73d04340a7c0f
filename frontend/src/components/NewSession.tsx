import { type FormEvent, useState } from "react";

import { api, type ClientConfig, errorMessage } from "../api/client";
import { ErrorLine } from "./ErrorLine";

type Props = {
  config: ClientConfig | null;
  openCount: number;
  limit: number;
  onOpened: () => void;
};

export function NewSession({ config, openCount, limit, onOpened }: Props) {
  const [url, setUrl] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shown = url ?? config?.demo_camera.rtsp_url ?? "";
  const full = openCount >= limit;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { error: failure, response } = await api.POST("/api/sessions", {
        body: { url: shown, name: name.trim() || null },
      });
      if (failure || !response.ok) {
        setError(errorMessage(failure, response));
      } else {
        setName("");
        onOpened();
      }
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel new-session" onSubmit={submit} aria-labelledby="new-session-title">
      <h2 id="new-session-title">Open a camera</h2>
      <div className="fields">
        <label>
          Camera URL (RTSP, or MJPEG over HTTP)
          <input
            type="text"
            name="url"
            value={shown}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="rtsp://user:password@camera/stream"
            required
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label>
          Name (optional)
          <input type="text" name="name" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        </label>
      </div>
      <div className="actions">
        <button type="submit" disabled={busy || full || !shown}>
          {busy ? <span className="spinner" aria-hidden="true" /> : null}
          {busy ? "Opening…" : "Open"}
        </button>
        {config ? (
          <button type="button" className="link" onClick={() => setUrl(config.demo_camera.mjpeg_url)}>
            Use the demo MJPEG camera
          </button>
        ) : null}
        {full ? (
          <span className="hint" role="status">
            {openCount} of {limit} sessions open
          </span>
        ) : null}
      </div>
      <ErrorLine error={error} />
    </form>
  );
}
