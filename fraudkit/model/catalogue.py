"""Plain-language descriptions of model features: what each means, and how to say it to a warning team.

A reason is rendered from the feature's template with the row's value, e.g. ``contact_minutes``
= 23.4 becomes "Long call (23 min) from a number new to the subscriber". Meanings and templates
live in the one feature catalogue (``fraudkit.features.catalogue``); features without a
template (the per-day producers' columns) fall back on their catalogue meaning.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Any

from fraudkit.features.catalogue import model_inputs
from fraudkit.features.spec import FeatureSpec
from fraudkit.text import plural


class _ReasonFormatter(string.Formatter):
    """``str.format`` plus specs for people: ``{v:hours}`` and ``{v:days}`` ("5 h", "2.5 days"), and
    ``{v:count fraud report}`` for a whole count with its noun ("1 fraud report", "3 fraud reports")."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("count "):
            return plural(round(float(value)), format_spec.removeprefix("count "))
        if format_spec in ("hours", "days"):
            hours = float(value) * (24.0 if format_spec == "days" else 1.0)
            if hours < 1:
                return f"{hours * 60:.0f} min"
            if hours < 48:
                return f"{hours:.0f} h"
            return f"{hours / 24:.1f} days"
        return super().format_field(value, format_spec)


_FORMATTER = _ReasonFormatter()


@dataclass(frozen=True)
class ModelFeature:
    """One model input: its meaning, and the reason sentence shown when it pushes a score up.

    ``reason`` is a ``str.format`` template over ``v`` (the value); ``missing`` replaces it when
    the value is the fill that means "unknown" (``fill``).
    """

    name: str
    meaning: str
    reason: str
    missing: str | None = None
    fill: float | None = None

    def render(self, value: float | None) -> str:
        """The reason sentence for this value (the unknown-value sentence for the fill value)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.missing or f"{self.meaning}: unknown"
        if self.fill is not None and value == self.fill and self.missing:
            return self.missing
        return _FORMATTER.format(self.reason, v=value)


def model_feature(spec: FeatureSpec) -> ModelFeature:
    """The reason-rendering view of a catalogue entry that has a reason template."""
    if spec.reason is None:
        raise ValueError(f"feature {spec.name!r} has no reason template in the catalogue")
    return ModelFeature(spec.name, spec.meaning, spec.reason, spec.missing, spec.fill if spec.missing else None)


def model_features(model: str, producer: str) -> tuple[ModelFeature, ...]:
    """The inputs of ``model`` made by ``producer``, as reason templates (e.g. "victim", "contact_features")."""
    return tuple(model_feature(s) for s in model_inputs(model) if s.producer == producer)


def catalogue_reason(name: str, meaning: str, value: float | None) -> str:
    """A reason for a feature without a template: its catalogue meaning and the value."""
    if value is None:
        return f"{meaning}: unknown"
    shown = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"
    first = meaning.split(";")[0].strip()
    return f"{first[:1].upper()}{first[1:]}: {shown}"
