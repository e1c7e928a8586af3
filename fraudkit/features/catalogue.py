"""The feature catalogue: every column the producers emit, read from their registrations."""

from __future__ import annotations

from fraudkit.features.accounts import ACCOUNT
from fraudkit.features.money import MONEY
from fraudkit.features.phones import PHONE
from fraudkit.features.spec import FeatureSet, FeatureSpec

FEATURE_SETS: tuple[FeatureSet, ...] = (ACCOUNT, PHONE, MONEY)
FEATURE_CATALOGUE: list[FeatureSpec] = [spec for fs in FEATURE_SETS for spec in fs.specs]


def catalogue_markdown() -> str:
    """The catalogue as Markdown tables, one per producer, for the docs."""
    lines = [
        "# Feature catalogue",
        "",
        "Generated from the code (`fraudkit.features.catalogue_markdown()`). As of T, windows are",
        "half-open and end strictly before T; `fill` is the value when a feature has nothing to",
        "measure (-1 marks durations and ages that do not apply or are unknown).",
    ]
    for fs in FEATURE_SETS:
        lines += [
            "",
            f"## `{fs.producer}` (one row per {fs.entity}, key `{fs.key}`)",
            "",
            "| feature | type | meaning | events | fill |",
            "| --- | --- | --- | --- | --- |",
        ]
        for s in fs.specs:
            fill = f"{s.fill:g}"
            lines.append(f"| `{s.name}` | {s.dtype.__name__} | {s.meaning} | {s.window} | {fill} |")
    return "\n".join(lines) + "\n"
