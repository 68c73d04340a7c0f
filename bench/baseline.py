"""The naive design camrec is measured against (a bench helper, not product code).

Recording: FFmpeg reads the camera and re-encodes it with libx264 (what a straightforward
recorder does). Preview: ``python bench/baseline.py preview <camera> <port>`` reads the camera
with OpenCV, encodes every frame full size as JPEG q80, and sends it base64 inside JSON over
a WebSocket, queueing frames for a slow client (the first version of this product).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import threading
import time

os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")


def record_command(ffmpeg: str, camera: str, out: str) -> list[str]:
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-rtsp_transport", "tcp", "-i", camera,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "aac", out,
    ]  # fmt: skip


async def preview(camera: str, port: int) -> None:
    import cv2
    from websockets.asyncio.server import ServerConnection, serve

    loop = asyncio.get_running_loop()
    clients: set[asyncio.Queue[str]] = set()

    def capture() -> None:
        cap = cv2.VideoCapture(camera, cv2.CAP_FFMPEG)
        while True:
            ok, image = cap.read()
            if not ok:
                time.sleep(0.5)
                cap = cv2.VideoCapture(camera, cv2.CAP_FFMPEG)
                continue
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
            message = json.dumps(
                {
                    "type": "frame",
                    "at": time.time(),
                    "jpeg": base64.b64encode(jpeg.tobytes()).decode(),
                }
            )
            for queue in list(clients):
                loop.call_soon_threadsafe(queue.put_nowait, message)  # unbounded: it queues

    async def handler(ws: ServerConnection) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        clients.add(queue)
        try:
            while True:
                await ws.send(await queue.get())
        finally:
            clients.discard(queue)

    threading.Thread(target=capture, daemon=True).start()
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=None):
        await asyncio.Future()


if __name__ == "__main__":
    if sys.argv[1:2] == ["preview"]:
        asyncio.run(preview(sys.argv[2], int(sys.argv[3])))
    else:
        sys.exit("usage: baseline.py preview <camera-url> <port>")
