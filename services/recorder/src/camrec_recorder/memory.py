"""Give the memory a finish used back to the system.

The finish of a 2 h recording holds its packet times (~45 MB of Python floats and tuples)
for a few seconds. Freed, most of that stays in the C allocator's heap: measured on a 2 h
synthetic finish (``bench/finish_bench.py``'s part, in one process), RSS 42 -> 61 MB
after the finish, 48 MB after ``malloc_trim``. A recorder runs for weeks and finishes many
files, so it trims after each one."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)


def _trim() -> object:
    """glibc's ``malloc_trim`` (Debian's python images); None where the C library lacks it."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _trim()


def give_back() -> None:
    """Collect cycles, then return the C heap's free pages to the system."""
    gc.collect()
    if callable(_MALLOC_TRIM):
        _MALLOC_TRIM(0)
