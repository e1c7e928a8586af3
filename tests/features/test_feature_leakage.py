"""Point-in-time correctness: nothing at or after as_of, and nothing before the history, changes a feature."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from feature_builders import HISTORY, T, accounts, calls, reports, subscribers, txns
from feature_world import world
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fraudkit.features import account_features, phone_features, subscriber_money_features

ACCOUNTS = ["V", "M", "N", "X", "D", "B", "Q", "R1", "R2", "P", "Z", "K", "FA", "AV", "AV2", "AN", "NEW"]
PHONES = ["F", "V1", "V2", "V3", "W", "X", "Y", "U", "PV", "PN", "FRIEND", "STRANGER", "NEW"]


def _all_features(w: dict[str, pl.LazyFrame]) -> list[pl.DataFrame]:
    common = {"as_of": T, "reports": w["reports"]}
    return [
        account_features(w["transactions"], w["accounts"], **common),
        phone_features(w["calls"], w["subscribers"], **common),
        subscriber_money_features(w["transactions"], w["accounts"], w["subscribers"], w["calls"], **common),
    ]


def _assert_same(a: list[pl.DataFrame], b: list[pl.DataFrame]) -> None:
    for left, right in zip(a, b, strict=True):
        assert_frame_equal(left, right)


BASE = world()
BASE_FEATURES = _all_features(BASE)

# Offsets from T: zero (at T exactly, which is already the future) up to 40 days later.
future_offset = st.integers(min_value=0, max_value=40 * 24 * 3600).map(lambda s: T + timedelta(seconds=s))
amount = st.sampled_from([1.0, 999.0, 4_950.0, 5_000.0, 49_999.0, 100_000.0])
future_txn = st.tuples(
    future_offset,
    st.sampled_from(ACCOUNTS),
    st.sampled_from(ACCOUNTS),
    amount,
    st.sampled_from(["mobile", "atm", "third_party"]),
)
future_call = st.tuples(
    future_offset,
    st.sampled_from(PHONES),
    st.sampled_from(PHONES),
    st.integers(0, 2_000),
    st.sampled_from(["voice", "sms"]),
    st.sampled_from([None, "I1", "I9"]),
    st.booleans(),
)
future_report = st.fixed_dictionaries(
    {
        "reported_at": future_offset,
        "victim_phone": st.sampled_from(PHONES),
        "victim_account": st.sampled_from(ACCOUNTS),
        "fraud_phone": st.sampled_from(PHONES),
        "fraud_account": st.sampled_from(ACCOUNTS),
    }
)


@settings(max_examples=25, deadline=None)
@given(
    new_txns=st.lists(future_txn, max_size=12),
    new_calls=st.lists(future_call, max_size=12),
    new_reports=st.lists(future_report, max_size=4),
    new_account_opened=future_offset,
)
def test_future_events_reports_and_entities_change_nothing(
    new_txns: list, new_calls: list, new_reports: list, new_account_opened
) -> None:
    w = dict(BASE)
    w["transactions"] = pl.concat([w["transactions"], txns(*new_txns)])
    w["calls"] = pl.concat([w["calls"], calls(*new_calls)])
    w["reports"] = pl.concat([w["reports"], reports(*new_reports)])
    w["accounts"] = pl.concat([w["accounts"], accounts(("NEW", "hV", new_account_opened, "PV"))])
    w["subscribers"] = pl.concat([w["subscribers"], subscribers(("NEW", "hV", new_account_opened))])
    _assert_same(BASE_FEATURES, _all_features(w))


def test_events_before_the_history_change_nothing() -> None:
    old = T - HISTORY - timedelta(seconds=1)
    w = dict(BASE)
    w["transactions"] = pl.concat([w["transactions"], txns((old, "M", "V", 1), (old, "AV", "MULE1", 9))])
    w["calls"] = pl.concat([w["calls"], calls((old, "F", "W", 10), (old, "STRANGER", "PV", 10))])
    _assert_same(BASE_FEATURES, _all_features(w))


def test_the_last_event_before_as_of_does_count() -> None:
    w = dict(BASE)
    just_before = T - timedelta(microseconds=1)
    w["transactions"] = pl.concat([w["transactions"], txns((just_before, "LATE", "M", 7))])
    account = _all_features(w)[0]
    assert account.filter(pl.col("account_id") == "LATE")["amount_out"].to_list() == [7.0]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_row_order_of_the_inputs_does_not_matter(seed: int) -> None:
    shuffled = {
        name: frame.collect().sample(fraction=1.0, shuffle=True, seed=seed).lazy() for name, frame in BASE.items()
    }
    _assert_same(BASE_FEATURES, _all_features(shuffled))
