"""FFmpeg's errors about its output file told apart from the source's; the start-up line.
The stderr lines are FFmpeg 5.1's own, as seen writing to a read-only tmpfs, a folder of
another uid and a full tmpfs; an I/O error (not provoked here) is printed the same way."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from camrec_recorder.disk import not_writable_line, output_error

OUT = Path("/rec/.partial/abc.mp4")


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        (
            "/rec/.partial/abc.mp4: Permission denied",
            "disk error: Permission denied writing /rec/.partial/abc.mp4",
        ),
        (
            "/rec/.partial/abc.mp4: Read-only file system",
            "disk error: Read-only file system writing /rec/.partial/abc.mp4",
        ),
        (
            "av_interleaved_write_frame(): No space left on device\n"
            "    Last message repeated 4 times\n"
            "Error closing file /rec/.partial/abc.mp4: No space left on device",
            "disk full: No space left on device writing /rec/.partial/abc.mp4",
        ),
        (
            "[swscaler @ 0x55] deprecated pixel format used, make sure you did set range correctly"
            "\n"
            "av_interleaved_write_frame(): Input/output error\n"
            "Error writing trailer of /rec/.partial/abc.mp4: Input/output error",
            "disk error: Input/output error writing /rec/.partial/abc.mp4",
        ),
        (
            "/rec/.partial/abc.mp4: No such file or directory",  # .partial/ removed under it
            "disk error: No such file or directory writing /rec/.partial/abc.mp4",
        ),
    ],
)
def test_errors_writing_the_output_are_the_disks(stderr: str, reason: str) -> None:
    error = output_error(stderr, OUT)
    assert error is not None and error.reason == reason


@pytest.mark.parametrize(
    "stderr",
    [
        "rtsp://127.0.0.1:8555/camrec-0123456789ab: Input/output error",  # the relay broke
        "rtsp://127.0.0.1:8555/camrec-0123456789ab: Connection refused",
        "[rtsp @ 0x55] method DESCRIBE failed: 404 Not Found\n"
        "rtsp://127.0.0.1:8555/camrec-0123456789ab: Server returned 404 Not Found",
        "[mp4 @ 0x55] Application provided invalid, non monotonically increasing dts",
        "/rec/.partial/abc.mp4: Invalid argument",  # not the disk's doing
        "",
    ],
)
def test_the_sources_errors_are_not(stderr: str) -> None:
    assert output_error(stderr, OUT) is None


def test_the_start_up_line_says_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "recordings" / ".partial"  # missing: its nearest parent's owner
    line = not_writable_line(
        tmp_path / "recordings", folder, OSError(errno.EIO, "Input/output error")
    )
    assert "\n" not in line
    assert line.startswith(f"camrec-recorder: cannot write to {folder} (Input/output error): ")
    me = f"{os.geteuid()}:{os.getegid()}"  # tmp_path is ours
    assert f"{tmp_path} belongs to {me}" in line and f"the recorder runs as {me}" in line
    assert line.endswith("Check the disk (dmesg).")
