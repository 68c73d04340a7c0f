"""``python -m camrec_devstack`` (what ./scripts/dev runs): the local stack until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from camrec_contracts.nats_users import OPS_USER
from camrec_contracts.settings import load_settings
from camrec_runtime.logs import setup_logging

from .procs import ProcessFailed
from .settings import StackSettings
from .stack import LocalStack

log = logging.getLogger("camrec.dev")


def main() -> int:
    settings = load_settings(StackSettings)
    setup_logging(settings.log_level)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("got %s; stopping the stack", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stack = LocalStack(settings)
    try:
        stack.start()
        health = stack.wait_healthy()
        log.info(
            "NATS CLI as the ops user: export NATS_USER=%s NATS_PASSWORD=$(cat %s)",
            OPS_USER,
            stack.credentials.nats_password_file(OPS_USER),
        )
        if health.status_code == 200:
            log.info("camrec is up: %s (logs in %s)", stack.url, stack.logs)
        else:
            log.warning("camrec started but is not healthy yet: %s", health.text)
        while not stop.wait(0.5):
            stack.watch_once()
    except ProcessFailed as error:
        log.error("%s", error)
        return 1
    finally:
        stack.stop()
        log.info("local stack stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
