"""The worker id under compose: the container's name from Docker's DNS PTR answer (stable
across re-creation, one per replica), only when asked for and no id is set; the host name
when no name comes back. The grace for lost workers is validated at start-up."""

from __future__ import annotations

import logging
import socket

import pytest
from pydantic import ValidationError

from camrec_recorder.settings import RecorderSettings
from camrec_recorder.worker_name import container_name, lookup_container_name, named_worker


@pytest.mark.parametrize(
    ("ptr", "name"),
    [
        ("camrec-recorder-2.camrec_default.", "camrec-recorder-2"),  # compose v2
        ("camrec_recorder_1.camrec_default", "camrec_recorder_1"),  # compose v1
        ("camrec-e2e-recorder-1.camrec-e2e_default.", "camrec-e2e-recorder-1"),
        ("  lonely.  ", "lonely"),
        (".", None),
        ("", None),
    ],
)
def test_the_container_name_is_the_first_label(ptr: str, name: str | None) -> None:
    assert container_name(ptr) == name


def test_an_id_that_is_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMREC_WORKER_ID", "w9")
    monkeypatch.setenv("CAMREC_WORKER_ID_FROM", "container-name")
    settings = RecorderSettings()
    assert named_worker(settings).worker_id == "w9"


def test_the_host_name_without_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMREC_WORKER_ID", raising=False)
    monkeypatch.delenv("CAMREC_WORKER_ID_FROM", raising=False)
    settings = RecorderSettings()
    assert named_worker(settings) is settings


def test_no_answer_falls_back_to_the_host_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside Docker (here) the PTR query gets no container name: the host name stays,
    and a line says so."""
    monkeypatch.delenv("CAMREC_WORKER_ID", raising=False)
    monkeypatch.setenv("CAMREC_WORKER_ID_FROM", "container-name")
    settings = RecorderSettings()
    # 192.0.2.1 (TEST-NET-1) has no PTR anywhere: no DNS server here, or NXDOMAIN from one
    assert lookup_container_name("192.0.2.1", timeout_s=1) is None
    with caplog.at_level(logging.INFO):
        named = named_worker(settings)
    if named.worker_id != settings.worker_id:  # a DNS server that knows this host's address
        pytest.skip(f"this machine's DNS names it {named.worker_id}")
    assert named.worker_id == RecorderSettings(worker_id=socket.gethostname()).worker_id
    assert "worker id: the host name" in caplog.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lost_worker_grace_s", 2, "greater than or equal to 5"),
        ("worker_id_from", "dns", "'hostname' or 'container-name'"),
    ],
)
def test_bad_values_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RecorderSettings(**{field: value})  # type: ignore[arg-type]
