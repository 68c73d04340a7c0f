"""This worker's id under compose: its container's name (``<project>-recorder-<n>``), which
stays the same when the container is re-created (``up -d --build``) and differs per replica
(``--scale``), where the host name is a new container id every time and orphans what the
old container recorded.

Inside a container only Docker's embedded DNS knows the name: it answers a reverse (PTR)
query for a container's address with ``<container name>.<network>``. The query goes to the
DNS server itself, not through ``gethostbyaddr``: that reads /etc/hosts first, where Docker
maps the address to the host name (the container id)."""

from __future__ import annotations

import logging
import socket

import dns.exception
import dns.resolver

from .settings import RecorderSettings, subject_safe

log = logging.getLogger(__name__)

LOOKUP_S = 2.0
"""The embedded DNS answers from memory (ms); past this something else answers, or no one."""


def container_name(ptr: str) -> str | None:
    """``camrec-recorder-2.camrec_default.`` → ``camrec-recorder-2`` (the PTR name is the
    container's name, then its network's; compose names carry no dots)."""
    name = ptr.strip().rstrip(".").split(".", 1)[0]
    return name or None


def own_address() -> str:
    """This container's address on its network (Docker's /etc/hosts maps the host name to
    it)."""
    return socket.gethostbyname(socket.gethostname())


def lookup_container_name(address: str | None = None, timeout_s: float = LOOKUP_S) -> str | None:
    """Ask the DNS server (Docker's, in a container) for the name of ``address`` (default:
    this container's). None, with a log line saying why, when there is no answer."""
    try:
        address = address or own_address()
        answer = dns.resolver.resolve_address(address, lifetime=timeout_s)
    except (OSError, dns.exception.DNSException) as error:
        log.warning("no container name for this worker (%s)", error)
        return None
    for record in answer:
        name = container_name(record.to_text())
        if name:
            return name
    log.warning("no container name for this worker: the PTR answer for %s is empty", address)
    return None


def named_worker(settings: RecorderSettings) -> RecorderSettings:
    """``settings`` with the container's name as the worker id, when asked for
    (``CAMREC_WORKER_ID_FROM=container-name``) and no id is set; else as they are."""
    if "worker_id" in settings.model_fields_set or settings.worker_id_from != "container-name":
        return settings
    name = lookup_container_name()
    if name is None:
        log.warning("worker id: the host name, %s", settings.worker_id)
        return settings
    log.info("worker id: the container's name, %s", name)
    return settings.model_copy(update={"worker_id": subject_safe(name)})
