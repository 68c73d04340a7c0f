import { useEffect, useRef, useState } from "react";

import { FORMAT_LABELS } from "../h264";
import { PreviewConnection, type PreviewView } from "../previewConnection";

/** The live picture of one session: its own WebSocket to the previewer, drawn on a canvas.
 * The overlay says the state, which path the picture takes (H.264 decoded here, or JPEG) and
 * the frames per second this page drew on either path (none until it has drawn for a whole
 * window: `frameRate.ts`). */
export function PreviewCanvas({ sessionId, name }: { sessionId: string; name: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [view, setView] = useState<PreviewView | null>(null);

  useEffect(() => {
    const connection = new PreviewConnection(sessionId, () => canvas.current, setView);
    connection.start();
    return () => connection.stop();
  }, [sessionId]);

  const status = view?.status ?? null;
  const state = view?.ended ? "ended" : (status?.state ?? "connecting");
  const format = view?.format ?? null;
  const fps = view?.drawnFps;
  return (
    <div className="preview">
      <canvas ref={canvas} width={960} height={540} role="img" aria-label={`Live preview of ${name}`} />
      <div className={`overlay state-${state}`} data-testid="preview-state">
        <span>{state}</span>
        {format && state !== "ended" ? (
          <span data-testid="preview-format" title={view?.fallback ?? undefined}>
            {FORMAT_LABELS[format]}
          </span>
        ) : null}
        {fps != null && state !== "ended" ? (
          <span data-testid="preview-fps" data-measured-at={view?.drawnAt ?? undefined}>
            {fps.toFixed(1)} fps
          </span>
        ) : null}
      </div>
    </div>
  );
}
