"""Settings come from CAMREC_* variables; a bad value stops start-up with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from camrec_contracts.settings import (
    CamrecSettings,
    RelayReaderSettings,
    SettingsError,
    load_settings,
)


def test_defaults() -> None:
    s = CamrecSettings()
    assert s.nats_url == "nats://127.0.0.1:4222"
    assert s.log_level == "INFO"


def test_reads_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMREC_NATS_URL", "nats://a:4222, nats://b:4222")
    monkeypatch.setenv("CAMREC_LOG_LEVEL", "debug")
    s = load_settings(CamrecSettings)
    assert s.nats_servers == ["nats://a:4222", "nats://b:4222"]
    assert s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        (
            "CAMREC_NATS_URL",
            "http://x:4222",
            "CAMREC_NATS_URL: Value error, 'http://x:4222' is not",
        ),
        ("CAMREC_LOG_LEVEL", "chatty", "CAMREC_LOG_LEVEL: Input should be"),
        ("CAMREC_NATS_CONNECT_WAIT_S", "-1", "CAMREC_NATS_CONNECT_WAIT_S: Input should be greater"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(CamrecSettings)
    assert needle in str(caught.value)


def test_nats_and_relay_logins_come_from_a_password_or_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("CAMREC_RELAY_READ_USER", "CAMREC_RELAY_READ_PASSWORD"):
        monkeypatch.delenv(name, raising=False)  # the tests' own (tests.relay_reader)
    assert load_settings(CamrecSettings).nats_login is None
    secret = tmp_path / "recorder.password"
    secret.write_text("s3cret/@:\n")
    monkeypatch.setenv("CAMREC_NATS_USER", "recorder")
    monkeypatch.setenv("CAMREC_NATS_PASSWORD_FILE", str(secret))
    assert load_settings(CamrecSettings).nats_login == ("recorder", "s3cret/@:")
    monkeypatch.setenv("CAMREC_RELAY_READ_USER", "camrec-reader")
    monkeypatch.setenv("CAMREC_RELAY_READ_PASSWORD", "p@ss word")
    reader = load_settings(RelayReaderSettings).relay_reader
    assert reader.url("rtsp://mediamtx:8554/camrec-1") == (
        "rtsp://camrec-reader:p%40ss%20word@mediamtx:8554/camrec-1"
    )
    assert "p@ss" not in repr(reader)


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"CAMREC_NATS_USER": "api"}, "CAMREC_NATS_USER is set: give CAMREC_NATS_PASSWORD_FILE"),
        ({"CAMREC_NATS_PASSWORD": "x"}, "a NATS password is set: give CAMREC_NATS_USER too"),
        (
            {"CAMREC_NATS_USER": "api", "CAMREC_NATS_PASSWORD_FILE": "/nonexistent/api.password"},
            "CAMREC_NATS_PASSWORD_FILE: cannot read /nonexistent/api.password: No such file",
        ),
        (
            {
                "CAMREC_NATS_USER": "a",
                "CAMREC_NATS_PASSWORD": "x",
                "CAMREC_NATS_PASSWORD_FILE": "f",
            },
            "give CAMREC_NATS_PASSWORD or CAMREC_NATS_PASSWORD_FILE, not both",
        ),
        (
            {"CAMREC_RELAY_READ_USER": "camrec-reader"},
            "give both CAMREC_RELAY_READ_USER and CAMREC_RELAY_READ_PASSWORD(_FILE), or none",
        ),
    ],
)
def test_a_login_half_given_stops_the_start_saying_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], needle: str
) -> None:
    for name in ("CAMREC_RELAY_READ_USER", "CAMREC_RELAY_READ_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(RelayReaderSettings)
    assert needle in str(caught.value)
