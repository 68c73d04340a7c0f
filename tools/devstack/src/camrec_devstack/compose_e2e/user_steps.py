"""A user's journey through the page's address: the login, the page, both demo cameras through their
relays, the preview, recordings judged with ffprobe, Range, the session limit."""

from __future__ import annotations

import json
import re
import time

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from .context import (
    TERMINAL,
    Context,
    StepFailed,
    describe_file,
    expect,
    ffprobe,
    refused_without_user,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
RECORDING_S = 20.0
DURATION_TOLERANCE_S = 0.5
MAX_LEVEL = 51  # H.264 level 5.1: what Windows' Media Foundation decoder plays
FINISH_SLACK_S = 60.0
"""A timed recording ends at its length plus the wait for the first keyframe (2 s GOP on the
demo camera), the 4 s over-record that is cut off, and the finish (~1 s per minute of file
measured): 60 s is ample and still fails a recording that never ends."""


GENERATED_PASSWORD = re.compile(r"the admin password is (\S+) ")
ANONYMOUS_PREVIEW_S = 10.0


def login(ctx: Context) -> str:
    """Published beyond loopback, camrec needs a login: without one the api, its events and
    the preview sockets answer 401 and /health only up or down; the password the api's first
    start printed (README: `docker compose logs api`) logs in."""
    state = ctx.http.get("/api/auth").json()
    if not state["required"]:
        return f"no login: the page is published on {ctx.bind} only (CAMREC_AUTH unset)"
    refused = ctx.http.get("/api/sessions")
    expect(refused.status_code == 401, f"/api/sessions without a login: {refused.status_code}")
    health = ctx.http.get("/health").json()
    expect(set(health) == {"status"}, f"/health without a login says {health}")
    for path in ("/api/events", "/ws/preview/0123456789ab"):
        url = f"ws://{ctx.bind}:{ctx.http_port}{path}"
        try:
            with ws_connect(url, open_timeout=ANONYMOUS_PREVIEW_S):
                raise StepFailed(f"{path} accepted a socket without a login")
        except InvalidStatus as error:
            status = error.response.status_code
            expect(status == 401, f"{path} without a login: {status}")
    logs = ctx.compose.run("logs", "--no-color", "api", quiet=True).stdout
    printed = GENERATED_PASSWORD.findall(logs)
    expect(len(printed) == 1, f"the api's log shows {len(printed)} generated passwords")
    ctx.password = printed[0]
    answer = ctx.http.post("/api/auth/login", json={"password": ctx.password})
    expect(answer.status_code == 200, f"login: {answer.status_code} {answer.text}")
    expect(ctx.http.get("/api/sessions").status_code == 200, "no /api/sessions with a login")
    return "401 without a login (api, both sockets); the api log's password logs in"


def page(ctx: Context) -> str:
    """The page in Chromium: it loads (logging in when it asks) and its URL field holds the
    demo camera."""
    from playwright.sync_api import sync_playwright

    want = ctx.config()["demo_camera"]["rtsp_url"]
    expect(want == "rtsp://democam:8554/demo", f"demo camera is {want}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(ctx.base_url)
            if ctx.password is not None:
                tab.get_by_label("Password").fill(ctx.password, timeout=20_000)
                tab.get_by_role("button", name="Log in").click()
            field = tab.locator('input[name="url"]')
            field.wait_for(timeout=20_000)
            tab.wait_for_function(
                "() => document.querySelector('input[name=url]').value !== ''", timeout=20_000
            )
            value = field.input_value()
        finally:
            browser.close()
    expect(value == want, f"the URL field holds {value!r}")
    return f"URL field pre-filled: {value}"


def rtsp_demo(ctx: Context) -> str:
    """The RTSP demo opens through MediaMTX: its API has the path ready and its published
    RTSP port serves it to a player on the host."""
    session = ctx.open_session(ctx.config()["demo_camera"]["rtsp_url"], "e2e rtsp")
    ctx.facts["rtsp_session"] = session
    expect(session["relay"] == "mediamtx", f"relay is {session['relay']}")
    path = session["relay_url"].rsplit("/", 1)[1]
    expect(session["relay_url"] == f"rtsp://mediamtx:8554/{path}", session["relay_url"])
    got = ctx.compose.run(
        "exec", "-T", "mediamtx", "wget", "-qO-", f"http://127.0.0.1:9997/v3/paths/get/{path}"
    )
    state = json.loads(got.stdout)
    expect(bool(state.get("ready")), f"MediaMTX path {path}: {got.stdout[:200]}")
    source = (state.get("source") or {}).get("type")
    published = f"rtsp://{ctx.bind}:8554/{path}"
    refused = refused_without_user(published)
    streams = ffprobe(ctx.relay_reader().url(published), "-show_entries", "stream=codec_name")
    names = sorted(s["codec_name"] for s in streams["streams"])
    video = session["video"]
    return (
        f"relay mediamtx, path {path} ready (source {source}); {video['codec']} "
        f"{video['width']}x{video['height']}; host player on :8554: {refused}, "
        f"with it reads {'+'.join(names)}"
    )


def preview(ctx: Context) -> str:
    """Frames over the preview WebSocket, through nginx."""
    sid = ctx.facts["rtsp_session"]["id"]
    url = f"ws://{ctx.bind}:{ctx.http_port}/ws/preview/{sid}"
    frames, first_at, start = 0, 0.0, time.monotonic()
    counted_from = start
    with ws_connect(url, open_timeout=20, additional_headers=ctx.cookie_header()) as ws:
        while frames < 50:
            message = ws.recv(timeout=20)
            if isinstance(message, bytes) and message:
                frames += 1
                if frames == 1:
                    first_at = time.monotonic() - start
                    counted_from = time.monotonic()
    rate = (frames - 1) / (time.monotonic() - counted_from)
    return f"{frames} frames; first after {first_at:.1f} s; {rate:.1f} fps delivered"


def recording(ctx: Context) -> str:
    """A 20 s recording ends `finished`: H.264 + AAC, 20 s ± 0.5, index before the data."""
    sid = ctx.facts["rtsp_session"]["id"]
    rec = ctx.start_recording(sid, RECORDING_S)
    done = ctx.wait_recording(rec["id"], TERMINAL,
                              RECORDING_S + FINISH_SLACK_S)  # fmt: skip
    expect(done["state"] == "finished", f"ended {done['state']}: {done.get('reason')}")
    path = ctx.download(rec["id"])
    ctx.facts["recording"] = (rec["id"], path)
    facts = describe_file(path)
    video, audio = facts["video"], facts["audio"]
    expect(video.get("codec_name") == "h264", f"video {video}")
    expect(audio.get("codec_name") == "aac", f"audio {audio}")
    off = facts["duration"] - RECORDING_S
    expect(abs(off) <= DURATION_TOLERANCE_S, f"duration {facts['duration']:.2f} s")
    boxes = facts["boxes"]
    expect(boxes.index("moov") < boxes.index("mdat"), f"boxes {boxes}")
    return (
        f"finished; h264 {video.get('profile')}@{video.get('level')} + aac; "
        f"{facts['duration']:.2f} s, {video.get('nb_read_packets')} frames; "
        f"{' '.join(boxes)}"
    )


def range_download(ctx: Context) -> str:
    rec_id, path = ctx.facts["recording"]
    size = path.stat().st_size
    response = ctx.http.get(f"/api/recordings/{rec_id}/file", headers={"Range": "bytes=100-1123"})
    expect(response.status_code == 206, f"{response.status_code}")
    expect(response.headers.get("content-range") == f"bytes 100-1123/{size}",
           f"content-range {response.headers.get('content-range')}")  # fmt: skip
    with path.open("rb") as f:
        f.seek(100)
        expect(response.content == f.read(1024), "the 1024 bytes differ from the file's")
    return f"206, bytes 100-1123/{size}, same bytes as the download"


def mjpeg_demo(ctx: Context) -> str:
    """The MJPEG demo goes through go2rtc; its recording is re-encoded into a file every
    player opens (H.264 profile ≤ High, level ≤ 5.1)."""
    session = ctx.open_session(ctx.config()["demo_camera"]["mjpeg_url"], "e2e mjpeg")
    expect(session["relay"] == "go2rtc", f"relay is {session['relay']}")
    path = session["relay_url"].rsplit("/", 1)[1]
    published = f"rtsp://{ctx.bind}:8555/{path}"
    refused = refused_without_user(published)
    streams = ffprobe(ctx.relay_reader().url(published), "-show_entries", "stream=codec_name")
    names = sorted(s["codec_name"] for s in streams["streams"])
    rec = ctx.start_recording(session["id"], 10)
    done = ctx.wait_recording(rec["id"], TERMINAL,
                              10 + FINISH_SLACK_S)  # fmt: skip
    expect(done["state"] == "finished", f"ended {done['state']}: {done.get('reason')}")
    facts = describe_file(ctx.download(rec["id"]))
    video = facts["video"]
    expect(video.get("codec_name") == "h264", f"video {video}")
    expect(video.get("profile") in ("Constrained Baseline", "Baseline", "Main", "High"),
           f"profile {video.get('profile')}")  # fmt: skip
    expect(int(video.get("level", 99)) <= MAX_LEVEL, f"level {video.get('level')}")
    return (
        f"relay go2rtc (:8555 {refused}, with it {'+'.join(names)}); "
        f"{done['state']}, h264 {video.get('profile')}@{video.get('level')} "
        f"{video.get('pix_fmt')}, r_frame_rate {video.get('r_frame_rate')}, "
        f"{facts['duration']:.2f} s"
    )


def session_limit(ctx: Context) -> str:
    """Three sessions open; the fourth is refused with 400 and says why."""
    listing = ctx.http.get("/api/sessions").json()
    limit = int(listing["limit"])
    demo = ctx.config()["demo_camera"]["rtsp_url"]
    while len(ctx.http.get("/api/sessions").json()["sessions"]) < limit:
        ctx.open_session(demo, "e2e extra")
    refused = ctx.http.post("/api/sessions", json={"url": demo}, timeout=60)
    expect(refused.status_code == 400, f"4th session: {refused.status_code} {refused.text}")
    message = refused.json()["message"]
    return f"limit {limit}: 4th → 400 {message!r}"
