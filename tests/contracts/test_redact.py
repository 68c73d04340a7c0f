"""Camera credentials never survive redaction."""

from __future__ import annotations

import logging

import pytest

from camrec_contracts.redact import redact_text, redact_url
from camrec_runtime.logs import RedactingFormatter


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:s3cret@10.0.0.5:554/live", "rtsp://***@10.0.0.5:554/live"),
        ("rtsps://user@cam/x", "rtsps://***@cam/x"),
        ("rtsp://a:b@c@host/x", "rtsp://***@host/x"),
        (
            "http://cam/video.cgi?user=admin&password=s3cret&res=hd",
            "http://cam/video.cgi?user=***&password=***&res=hd",
        ),
        ("rtsp://cam.local/stream1", "rtsp://cam.local/stream1"),
        ("http://cam/x?pwd=s3cret", "http://cam/x?pwd=***"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_never_raises_on_garbage() -> None:
    assert "s3cret" not in redact_url("http://[bad:s3cret@host")


def test_redact_text_in_ffmpeg_stderr() -> None:
    line = "[rtsp @ 0x55] method DESCRIBE failed: 401 rtsp://admin:s3cret@cam/live?token=abc"
    out = redact_text(line)
    assert "s3cret" not in out and "abc" not in out
    assert "rtsp://***@cam/live?token=***" in out


def test_redact_text_inside_an_encoded_query() -> None:
    line = "PUT http://relay/api/streams?name=c&src=http%3A%2F%2Fadmin%3As3cr%2540t%40cam%3A80%2Fx"
    out = redact_text(line)
    assert "s3cr" not in out and "admin" not in out
    assert out.endswith("src=http%3A%2F%2F***%40cam%3A80%2Fx")


def test_log_lines_are_redacted() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError("cannot open rtsp://u:topsecret@cam/1")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "t",
            logging.INFO,
            __file__,
            1,
            "opening %s",
            ("rtsp://u:topsecret@cam/1",),
            sys.exc_info(),
        )
    text = formatter.format(record)
    assert "topsecret" not in text
    assert text.startswith("opening rtsp://***@cam/1\n")
    assert text.endswith("ValueError: cannot open rtsp://***@cam/1")
