"""From indicators to a 0-100 index, its headings, its colour, and what moved it.

Each indicator is normalised across the regions of one level and month, signed so that higher is always
safer: by default a z-score after winsorising at the ``winsor`` and ``1 - winsor`` quantiles, so one
extreme county does not flatten the rest (``method = "minmax"``: the same range mapped to [-2.5, 2.5]).
A heading's score is the weighted mean of its indicators' scores, the index the weighted sum of the
headings', both on the scale 50 + 10 x score (an average region is 50, one standard deviation safer 60),
clipped to 0-100. An indicator with no value for a region (the store cannot tell) counts as average.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from fraudkit.errors import ConfigError
from fraudkit.index.indicators import INDICATORS
from fraudkit.index.result import HEADINGS, Heading

c = pl.col
Method = Literal["zscore", "minmax"]


def _default_weights(heading: Heading) -> tuple[float, ...]:
    return tuple(1.0 for ind in INDICATORS if ind.heading == heading)


@dataclass(frozen=True)
class IndexParams:
    """How indicators become the index and its colours (``[index]``; the defaults are argued in docs/index.md)."""

    method: Method = "zscore"
    winsor: float = 0.05
    """Quantile at which each indicator is winsorised (both tails) before it is normalised."""
    heading_weights: tuple[float, float, float] = (0.6, 0.2, 0.2)
    """Weights of cases, interception and supply side in the index."""
    cases_weights: tuple[float, ...] = (1.0, 1.0, 0.0, 3.0, 1.0)
    """Reports, reported loss per resident, per GDP (shown, not weighed), money paid into water houses, repeat
    victims."""
    interception_weights: tuple[float, ...] = field(default_factory=lambda: _default_weights("interception"))
    supply_weights: tuple[float, ...] = field(default_factory=lambda: _default_weights("supply"))
    red_below: float = 40.0
    """An index under this is red (one standard deviation less safe than the average region) ..."""
    yellow_below: float = 47.5
    """... under this yellow ..."""
    red_drop: float = 10.0
    """... and a fall of this many points since the published previous month is red, ..."""
    yellow_drop: float = 5.0
    """... of this many yellow."""
    spike_ratio: float = 2.0
    """A region whose reports in the month reach this many times its mean over the previous months ..."""
    spike_months: int = 3
    """... (this many, those with data) ..."""
    spike_min_excess: int = 3
    """... and exceed that mean by at least this many reports is red whatever its index (a sudden spike)."""

    def __post_init__(self) -> None:
        if self.method not in ("zscore", "minmax"):
            raise ConfigError(f"method must be zscore or minmax, got {self.method!r}")
        if not 0 <= self.winsor < 0.5:
            raise ConfigError(f"winsor must be in [0, 0.5), got {self.winsor}")
        for heading, weights in zip(
            HEADINGS, (self.cases_weights, self.interception_weights, self.supply_weights), strict=True
        ):
            expected = len(_default_weights(heading))
            if len(weights) != expected:
                raise ConfigError(f"{heading}_weights needs {expected} weights (one per indicator), got {len(weights)}")
            if min(weights) < 0 or sum(weights) <= 0:
                raise ConfigError(f"{heading}_weights must be >= 0 and not all 0")
        if len(self.heading_weights) != 3 or min(self.heading_weights) < 0 or sum(self.heading_weights) <= 0:
            raise ConfigError("heading_weights needs 3 weights >= 0 (cases, interception, supply), not all 0")
        if not 0 <= self.red_below <= self.yellow_below <= 100:
            raise ConfigError("need 0 <= red_below <= yellow_below <= 100")
        if not 0 <= self.yellow_drop <= self.red_drop:
            raise ConfigError("need 0 <= yellow_drop <= red_drop")
        if self.spike_ratio <= 1 or self.spike_months < 1 or self.spike_min_excess < 0:
            raise ConfigError("need spike_ratio > 1, spike_months >= 1 and spike_min_excess >= 0")

    def weights(self) -> dict[str, float]:
        """Each indicator's weight in the index: its heading's weight times its share within the heading."""
        total = sum(self.heading_weights)
        return {
            name: hw / total * share
            for heading, hw in zip(HEADINGS, self.heading_weights, strict=True)
            for name, share in self.heading_share(heading).items()
        }

    def heading_share(self, heading: Heading) -> dict[str, float]:
        """Each indicator's weight within ``heading`` (summing to 1)."""
        weights = dict(zip(HEADINGS, (self.cases_weights, self.interception_weights, self.supply_weights), strict=True))
        names = [ind.name for ind in INDICATORS if ind.heading == heading]
        total = sum(weights[heading])
        return {name: w / total for name, w in zip(names, weights[heading], strict=True)}


def normalised(values: pl.DataFrame, params: IndexParams) -> pl.DataFrame:
    """``values`` with ``s_<name>`` per indicator: its signed, normalised score (higher is safer; 0 average)."""
    exprs = []
    for ind in INDICATORS:
        raw = c(ind.name)
        lo, hi = raw.quantile(params.winsor, "linear"), raw.quantile(1 - params.winsor, "linear")
        clipped = raw.clip(lo, hi)
        if params.method == "zscore":
            spread = clipped.std(ddof=0)
            score = pl.when(spread > 0).then((clipped - clipped.mean()) / spread).otherwise(0.0)
        else:
            width = hi - lo
            score = pl.when(width > 0).then(5.0 * ((clipped - lo) / width - 0.5)).otherwise(0.0)
        signed = score if ind.higher_is == "safer" else -score
        exprs.append(signed.fill_null(0.0).fill_nan(0.0).alias(f"s_{ind.name}"))
    return values.with_columns(exprs)


def scored(values: pl.DataFrame, params: IndexParams) -> pl.DataFrame:
    """``values`` with ``score_<heading>``, ``index`` (0-100) and ``contribution_<name>`` per indicator."""
    frame = normalised(values, params)
    weights = params.weights()
    contributions = [
        (10.0 * weights[ind.name] * c(f"s_{ind.name}")).alias(f"contribution_{ind.name}") for ind in INDICATORS
    ]
    headings = []
    for heading in HEADINGS:
        share = params.heading_share(heading)
        total = pl.sum_horizontal([share[name] * c(f"s_{name}") for name in share])
        headings.append((50.0 + 10.0 * total).clip(0.0, 100.0).alias(f"score_{heading}"))
    frame = frame.with_columns(*contributions, *headings)
    index = 50.0 + pl.sum_horizontal([c(f"contribution_{ind.name}") for ind in INDICATORS])
    return frame.with_columns(index.clip(0.0, 100.0).alias("index")).drop([f"s_{ind.name}" for ind in INDICATORS])


def spikes(history: pl.DataFrame, month: str, params: IndexParams) -> pl.DataFrame:
    """Regions whose reports jumped this month: ``region``, ``spike_reason``. ``history``: region, month, cases
    for this month and the ones before it."""
    now = history.filter(c("month") == month).select("region", c("cases").alias("_now"))
    months = sorted(m for m in history["month"].unique().to_list() if m < month)[-params.spike_months :]
    if not months:
        return pl.DataFrame(schema={"region": pl.Utf8, "spike_reason": pl.Utf8})
    before = (
        history.filter(c("month").is_in(months)).group_by("region").agg((c("cases").sum() / len(months)).alias("_mean"))
    )
    both = now.join(before, on="region", how="left").with_columns(c("_mean").fill_null(0.0))
    jumped = both.filter(
        (c("_now") >= params.spike_ratio * c("_mean")) & (c("_now") - c("_mean") >= params.spike_min_excess)
    )
    reason = pl.format(
        "reports jumped to {} from an average of {} over the previous {}",
        c("_now"),
        c("_mean").round(1),
        pl.lit(f"{len(months)} month{'s' if len(months) > 1 else ''}"),
    )
    return jumped.select("region", reason.alias("spike_reason"))


def tiers(frame: pl.DataFrame, params: IndexParams) -> pl.DataFrame:
    """``tier`` and ``tier_reason`` from the index, its ``change`` since the published previous month and
    ``spike_reason`` (null when no spike)."""
    index, change = c("index"), c("change")
    red = (
        pl.when(c("spike_reason").is_not_null())
        .then(pl.format("red: {}", c("spike_reason")))
        .when(index < params.red_below)
        .then(pl.format("red: index {} is under {}", index.round(1), pl.lit(params.red_below)))
        .when(change <= -params.red_drop)
        .then(pl.format("red: index fell {} points since last month", (-change).round(1)))
    )
    yellow = (
        red.when(index < params.yellow_below)
        .then(pl.format("yellow: index {} is under {}", index.round(1), pl.lit(params.yellow_below)))
        .when(change <= -params.yellow_drop)
        .then(pl.format("yellow: index fell {} points since last month", (-change).round(1)))
        .otherwise(pl.format("green: index {}", index.round(1)))
    )
    return frame.with_columns(yellow.alias("tier_reason")).with_columns(
        c("tier_reason").str.extract(r"^(\w+):", 1).alias("tier")
    )
