"""``python -m camrec_proxy``: run the proxy micro service until SIGTERM/SIGINT."""

from __future__ import annotations

from camrec_contracts.bus import Bus
from camrec_contracts.runtime import Worker, run
from camrec_contracts.services import PROXY
from camrec_contracts.settings import load_settings

from .settings import ProxySettings


async def make_worker(bus: Bus) -> Worker:
    return Worker()


def main() -> None:
    run(PROXY, load_settings(ProxySettings), make_worker)


if __name__ == "__main__":
    main()
