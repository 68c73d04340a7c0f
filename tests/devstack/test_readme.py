"""The README's settings table is generated from the settings classes and must be current."""

from __future__ import annotations

from camrec_devstack.paths import REPO
from camrec_devstack.settings_doc import WHO, render, splice

README = REPO / "README.md"


def test_settings_table_is_current() -> None:
    text = README.read_text()
    assert splice(text) == text, (
        "README's settings table is stale: run "
        "`uv run python -m camrec_devstack.settings_doc --write`"
    )


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text()
    for _, cls in WHO:
        for name in cls.model_fields:
            assert f"`CAMREC_{name.upper()}`" in text
    assert "CAMREC_PREVIEW_MAX_WIDTH" in render()
