"""docs/nats.md is generated from camrec_contracts and must not drift."""

from __future__ import annotations

from pathlib import Path

from camrec_contracts import catalog
from camrec_contracts.docs import render
from camrec_contracts.jetstream import KV_BUCKETS

DOC = Path(__file__).resolve().parents[2] / "docs" / "nats.md"


def test_nats_md_is_current() -> None:
    assert DOC.read_text() == render(), (
        "docs/nats.md is stale: run `uv run python -m camrec_contracts.docs > docs/nats.md`"
    )


def test_nats_md_names_every_subject_bucket_and_model() -> None:
    text = DOC.read_text()
    for ep in catalog.ENDPOINTS:
        assert f"`{ep.subject}`" in text
    for bucket in KV_BUCKETS:
        assert f"`{bucket}`" in text
    for model in catalog.all_models():
        assert f"### `{model.__name__}`" in text
