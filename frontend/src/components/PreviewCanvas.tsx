import { useEffect, useRef, useState } from "react";

import type { PreviewStatus } from "../api/client";
import { FrameDrawer, parseStatus, previewUrl } from "../preview";

const RETRY_MS = 2000;

/** The live picture of one session: its own WebSocket to the previewer, drawn on a canvas. */
export function PreviewCanvas({ sessionId, name }: { sessionId: string; name: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [status, setStatus] = useState<PreviewStatus | null>(null);
  const [closed, setClosed] = useState<string | null>(null);

  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;
    const drawer = new FrameDrawer<ImageBitmap>(
      (blob) => createImageBitmap(blob),
      (bitmap) => {
        const el = canvas.current;
        const ctx = el?.getContext("2d");
        if (el && ctx) {
          if (el.width !== bitmap.width || el.height !== bitmap.height) {
            el.width = bitmap.width;
            el.height = bitmap.height;
          }
          ctx.drawImage(bitmap, 0, 0);
        }
        bitmap.close();
      },
    );

    const connect = () => {
      if (stopped) return;
      setStatus((s) => (s ? { ...s, state: "connecting" } : s));
      socket = new WebSocket(previewUrl(window.location, sessionId));
      socket.binaryType = "blob";
      socket.onmessage = (message: MessageEvent<Blob | string>) => {
        if (typeof message.data === "string") {
          const next = parseStatus(message.data);
          if (next) setStatus(next);
        } else {
          drawer.push(message.data);
        }
      };
      socket.onclose = (event) => {
        if (stopped) return;
        if (event.code === 1000 || event.code === 4404) {
          setClosed(event.reason || "the preview ended");
          return;
        }
        setStatus((s) => ({ ...(s ?? { type: "status" }), state: "reconnecting" }) as PreviewStatus);
        retry = setTimeout(connect, RETRY_MS);
      };
    };
    connect();
    return () => {
      stopped = true;
      drawer.close();
      if (retry) clearTimeout(retry);
      socket?.close();
    };
  }, [sessionId]);

  const state = closed ? "ended" : (status?.state ?? "connecting");
  return (
    <div className="preview">
      <canvas ref={canvas} width={960} height={540} role="img" aria-label={`Live preview of ${name}`} />
      <div className={`overlay state-${state}`} data-testid="preview-state">
        <span>{state}</span>
        {status?.fps ? <span>{status.fps.toFixed(1)} fps</span> : null}
      </div>
    </div>
  );
}
