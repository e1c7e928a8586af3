"""The feature catalogue: every column a model trains on, in one list, with the rows it sits on.

The per-day producers (``account_features``, ``phone_features``, ``subscriber_money_features``)
register their columns where their expressions are written (``fraudkit.features.spec``); the
model's own inputs, built in ``fraudkit.model`` (a contact's features for the victim model, an
account's water-house cluster for the mule model), are described here, below the model package,
so the catalogue, ``fraudkit features --list`` and docs/features.md need no model import. Each
model's input list is read from the catalogue (``model_inputs``); tests check it against the
columns the training sets hold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import get_args

import polars as pl

from fraudkit.errors import ConfigError
from fraudkit.features.accounts import ACCOUNT
from fraudkit.features.graph import GRAPH
from fraudkit.features.money import MONEY
from fraudkit.features.phones import PHONE
from fraudkit.features.spec import (
    AT_CONTACT,
    CONTACT_HISTORY,
    CONTACT_REPORTS,
    NEW_IN_DAY,
    NEW_IN_WEEK,
    PAST_DAY,
    PAST_WEEK,
    SCAN,
    THE_CALL,
    FeatureSet,
    FeatureSpec,
    Kind,
    ModelName,
)

MODELS: tuple[ModelName, ...] = get_args(ModelName)

FEATURE_SETS: tuple[FeatureSet, ...] = (ACCOUNT, PHONE, MONEY)
"""The producers computed by ``build_features``, with their Polars expressions."""


@dataclass(frozen=True)
class FeatureGroup:
    """The columns one function emits and the rows they sit on."""

    producer: str
    rows: str
    specs: tuple[FeatureSpec, ...]

    @property
    def models(self) -> tuple[ModelName, ...]:
        """The models trained on any of the group's columns."""
        return tuple(m for m in MODELS if any(m in s.models for s in self.specs))


def _from_set(fs: FeatureSet, models: tuple[ModelName, ...]) -> FeatureGroup:
    rows = f"one row per {fs.entity}, key `{fs.key}`"
    return FeatureGroup(fs.producer, rows, tuple(replace(s, models=models) for s in fs.specs))


def _cluster(name: str, meaning: str, reason: str, *, kind: Kind) -> FeatureSpec:
    """A mule-model input from the account's water-house cluster (``fraudkit.model.dataset.cluster_features``)."""
    return FeatureSpec(
        name, "account", meaning, SCAN, 0.0, kind, "cluster_features", ("mule",), reason, None, pl.Float64
    )


def _contact(
    name: str,
    meaning: str,
    reason: str,
    *,
    window: str,
    kind: Kind,
    missing: str | None = None,
    fill: float = 0.0,
) -> FeatureSpec:
    """A victim-model input of a contact (``fraudkit.model.contacts.contact_features``), all Float64."""
    producer = "contact_features"
    return FeatureSpec(name, "contact", meaning, window, fill, kind, producer, ("victim",), reason, missing, pl.Float64)


CLUSTER = FeatureGroup(
    "cluster_features",
    "one row per account, key `account_id`, beside `account_features`; 0 for accounts in no cluster",
    (
        _cluster(
            "in_cluster",
            "1 when the scan put the account in a fast-flow cluster",
            "Account sits in a fast-flow cluster",
            kind="flag",
        ),
        _cluster(
            "cluster_flagged",
            "1 when that cluster was flagged as a water house",
            "Its cluster is flagged as a water house",
            kind="flag",
        ),
        _cluster(
            "cluster_score",
            "water-house score of the account's cluster (0-1)",
            "Cluster scores {v:.2f} as a water house",
            kind="score",
        ),
        _cluster("cluster_size", "accounts in the account's cluster", "Cluster of {v:.0f} accounts", kind="count"),
        _cluster(
            "cluster_victims",
            "distinct outside senders paying into the cluster",
            "{v:.0f} outside senders pay into its cluster",
            kind="count",
        ),
        _cluster(
            "role_collector",
            "1 when the account collects outside money for its cluster",
            "Collects outside money for the cluster",
            kind="flag",
        ),
        _cluster(
            "role_cashout",
            "1 when the account cashes the cluster's money out",
            "Cashes the cluster's money out",
            kind="flag",
        ),
    ),
)

CONTACT = FeatureGroup(
    "contact_features",
    "one row per contact, key `contact_id`, as of S, the moment its call ended",
    (
        _contact(
            "contact_minutes",
            "length of the call in minutes",
            "Long call ({v:.0f} min) from a number new to the subscriber",
            window=THE_CALL,
            kind="duration",
        ),
        _contact(
            "contact_hour", "hour of the day the call began", "Call began at {v:.0f}:00", window=THE_CALL, kind="hour"
        ),
        _contact(
            "caller_roaming",
            "1 when the caller was roaming during the call",
            "Caller was roaming",
            window=THE_CALL,
            kind="flag",
        ),
        _contact(
            "contact_outgoing",
            "1 when the subscriber placed this call: a call back to a number that had held them on a long call",
            "Subscriber called the number back",
            window=THE_CALL,
            kind="flag",
        ),
        _contact(
            "pair_prior_calls",
            "calls between the two numbers in the history before this one",
            "Only {v:count earlier call} between the two",
            window=CONTACT_HISTORY,
            kind="count",
            missing="No earlier call between the two numbers",
        ),
        _contact(
            "pair_prior_calls_from_callee",
            "calls the subscriber made to the caller before this one",
            "Subscriber had called this number {v:count time} before",
            window=CONTACT_HISTORY,
            kind="count",
        ),
        _contact(
            "pair_prior_minutes",
            "minutes the two numbers talked in the history before this call",
            "Had already talked {v:.0f} min with this number",
            window=CONTACT_HISTORY,
            kind="duration",
            missing="No earlier call between the two numbers",
        ),
        _contact(
            "pair_hours_known",
            "hours since the two numbers were first in touch in the history (0 for a first call)",
            "The two numbers first spoke {v:hours} before",
            window=CONTACT_HISTORY,
            kind="duration",
            missing="First call ever between the two numbers",
        ),
        _contact(
            "caller_sim_age_days",
            "days since the caller's SIM was activated; -1 when unknown (off-network)",
            "Caller's SIM activated only {v:days} before",
            window=AT_CONTACT,
            kind="duration",
            missing="Caller's SIM is unknown to the operator (off-network number)",
            fill=-1.0,
        ),
        _contact(
            "caller_reported",
            "reports filed before the call naming the caller as a fraud number",
            "Caller named in {v:count fraud report}",
            window=CONTACT_REPORTS,
            kind="count",
        ),
        _contact(
            "caller_calls_24h",
            "calls and SMS the caller made in the past 24 h",
            "Caller made {v:.0f} calls in 24 h",
            window=PAST_DAY,
            kind="count",
        ),
        _contact(
            "caller_strangers_24h",
            "numbers the caller called in the past 24 h with no contact either way in the history before",
            "Caller rang {v:.0f} strangers in the past 24 h",
            window=NEW_IN_DAY,
            kind="count",
        ),
        _contact(
            "caller_strangers_7d",
            "numbers the caller called in the past 7 days with no contact either way in the history before",
            "Caller rang {v:.0f} strangers in the past 7 days",
            window=NEW_IN_WEEK,
            kind="count",
        ),
        _contact(
            "caller_short_call_ratio_24h",
            "share of the caller's voice calls in the past 24 h shorter than short_call_s (30 s)",
            "{v:.0%} of the caller's calls in 24 h hung up within 30 s",
            window=PAST_DAY,
            kind="ratio",
        ),
        _contact(
            "caller_long_calls_to_strangers_24h",
            "long voice calls (long_call_s, 5 min) the caller made to strangers in the past 24 h",
            "Caller held {v:.0f} long calls with strangers in 24 h",
            window=NEW_IN_DAY,
            kind="count",
        ),
        _contact(
            "caller_roaming_share_24h",
            "share of the caller's calls in the past 24 h made while roaming",
            "{v:.0%} of the caller's calls in 24 h made while roaming",
            window=PAST_DAY,
            kind="ratio",
        ),
        _contact(
            "caller_callbacks_per_call_7d",
            "calls received by the caller per call it made, past 7 days; fraud numbers are rarely called back",
            "Caller is rarely called back: {v:.2f} calls received per call made in 7 days",
            window=PAST_WEEK,
            kind="ratio",
        ),
        _contact(
            "caller_hours_active",
            "hours since the caller's first call in the history",
            "Caller's number first seen only {v:hours} before",
            window=CONTACT_HISTORY,
            kind="duration",
        ),
        _contact(
            "caller_handset_other_sims",
            "other numbers seen calling from the caller's handset (IMEI) in the history",
            "Caller's handset also used by {v:count other SIM}",
            window=CONTACT_HISTORY,
            kind="count",
        ),
        _contact(
            "callee_sim_age_days",
            "days since the subscriber's SIM was activated; -1 when unknown",
            "Subscriber's SIM activated {v:days} before",
            window=AT_CONTACT,
            kind="duration",
            missing="Subscriber's SIM activation date unknown",
            fill=-1.0,
        ),
        _contact(
            "callee_accounts",
            "bank accounts of the subscriber (same holder or registered with the phone) opened before the call",
            "Subscriber holds {v:count bank account}",
            window=AT_CONTACT,
            kind="count",
        ),
        _contact(
            "callee_calls_7d",
            "calls to and from the subscriber in the past 7 days",
            "Subscriber had {v:.0f} calls in 7 days",
            window=PAST_WEEK,
            kind="count",
        ),
        _contact(
            "callee_new_callers_24h",
            "calls the subscriber received in the past 24 h from numbers new to them",
            "{v:.0f} other calls from new numbers in 24 h",
            window=NEW_IN_DAY,
            kind="count",
        ),
        _contact(
            "callee_new_minutes_24h",
            "minutes of the other calls the subscriber received in the past 24 h from numbers new to them",
            "{v:.0f} min on other calls from new numbers in 24 h",
            window=NEW_IN_DAY,
            kind="duration",
        ),
        _contact(
            "callee_long_new_calls_7d",
            "long calls (5 min) the subscriber received in the past 7 days from numbers new to them",
            "{v:.0f} earlier long calls from new numbers this week",
            window=NEW_IN_WEEK,
            kind="count",
        ),
    ),
)

FEATURE_GROUPS: tuple[FeatureGroup, ...] = (
    _from_set(ACCOUNT, ("mule",)),
    _from_set(GRAPH, ("mule",)),
    _from_set(PHONE, ("fraud_number",)),
    _from_set(MONEY, ("fraud_number",)),
    CLUSTER,
    CONTACT,
)
"""Every group of model inputs; a model's inputs are its groups' columns in this order, which is
the order of the training frames (phone then money columns on a phone row; account, graph, then cluster)."""

FEATURE_CATALOGUE: list[FeatureSpec] = [spec for group in FEATURE_GROUPS for spec in group.specs]


def model_inputs(model: str) -> list[FeatureSpec]:
    """The columns ``model`` trains on, in training-frame order; a one-line error for an unknown model."""
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}", hint="one of " + ", ".join(MODELS))
    return [spec for spec in FEATURE_CATALOGUE if model in spec.models]


def catalogue_for(model: str | None = None) -> list[FeatureSpec]:
    """The whole catalogue, or the inputs of one model (``fraudkit features --list --model victim``)."""
    return list(FEATURE_CATALOGUE) if model is None else model_inputs(model)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def catalogue_markdown() -> str:
    """The catalogue as Markdown: which model reads which group, then one table per group."""
    lines = [
        "# Feature catalogue",
        "",
        "Generated from the code (`fraudkit.features.catalogue_markdown()`). As of T, windows are",
        "half-open and end strictly before T; `fill` is the value when a feature has nothing to",
        "measure (-1 marks durations and ages that do not apply or are unknown). A contact is",
        "measured as of S, the moment its call ended (recent 24 h, week 7 days and history 30 days",
        "by default, `ContactParams`).",
        "",
        "| model | trains on | inputs |",
        "| --- | --- | --- |",
    ]
    for model in MODELS:
        groups = ", ".join(f"`{g.producer}`" for g in FEATURE_GROUPS if model in g.models)
        lines.append(f"| `{model}` | {groups} | {len(model_inputs(model))} |")
    for group in FEATURE_GROUPS:
        lines += [
            "",
            f"## `{group.producer}` ({group.rows})",
            "",
            "| feature | type | meaning | events | fill | models |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for s in group.specs:
            models = ", ".join(s.models)
            lines.append(
                f"| `{s.name}` | {s.dtype.__name__} | {_cell(s.meaning)} | {s.window} | {s.fill:g} | {models} |"
            )
    return "\n".join(lines) + "\n"
