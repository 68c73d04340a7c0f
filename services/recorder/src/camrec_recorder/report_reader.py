"""The join's packet report, parsed in a process of its own (``python -m
camrec_recorder.report_reader``): FFmpeg's ``framecrc`` on stdin, the packet times as
:func:`camrec_recorder.report.dump` writes them on stdout. See :data:`report.READER`."""

from __future__ import annotations

import sys

from .report import CHUNK, _Report, dump


def main() -> None:
    report = _Report()
    error: str | None = None
    while chunk := sys.stdin.buffer.read(CHUNK):  # read to the end even when unreadable
        if error is None:
            try:
                report.feed(chunk)
            except ValueError as problem:
                error = str(problem)
    written = None
    if error is None:
        try:
            written = report.close()
        except ValueError as problem:
            error = str(problem)
    sys.stdout.buffer.write(dump(written, error))


if __name__ == "__main__":
    main()
