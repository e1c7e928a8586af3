"""SynthConfig: every knob of the synthetic world in one frozen, validated dataclass.

Built once at the entry point (CLI flags, a dict or a TOML file) and checked there,
so a bad value fails with a message naming the field instead of deep inside numpy.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from fraudkit.errors import ConfigError
from fraudkit.synth.regions import CITY_CODES, COUNTIES, COUNTY_CODES, PROVINCE_CODE

Typology = Literal["fan_in", "fan_out", "chain", "scatter_gather", "layered_split", "cycle"]
TYPOLOGIES: tuple[Typology, ...] = (
    "fan_in",
    "fan_out",
    "chain",
    "scatter_gather",
    "layered_split",
    "cycle",
)
PresetName = Literal["default", "alt", "transfers"]
WorldKind = Literal["telecom", "transfers"]
WORLD_KINDS: tuple[WorldKind, ...] = ("telecom", "transfers")
"""telecom: calls, transfers, reports and subscribers (the default); transfers: bank transfers
only, one timestamp a day, slow laundering (fraudkit.synth.transfers, docs/synth-transfers.md)."""

TransferTypology = Literal[
    "fan_in", "fan_out", "cycle", "scatter_gather", "gather_scatter", "bipartite", "stack", "random"
]
TRANSFER_TYPOLOGIES: tuple[TransferTypology, ...] = (
    "fan_in",
    "fan_out",
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "bipartite",
    "stack",
    "random",
)
"""Laundering patterns of a transfers world, after IBM's AMLworld and AMLSim."""

MAX_DWELL_STEPS = 7
"""Longest chain of waits money goes through in a ring (cycle: 6 hops and the cash-out)."""

ATM_QUEUE_HOURS = 2.0
"""Upper bound on the time a cash-out mule spends on a series of ATM withdrawals."""

MIN_RING_SIZE = 4
"""Smallest ring every typology can be laid out in (collector, two layers, cash-out)."""

MAX_LAUNDERING_SHARE = 0.2
"""Most of a transfers world's accounts are ordinary: at most a fifth launder."""

MAX_ENGAGEMENT_EFFECT = 10.0
"""Steepest log-odds slope of paying on the log hook-call length (10 is already all-or-nothing)."""

MAX_COUNTY_SIGMA = 3.0
"""Widest spread of fraud between counties (log-sigma 3: a county two sigmas up is hit 400 times the median)."""

MAX_SPIKE_FACTOR = 100.0
"""Largest factor a spike multiplies one county's month by."""

IntensitySpike = tuple[str, str, float]
"""(county code, month "YYYY-MM", factor) of :attr:`SynthConfig.intensity_spikes`."""


def _default_typologies() -> dict[str, float]:
    return {
        "fan_in": 0.22,
        "fan_out": 0.14,
        "chain": 0.2,
        "scatter_gather": 0.14,
        "layered_split": 0.2,
        "cycle": 0.1,
    }


def _default_transfer_typologies() -> dict[str, float]:
    return {t: 1.0 for t in TRANSFER_TYPOLOGIES}


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthetic world; the same config always yields the same tables."""

    seed: int = 7
    subscribers: int = 20_000
    days: int = 30
    start: datetime = datetime(2026, 10, 1)
    kind: WorldKind = "telecom"
    """What kind of world: ``telecom`` (calls, transfers within hours, reports) or ``transfers``
    (bank transfers only, daily timestamps, laundering over weeks; the ``transfers`` preset)."""

    # ordinary life: people, calls, money
    offnet_share: float = 0.08
    unbanked_share: float = 0.2
    community_size_range: tuple[int, int] = (20, 150)
    contacts_per_person: int = 12
    calls_per_person_day: float = 0.23
    callback_rate: float = 0.35
    sms_share: float = 0.12
    travel_rate: float = 0.03
    new_sim_rate: float = 0.02
    shopping_per_person_month: float = 7.0
    p2p_per_person_month: float = 2.0
    bills_per_person_month: float = 1.5
    atm_per_person_month: float = 0.5
    topups_per_person_month: float = 0.6
    employment_rate: float = 0.6
    renter_share: float = 0.3

    # legitimate look-alikes, per 10,000 subscribers
    merchants_per_10k: float = 40.0
    utilities_per_10k: float = 2.0
    employers_per_10k: float = 20.0
    call_centres_per_10k: float = 0.75
    couriers_per_10k: float = 8.0
    phone_changers_per_10k: float = 30.0
    fast_forwarders_per_10k: float = 8.0
    big_purchases_per_10k: float = 15.0

    # fraud operations and their numbers
    fraud_operations_per_100k: float = 60.0
    fraud_numbers_per_operation: tuple[int, int] = (2, 6)
    rings_per_operation: tuple[int, int] = (1, 4)
    operation_days_range: tuple[float, float] = (5.0, 20.0)
    fraud_calls_per_number_day: tuple[int, int] = (30, 150)
    fraud_number_lifetime_days: tuple[float, float] = (1.0, 6.0)
    aged_sim_share: float = 0.2
    sims_per_imei: tuple[int, int] = (2, 6)
    fraud_roaming_share: float = 0.35
    hook_rate: float = 0.06
    victim_conversion_rate: float = 0.6
    """Share of hooked targets (banked, not look-alikes) who go on to pay, on average."""
    victim_engagement_effect: float = 1.5
    """Log-odds slope of paying on the log of the hook call's length relative to its median:
    who pays is who the fraudster keeps on the line. Targets who grow suspicious hang up
    within minutes; those who pay are talked through it for the better part of an hour
    (公检法 impersonation, fake refunds: fear or greed built up, then the transfer explained
    step by step, often with screen sharing). 1.5 multiplies the odds of paying by 2.8 for
    each doubling of the call: with the hook lengths drawn here (median 25 min), about 1 in 4
    targets who hang up after 8 min pays, 3 in 5 at the median, 6 in 7 after an hour. Still a
    draw, not a rule: some long calls end in nothing and some short ones in a payment. 0 makes
    paying independent of the call. The rate among hooked targets stays
    ``victim_conversion_rate`` whatever the slope (the intercept is solved for it)."""
    victim_second_call_rate: float = 0.5
    """Share of the targets who pay whom the operation rings again between the hook and the
    first transfer: the same fraudster walking them through the bank app, or a colleague's
    number taking over (the fake officer handing over to a fake prosecutor)."""
    hooked_retry_rate: float = 0.15
    """Share of hooked targets who do not pay whom the operation rings again within a day:
    most hang up or do not answer, some listen for minutes and still do not pay."""
    victim_payments_range: tuple[int, int] = (1, 4)
    loss_median: float = 6_000.0
    loss_sigma: float = 1.0
    county_intensity_sigma: float = 0.5
    """How unevenly fraud falls on the counties (fraudkit.synth.counties): each county's people are
    put on operations' target lists with a weight drawn lognormal with this log-sigma, scaled to a
    mean of 1 over the world's people (0.5: a county at the 90th percentile is hit about 3.6 times as
    hard as one at the 10th, as per-resident case rates spread between districts). 0 makes every
    county alike. The truth table ``regions`` records the weight of each county and month."""
    intensity_spikes: tuple[IntensitySpike, ...] = ()
    """Fraud waves: (county code, "YYYY-MM", factor), e.g. ``[["440306", "2026-10", 2.0]]``; in that
    month that county's weight is multiplied by the factor, so about ``factor`` times as many of its
    people become victims. Spikes of one county and month multiply."""

    # water houses (mule rings)
    typology_weights: dict[str, float] = field(default_factory=_default_typologies)
    ring_size_range: tuple[int, int] = (4, 16)
    dwell_minutes_range: tuple[float, float] = (3.0, 360.0)
    fee_range: tuple[float, float] = (0.0, 0.03)
    split_threshold: float = 50_000.0
    mule_from_population_share: float = 0.4
    mule_shared_holder_rate: float = 0.2
    mule_shared_phone_rate: float = 0.25
    mule_account_age_days: tuple[float, float] = (3.0, 60.0)
    mule_aged_account_share: float = 0.25
    mule_camouflage_rate: float = 0.3
    atm_cashout_share: float = 0.6
    mule_turnover_per_week: float = 0.4
    """How often a ring replaces one of its accounts (a burned account dropped, a new one recruited in
    its place), per account and week of the ring's use: water houses live for weeks and change their
    mules. 0 keeps every ring's accounts for its whole life."""

    # transfer-only worlds (kind "transfers"); ring_size_range, fee_range, the mule and the
    # ordinary-life rates above apply to them too
    laundering_account_share: float = 0.01
    """Share of accounts that launder (1%: public synthetic AML data holds 0.5-2%)."""
    transfer_typology_weights: dict[str, float] = field(default_factory=_default_transfer_typologies)
    """Weight of each laundering pattern (TRANSFER_TYPOLOGIES) among the rings of a transfers world."""
    ring_weeks_range: tuple[float, float] = (2.0, 16.0)
    """How many weeks a ring of a transfers world is active, drawn uniform in this range."""
    hop_days_range: tuple[int, int] = (1, 10)
    """Days between money arriving at a laundering account and its passing it on."""
    laundering_amount_median: float = 700.0
    """Median laundering transfer: the scale of ordinary payments (hundreds to low thousands)."""
    passthrough_per_10k: float = 30.0
    """Accounts per 10,000 that gather money from family and forward it days later (remittance)."""

    # reports and the noise of reality
    report_rate: float = 0.5
    report_delay_hours: tuple[float, float] = (2.0, 168.0)
    report_missing_rate: float = 0.1
    report_wrong_rate: float = 0.05
    failed_txn_rate: float = 0.01
    duplicate_payment_rate: float = 0.003

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):  # lists from TOML/JSON stand for ranges
                object.__setattr__(self, f.name, tuple(value))
        for name in ("typology_weights", "transfer_typology_weights"):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                object.__setattr__(self, name, {str(k): v for k, v in value.items()})
        if isinstance(self.intensity_spikes, tuple):  # [[code, month, factor], ...] from TOML/JSON
            spikes = tuple(tuple(s) if isinstance(s, list | tuple) else s for s in self.intensity_spikes)
            spikes = tuple(_code_as_text(s) for s in spikes)
            object.__setattr__(self, "intensity_spikes", spikes)
        _validate(self)

    @property
    def end_seconds(self) -> int:
        """Length of the world in seconds from ``start``."""
        return self.days * 86_400

    @property
    def months(self) -> tuple[str, ...]:
        """The calendar months ("YYYY-MM") the world's days fall in, first to last."""
        last = self.start + timedelta(days=self.days) - timedelta(microseconds=1)
        year, month, out = self.start.year, self.start.month, []
        while (year, month) <= (last.year, last.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(out)

    @property
    def max_flow_hours(self) -> float:
        """Money entering a ring has been cashed out at most this many hours later."""
        return MAX_DWELL_STEPS * self.dwell_minutes_range[1] / 60.0 + ATM_QUEUE_HOURS

    def typology_probabilities(self) -> list[float]:
        """Weights in the fixed order of TYPOLOGIES, normalised (never dict order)."""
        raw = [float(self.typology_weights.get(t, 0.0)) for t in TYPOLOGIES]
        total = sum(raw)
        return [w / total for w in raw]

    def transfer_typology_probabilities(self) -> list[float]:
        """Weights in the fixed order of TRANSFER_TYPOLOGIES, normalised (never dict order)."""
        raw = [float(self.transfer_typology_weights.get(t, 0.0)) for t in TRANSFER_TYPOLOGIES]
        total = sum(raw)
        return [w / total for w in raw]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/TOML-friendly values; ``from_dict(to_dict())`` gives an equal config."""
        out = asdict(self)
        out["start"] = self.start.isoformat()
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        out["intensity_spikes"] = [list(spike) for spike in self.intensity_spikes]
        out["typology_weights"] = {t: self.typology_weights.get(t, 0.0) for t in TYPOLOGIES}
        out["transfer_typology_weights"] = {t: self.transfer_typology_weights.get(t, 0.0) for t in TRANSFER_TYPOLOGIES}
        return out

    def replace(self, **changes: Any) -> SynthConfig:
        """A copy with some fields changed, validated like any other."""
        return SynthConfig.from_dict({**self.to_dict(), **changes})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SynthConfig:
        """Build from plain values; unknown keys and ill-typed values raise ConfigError."""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError(
                    f"unknown synth setting {key!r}",
                    hint=f"known settings: {', '.join(sorted(known))}",
                )
        values = dict(data)
        start = values.get("start")
        if isinstance(start, str):
            try:
                values["start"] = datetime.fromisoformat(start)
            except ValueError as exc:
                raise ConfigError(f"start: {start!r} is not an ISO date-time") from exc
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> SynthConfig:
        """Read a TOML file: settings at top level or under a ``[synth]`` table."""
        path = Path(path)
        try:
            with path.open("rb") as fh:
                doc = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"no such config file: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        section = doc.get("synth", doc)
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [synth] must be a table")
        return cls.from_dict(section)

    @classmethod
    def preset(cls, name: PresetName | str = "default", **overrides: Any) -> SynthConfig:
        """A named world: ``default``, ``alt`` (another typology mix and parameters) or ``transfers``
        (bank transfers only, daily timestamps, laundering over weeks: docs/synth-transfers.md)."""
        if name not in PRESETS:
            raise ConfigError(f"unknown synth preset {name!r}", hint=f"choose one of {sorted(PRESETS)}")
        return cls.from_dict({**PRESETS[name], **overrides})


PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    # A world for generalisation tests: other typologies dominate, bigger and slower rings,
    # higher fees, fewer and later reports, more camouflage and more look-alikes.
    "alt": {
        "typology_weights": {
            "fan_in": 0.05,
            "fan_out": 0.1,
            "chain": 0.1,
            "scatter_gather": 0.25,
            "layered_split": 0.3,
            "cycle": 0.2,
        },
        "ring_size_range": (6, 24),
        "rings_per_operation": (1, 3),
        "fraud_numbers_per_operation": (3, 9),
        "fraud_operations_per_100k": 50.0,
        "dwell_minutes_range": (1.0, 720.0),
        "fee_range": (0.01, 0.05),
        "split_threshold": 20_000.0,
        "hook_rate": 0.06,
        "victim_conversion_rate": 0.45,
        # investment and task scams lean on chat apps: the call is a lead-in, so how long it
        # lasts says less about who pays, and fewer of the follow-ups are phone calls
        "victim_engagement_effect": 0.75,
        "victim_second_call_rate": 0.3,
        "hooked_retry_rate": 0.1,
        "victim_payments_range": (1, 6),
        "loss_median": 12_000.0,
        "fraud_roaming_share": 0.6,
        "aged_sim_share": 0.4,
        "mule_camouflage_rate": 0.6,
        "mule_shared_holder_rate": 0.35,
        "mule_aged_account_share": 0.5,
        "atm_cashout_share": 0.3,
        "report_rate": 0.35,
        "report_delay_hours": (12.0, 336.0),
        "report_missing_rate": 0.2,
        "report_wrong_rate": 0.1,
        "couriers_per_10k": 14.0,
        "fast_forwarders_per_10k": 16.0,
        "big_purchases_per_10k": 25.0,
        "call_centres_per_10k": 1.0,
    },
    # Like public synthetic AML data (IBM's AMLworld, AMLSim) rather than fraudkit's telecom
    # world: transfers only, one timestamp a day, four months, laundering rings of 4-30 accounts
    # active for weeks with hops days apart, amounts in the hundreds; fraudkit.synth.transfers.
    "transfers": {
        "kind": "transfers",
        "start": datetime(2026, 6, 1),  # four months that are over by the default world's start
        "days": 120,
        "ring_size_range": (4, 30),
        "fee_range": (0.005, 0.03),
        # a quarter of the laundering accounts are people of the economy with a whole ordinary life;
        # the rest are kept for it, and 40% of those also shop and pay people now and then
        "mule_from_population_share": 0.25,
        "mule_camouflage_rate": 0.4,
        # rings that change accounts over months are harder for the dense detector (its recall fell from
        # 0.55 to 0.28 at 0.1 a week); off here until it copes, on with [synth] mule_turnover_per_week
        "mule_turnover_per_week": 0.0,
        "shopping_per_person_month": 3.0,
        "p2p_per_person_month": 2.0,
        "bills_per_person_month": 1.0,
        "employment_rate": 0.6,
        "renter_share": 0.25,
        "merchants_per_10k": 40.0,
        "employers_per_10k": 20.0,
        "utilities_per_10k": 3.0,
    },
}


# --- validation -------------------------------------------------------------------------

_RATES = (
    "offnet_share",
    "unbanked_share",
    "callback_rate",
    "sms_share",
    "travel_rate",
    "new_sim_rate",
    "employment_rate",
    "renter_share",
    "aged_sim_share",
    "fraud_roaming_share",
    "hook_rate",
    "victim_conversion_rate",
    "victim_second_call_rate",
    "hooked_retry_rate",
    "mule_from_population_share",
    "mule_shared_holder_rate",
    "mule_shared_phone_rate",
    "mule_aged_account_share",
    "mule_camouflage_rate",
    "atm_cashout_share",
    "laundering_account_share",
    "report_rate",
    "report_missing_rate",
    "report_wrong_rate",
    "failed_txn_rate",
    "duplicate_payment_rate",
)
_NON_NEGATIVE = (
    "mule_turnover_per_week",
    "calls_per_person_day",
    "shopping_per_person_month",
    "p2p_per_person_month",
    "bills_per_person_month",
    "atm_per_person_month",
    "topups_per_person_month",
    "merchants_per_10k",
    "utilities_per_10k",
    "employers_per_10k",
    "call_centres_per_10k",
    "couriers_per_10k",
    "phone_changers_per_10k",
    "fast_forwarders_per_10k",
    "big_purchases_per_10k",
    "fraud_operations_per_100k",
    "passthrough_per_10k",
)
_POSITIVE = ("loss_median", "loss_sigma", "split_threshold", "laundering_amount_median")
# range name -> (smallest allowed low end, largest allowed high end, integral?)
_RANGES: dict[str, tuple[float, float, bool]] = {
    "community_size_range": (2, 100_000, True),
    "fraud_numbers_per_operation": (1, 1_000, True),
    "rings_per_operation": (1, 100, True),
    "operation_days_range": (0.5, 366, False),
    "fraud_calls_per_number_day": (1, 10_000, True),
    "fraud_number_lifetime_days": (0.1, 366, False),
    "sims_per_imei": (1, 100, True),
    "victim_payments_range": (1, 50, True),
    "ring_size_range": (MIN_RING_SIZE, 200, True),
    "dwell_minutes_range": (1, 10_080, False),
    "fee_range": (0, 0.5, False),
    "mule_account_age_days": (0, 3_650, False),
    "report_delay_hours": (0, 24 * 366, False),
    "ring_weeks_range": (0.5, 52, False),
    "hop_days_range": (0, 60, True),
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _validate(cfg: SynthConfig) -> None:
    """Raise ConfigError naming the first field that is out of its domain."""
    for name in ("seed", "subscribers", "days", "contacts_per_person"):
        value = getattr(cfg, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{name} must be an integer, got {value!r}")
    if cfg.seed < 0:
        raise ConfigError(f"seed must be >= 0, got {cfg.seed}")
    if not 200 <= cfg.subscribers <= 50_000_000:
        raise ConfigError(
            f"subscribers must be between 200 and 50,000,000, got {cfg.subscribers}",
            hint="smaller worlds have too few people to hold communities and rings",
        )
    if not 1 <= cfg.days <= 366:
        raise ConfigError(f"days must be between 1 and 366, got {cfg.days}")
    if not 2 <= cfg.contacts_per_person <= 64:
        raise ConfigError(f"contacts_per_person must be between 2 and 64, got {cfg.contacts_per_person}")
    if cfg.kind not in WORLD_KINDS:
        raise ConfigError(f"kind must be one of {', '.join(WORLD_KINDS)}, got {cfg.kind!r}")
    if not isinstance(cfg.start, datetime):
        raise ConfigError(f"start must be a datetime, got {cfg.start!r}")
    if cfg.start.tzinfo is not None:
        raise ConfigError("start must be a naive datetime (local time, no time zone)")
    for name in _RATES:
        value = getattr(cfg, name)
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name} must be a number between 0 and 1, got {value!r}")
    for name, most in (("offnet_share", 0.5), ("unbanked_share", 0.8)):
        if getattr(cfg, name) > most:
            raise ConfigError(
                f"{name} must be at most {most}, got {getattr(cfg, name)!r}",
                hint="the world needs people on this operator and with bank accounts",
            )
    for name in _NON_NEGATIVE:
        value = getattr(cfg, name)
        if not _is_number(value) or value < 0:
            raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
    effect = cfg.victim_engagement_effect
    if not _is_number(effect) or not 0.0 <= effect <= MAX_ENGAGEMENT_EFFECT:
        raise ConfigError(
            f"victim_engagement_effect must be a number between 0 and {MAX_ENGAGEMENT_EFFECT:g}, got {effect!r}",
            hint="0: paying does not depend on the hook call; 1.5 (default): odds x2.8 per doubling of its length",
        )
    for name in _POSITIVE:
        value = getattr(cfg, name)
        if not _is_number(value) or value <= 0:
            raise ConfigError(f"{name} must be a number > 0, got {value!r}")
    for name, (lowest, highest, integral) in _RANGES.items():
        _check_range(name, getattr(cfg, name), lowest, highest, integral)
    _check_typologies(cfg.typology_weights)
    _check_weights("transfer_typology_weights", cfg.transfer_typology_weights, TRANSFER_TYPOLOGIES)
    sigma = cfg.county_intensity_sigma
    if not _is_number(sigma) or not 0.0 <= sigma <= MAX_COUNTY_SIGMA:
        raise ConfigError(
            f"county_intensity_sigma must be a number between 0 and {MAX_COUNTY_SIGMA:g}, got {sigma!r}",
            hint="0: fraud falls alike on every county; 0.5 (default): the 90th percentile 3.6 times the 10th",
        )
    _check_spikes(cfg.intensity_spikes, cfg.months)
    if cfg.laundering_account_share > MAX_LAUNDERING_SHARE:
        raise ConfigError(
            f"laundering_account_share must be at most {MAX_LAUNDERING_SHARE}, got {cfg.laundering_account_share!r}",
            hint="public synthetic AML data holds 0.5-2% laundering accounts; the rest is the economy they hide in",
        )


def _check_range(name: str, value: object, lowest: float, highest: float, integral: bool) -> None:
    if not isinstance(value, tuple) or len(value) != 2 or not all(_is_number(v) for v in value):
        raise ConfigError(f"{name} must be a pair [low, high] of numbers, got {value!r}")
    if integral and not all(isinstance(v, int) for v in value):
        raise ConfigError(f"{name} must be a pair of integers, got {value!r}")
    low, high = value
    if low > high:
        raise ConfigError(f"{name}: low end {low} is above high end {high}")
    if low < lowest or high > highest:
        raise ConfigError(f"{name} must lie within [{lowest}, {highest}], got {value!r}")


def _check_weights(name: str, weights: object, known: tuple[str, ...]) -> None:
    """A table of pattern -> weight over ``known`` names, some weight positive."""
    if not isinstance(weights, dict) or not weights:
        raise ConfigError(f"{name} must be a table of typology -> weight, got {weights!r}")
    for key, value in weights.items():
        if key not in known:
            raise ConfigError(f"{name}: unknown typology {key!r}", hint=f"known: {', '.join(known)}")
        if not _is_number(value) or value < 0:
            raise ConfigError(f"{name}[{key!r}] must be a number >= 0, got {value!r}")
    if sum(weights.values()) <= 0:
        raise ConfigError(f"{name}: at least one typology needs a positive weight")


def _check_typologies(weights: object) -> None:
    if not isinstance(weights, dict) or not weights:
        raise ConfigError(f"typology_weights must be a table of typology -> weight, got {weights!r}")
    for key, value in weights.items():
        if key not in TYPOLOGIES:
            raise ConfigError(f"typology_weights: unknown typology {key!r}", hint=f"known: {', '.join(TYPOLOGIES)}")
        if not _is_number(value) or value < 0:
            raise ConfigError(f"typology_weights[{key!r}] must be a number >= 0, got {value!r}")
    if sum(weights.values()) <= 0:
        raise ConfigError("typology_weights: at least one typology needs a positive weight")


def _code_as_text(spike: object) -> object:
    """A spike whose county code was written as a number (440306 in TOML) with the code as text."""
    if isinstance(spike, tuple) and spike and isinstance(spike[0], int) and not isinstance(spike[0], bool):
        return (str(spike[0]), *spike[1:])
    return spike


def _check_spikes(spikes: object, months: tuple[str, ...]) -> None:
    """Each spike names a county of the synthetic province, a month of the world and a factor > 0."""
    if not isinstance(spikes, tuple):
        raise ConfigError(f'intensity_spikes must be a list of [county code, "YYYY-MM", factor], got {spikes!r}')
    example = f"{COUNTIES[3].code} ({COUNTIES[3].name})"
    span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
    for spike in spikes:
        if not (isinstance(spike, tuple) and len(spike) == 3):
            raise ConfigError(f'intensity_spikes: each spike is [county code, "YYYY-MM", factor], got {spike!r}')
        code, month, factor = spike
        if code not in COUNTY_CODES:
            what = "a city, not a county" if code in CITY_CODES else "not a county of the synthetic province"
            what = "the province, not a county" if code == PROVINCE_CODE else what
            raise ConfigError(
                f"intensity_spikes: {code!r} is {what}",
                hint=f"name a county by its six-digit code, e.g. {example}; `fraudkit synth` writes them in regions",
            )
        if month not in months:
            raise ConfigError(
                f"intensity_spikes: month {month!r} of {code} is not in the world's span ({span})",
                hint='give the month as "YYYY-MM" between start and start + days',
            )
        if not _is_number(factor) or not 0 < factor <= MAX_SPIKE_FACTOR:
            raise ConfigError(
                f"intensity_spikes: factor of {code} in {month} must be a number in "
                f"(0, {MAX_SPIKE_FACTOR:g}], got {factor!r}"
            )
