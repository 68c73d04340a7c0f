"""Camera simulators: FFmpeg test sources published through go2rtc (RTSP) and a Python
MJPEG-over-HTTP server with irregular frame timing."""
