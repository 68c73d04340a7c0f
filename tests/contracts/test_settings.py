"""Settings come from CAMREC_* variables; a bad value stops start-up with a clear message."""

from __future__ import annotations

import pytest

from camrec_contracts.settings import CamrecSettings, SettingsError, load_settings


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
