"""The drills reuse the recordings fixtures (proxy + recorder worker + api)."""

from tests.recordings.conftest import rapi, recorders

__all__ = ["rapi", "recorders"]
