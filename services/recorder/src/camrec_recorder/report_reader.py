"""The join's packet report, parsed in a process of its own (``python -m
camrec_recorder.report_reader``): FFmpeg's ``framecrc`` on stdin, the packet times as
:func:`camrec_recorder.report.dump` writes them on stdout. See :data:`report.READER`."""

from __future__ import annotations

import sys

from .report import parse_report


def main() -> None:
    sys.stdout.buffer.write(parse_report(sys.stdin.buffer))


if __name__ == "__main__":
    main()
