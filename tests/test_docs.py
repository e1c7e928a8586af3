"""Generated documentation stays in step with the code that generates it."""

from __future__ import annotations

from pathlib import Path

from fraudkit.features import catalogue_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_feature_catalogue_doc_is_up_to_date() -> None:
    """docs/features.md is `python -m fraudkit.features` output; regenerate it when a feature changes."""
    doc = (ROOT / "docs" / "features.md").read_text(encoding="utf-8")
    assert doc == catalogue_markdown(), "stale: run `python -m fraudkit.features > docs/features.md`"


def test_readme_links_the_feature_catalogue() -> None:
    assert "(docs/features.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
