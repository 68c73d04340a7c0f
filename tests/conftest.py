"""Shared test set-up: fixtures live in tests/fixtures/, one module per real part."""

pytest_plugins = [
    "tests.fixtures.nats",
    "tests.fixtures.go2rtc",
    "tests.fixtures.mediamtx",
    "tests.fixtures.cameras",
    "tests.fixtures.proxy",
    "tests.fixtures.long_file",
]
