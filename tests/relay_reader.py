"""The tests' relay read user: one password per test process. Every relay a test starts wants
it (MediaMTX; go2rtc of clients not on loopback), and every test runs with
``CAMREC_RELAY_READ_USER`` / ``CAMREC_RELAY_READ_PASSWORD`` set to it
(``tests.fixtures.mediamtx.relay_reader_env``), so the readers a test starts (proxy, recorder,
previewer settings read the environment) use it like compose's services."""

from __future__ import annotations

import secrets

from camrec_contracts.relay_access import RELAY_READ_USER, RelayReader

TEST_RELAY_READER = RelayReader(RELAY_READ_USER, secrets.token_urlsafe(16))


def reader_env() -> dict[str, str]:
    """The read user as a reader process's settings (for tests that start one with an
    environment of their own)."""
    return {
        "CAMREC_RELAY_READ_USER": TEST_RELAY_READER.user,
        "CAMREC_RELAY_READ_PASSWORD": TEST_RELAY_READER.password,
    }
