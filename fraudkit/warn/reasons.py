"""Reasons in plain language from LightGBM's per-row contributions.

``booster.predict(x, pred_contrib=True)`` splits each row's raw score into one additive
share per feature (SHAP values) plus a base value. The reasons of a row are its features
with the largest positive shares, rendered with the row's value from the feature's
template ("Caller rang 57 strangers in the past 24 h"). Contributions cost far more than
scores, so they are computed for the listed rows only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from fraudkit.features import FEATURE_CATALOGUE
from fraudkit.model.catalogue import ModelFeature, catalogue_reason
from fraudkit.model.contacts import CONTACT_FEATURES
from fraudkit.model.dataset import CLUSTER_FEATURES

if TYPE_CHECKING:
    import lightgbm

TEMPLATES: dict[str, ModelFeature] = {f.name: f for f in (*CONTACT_FEATURES, *CLUSTER_FEATURES)}
MEANINGS: dict[str, str] = {spec.name: spec.meaning for spec in FEATURE_CATALOGUE}


def contributions(booster: lightgbm.Booster, frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    """Per-row, per-feature contributions to the raw score (columns in ``features`` order, base value dropped)."""
    if frame.is_empty():
        return np.zeros((0, len(features)))
    x = frame.select([pl.col(f).cast(pl.Float64) for f in features]).to_numpy()
    raw = booster.predict(x, pred_contrib=True, num_iteration=booster.best_iteration or None)
    return np.asarray(raw)[:, : len(features)]


def top_reasons(contrib: np.ndarray, features: list[str], *, n: int = 3) -> list[list[str]]:
    """Names of each row's ``n`` features with the largest positive contributions, largest first.

    Ties are broken by feature order, so the same model and row always give the same reasons;
    a row with fewer than ``n`` positive contributions gets fewer reasons.
    """
    out = []
    for row in contrib:
        order = sorted(range(len(features)), key=lambda j: (-row[j], j))
        out.append([features[j] for j in order[:n] if row[j] > 0])
    return out


def render_reason(feature: str, value: float | None) -> str:
    """One reason sentence for a feature and the row's value."""
    template = TEMPLATES.get(feature)
    if template is not None:
        return template.render(value)
    return catalogue_reason(feature, MEANINGS.get(feature, feature.replace("_", " ")), value)


def reason_columns(booster: lightgbm.Booster, frame: pl.DataFrame, features: list[str], *, n: int = 3) -> pl.DataFrame:
    """``reason_1`` .. ``reason_n`` (sentences) and ``reason_features`` (names) for the rows of ``frame``."""
    names = top_reasons(contributions(booster, frame, features), features, n=n)
    values = frame.select(features).rows()
    index = {f: j for j, f in enumerate(features)}
    columns: dict[str, list[str | None]] = {f"reason_{i + 1}": [] for i in range(n)}
    for row_names, row_values in zip(names, values, strict=True):
        for i in range(n):
            if i < len(row_names):
                feature = row_names[i]
                columns[f"reason_{i + 1}"].append(render_reason(feature, row_values[index[feature]]))
            else:
                columns[f"reason_{i + 1}"].append(None)
    return pl.DataFrame(
        {**columns, "reason_features": [",".join(r) for r in names]},
        schema={**{k: pl.String for k in columns}, "reason_features": pl.String},
    )
