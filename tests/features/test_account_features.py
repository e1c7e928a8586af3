"""Every account feature on tiny hand-built ledgers where the right value is obvious."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

import polars as pl
import pytest
from feature_builders import HISTORY, WINDOW, T, accounts, at, reports, txns, value
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudkit.errors import ConfigError
from fraudkit.features import FeatureParams, account_features


def water_house() -> dict:
    """Victim V pays mule M 50,000; M forwards 30,000 after 20 min and cashes 19,500 out at an ATM."""
    return {
        "transactions": txns(
            (at(9, 10, 0), "V", "M", 50_000),
            (at(9, 10, 20), "M", "N", 30_000, "online"),
            (at(9, 10, 50), "M", "X", 19_500, "atm"),
        ),
        "accounts": accounts(
            ("V", "hV", datetime(2024, 1, 10)),  # 60 days old at T
            ("M", "hM", at(5)),  # opened 5 days before T
            ("N", "hN"),  # opening date unknown
        ),
    }


def dwell() -> dict:
    """D gets 1,000 at 08:00 and 1,500 at 10:30, pays 2,000 at 12:00, gets 500 at 13:00 (never forwarded)."""
    return {
        "transactions": txns(
            (at(8, 8, 0), "A", "D", 1_000),
            (at(8, 10, 30), "B", "D", 1_500),
            (at(8, 12, 0), "D", "C", 2_000),
            (at(8, 13, 0), "A", "D", 500),
        ),
        "accounts": accounts(),
    }


def burst() -> dict:
    """B pays Q four times between 01:00 and 01:59 and once at 07:00; amounts probe the thresholds."""
    return {
        "transactions": txns(
            (at(7, 1, 0), "B", "Q", 4_950),  # just under 5,000
            (at(7, 1, 20), "B", "Q", 49_500),  # just under 50,000, not a multiple of 1,000
            (at(7, 1, 40), "B", "Q", 9_800),  # just under 10,000 (the 2% band starts at 9,800)
            (at(7, 1, 59), "B", "Q", 5_000),  # round, at (not under) a threshold
            (at(7, 7, 0), "B", "Q", 100),
        ),
        "accounts": accounts(),
    }


def related() -> dict:
    """R1 pays five payees in the window; only Z and S are strangers (different holder, no earlier contact)."""
    return {
        "transactions": txns(
            (at(20, month=2), "R1", "P", 10),  # earlier contact, same direction, inside the history
            (at(15, month=2), "P2", "R1", 10),  # earlier contact the other way
            (at(1, month=2), "R1", "Z", 10),  # before the history: Z still counts as new
            (at(20, month=2), "R1", "ZF", 10, "mobile", "failed"),  # failed: no contact made
            (at(5), "R1", "R2", 6_000),  # R2 has the same holder
            (at(5), "R1", "P", 6_000),
            (at(5), "R1", "P2", 6_000),
            (at(5), "R1", "Z", 7_000),
            (at(5), "R1", "S", 4_000),
            (at(5), "R1", "ZF", 1_000),
        ),
        "accounts": accounts(("R1", "h1"), ("R2", "h1"), ("P", "h2"), ("Z", "h3")),
    }


def reported() -> dict:
    """Victims VA (reported before T) and VB (reported after T) pay K; K pays FA, named in two reports."""
    return {
        "transactions": txns(
            (at(6), "VA", "K", 8_000),
            (at(6), "VB", "K", 3_000),
            (at(7), "K", "FA", 10_000),
        ),
        "accounts": accounts(),
        "reports": reports(
            {"reported_at": at(8), "victim_account": "VA", "fraud_account": "FA"},
            {"reported_at": at(12), "victim_account": "VB", "fraud_account": "FA"},  # after T: ignored
            {"reported_at": at(1), "fraud_account": "FA"},
            {"reported_at": T, "fraud_account": "K"},  # at T exactly: not before T, ignored
        ),
    }


SCENARIOS: dict[str, Callable[[], dict]] = {
    "water_house": water_house,
    "dwell": dwell,
    "burst": burst,
    "related": related,
    "reported": reported,
}


@cache
def features_of(scenario: str) -> pl.DataFrame:
    data = SCENARIOS[scenario]()
    return account_features(
        data["transactions"],
        data["accounts"],
        as_of=T,
        window=WINDOW,
        history=HISTORY,
        reports=data.get("reports"),
    )


# (scenario, account, feature, expected value)
CASES: list[tuple[str, str, str, float]] = [
    ("water_house", "M", "amount_in", 50_000.0),
    ("water_house", "M", "amount_out", 49_500.0),
    ("water_house", "M", "transfers_in", 1),
    ("water_house", "M", "transfers_out", 2),
    ("water_house", "M", "pass_through_ratio", 0.99),
    ("water_house", "V", "pass_through_ratio", 0.0),  # nothing came in
    ("water_house", "M", "median_dwell_minutes", 20.0),
    ("water_house", "M", "min_dwell_minutes", 20.0),
    ("water_house", "N", "median_dwell_minutes", -1.0),  # never forwarded
    ("water_house", "M", "fast_forward_share", 1.0),
    ("water_house", "M", "fan_in", 1),
    ("water_house", "M", "fan_out", 2),
    ("water_house", "M", "unrelated_senders", 1),
    ("water_house", "M", "unrelated_receivers", 2),
    ("water_house", "M", "account_age_days", 5.0),
    ("water_house", "V", "account_age_days", 60.0),
    ("water_house", "N", "account_age_days", -1.0),  # unknown opening date
    ("water_house", "X", "account_age_days", -1.0),  # not in the accounts table at all
    ("water_house", "M", "new_payee_large_transfers", 2),
    ("water_house", "M", "max_new_payee_amount", 30_000.0),
    ("water_house", "M", "round_amount_share", 2 / 3),  # 50,000 and 30,000 of three legs
    ("water_house", "M", "cash_out_share", 19_500 / 49_500),
    ("water_house", "M", "max_transfers_per_hour", 3),
    ("water_house", "M", "night_share", 0.0),
    ("dwell", "D", "median_dwell_minutes", 165.0),  # 240 and 90 minutes
    ("dwell", "D", "min_dwell_minutes", 90.0),
    ("dwell", "D", "fast_forward_share", 1_500 / 3_000),  # only the 1,500 left within 2 h
    ("dwell", "D", "pass_through_ratio", 2_000 / 3_000),
    ("dwell", "D", "max_transfers_per_hour", 1),  # 12:00 and 13:00 are an hour apart, not within one
    ("dwell", "D", "fan_in", 2),
    ("burst", "B", "max_transfers_per_hour", 4),
    ("burst", "B", "night_share", 0.8),
    ("burst", "B", "just_under_threshold_share", 0.6),
    ("burst", "B", "round_amount_share", 0.2),
    ("burst", "B", "fan_out", 1),
    ("burst", "Q", "transfers_in", 5),
    ("related", "R1", "fan_out", 6),
    ("related", "R1", "unrelated_receivers", 3),  # Z, S and ZF (its earlier transfer failed)
    ("related", "R1", "new_payee_large_transfers", 1),  # Z only: R2 is the same holder, S is small
    ("related", "R1", "max_new_payee_amount", 7_000.0),
    ("related", "R2", "unrelated_senders", 0),
    ("related", "P", "unrelated_senders", 0),
    ("related", "S", "unrelated_senders", 1),
    ("reported", "K", "inflow_from_reported_victims", 8_000.0),
    ("reported", "K", "reported_fraud_counterparties", 1),
    ("reported", "K", "reports_naming_account", 0),
    ("reported", "FA", "reports_naming_account", 2),
    ("reported", "VB", "reported_fraud_counterparties", 0),
]


@pytest.mark.parametrize(("scenario", "account", "feature", "expected"), CASES)
def test_account_feature_value(scenario: str, account: str, feature: str, expected: float) -> None:
    got = value(features_of(scenario), "account_id", account, feature)
    assert got == pytest.approx(expected), f"{feature} of {account} in {scenario}"


def test_one_row_per_account_active_in_the_window_sorted() -> None:
    frame = features_of("related")
    # P2->R1 and R1->Z happened only before the window; those accounts appear through window transfers.
    assert frame["account_id"].to_list() == ["P", "P2", "R1", "R2", "S", "Z", "ZF"]


def test_thresholds_are_parameters() -> None:
    data = burst()
    params = FeatureParams(thresholds=(100_000.0,), round_unit=100.0)
    frame = account_features(data["transactions"], data["accounts"], as_of=T, params=params)
    assert value(frame, "account_id", "B", "just_under_threshold_share") == 0.0
    assert value(frame, "account_id", "B", "round_amount_share") == pytest.approx(0.8)  # all but 4,950


def test_failed_transfers_move_no_money() -> None:
    frame = account_features(
        txns((at(9), "A", "B", 100, "mobile", "failed"), (at(9), "A", "C", 100, "mobile", "reversed")),
        accounts(),
        as_of=T,
    )
    assert frame.height == 0


def test_empty_input_gives_empty_typed_frame() -> None:
    frame = account_features(txns(), accounts(), as_of=T)
    assert frame.height == 0
    assert frame.columns[0] == "account_id"
    assert all(dtype in (pl.Int64, pl.Float64) for dtype in frame.dtypes[1:])


@pytest.mark.parametrize(
    ("window", "history"),
    [(WINDOW, WINDOW / 2), (-WINDOW, HISTORY), (WINDOW * 0, HISTORY)],
)
def test_bad_windows_are_refused(window, history) -> None:
    with pytest.raises(ConfigError):
        account_features(txns(), accounts(), as_of=T, window=window, history=history)


def _naive_dwell_and_burst(rows: list[tuple]) -> dict[str, dict[str, float]]:
    """The definitions, written the slow obvious way: per account, per leg, scan all legs."""
    legs: dict[str, list[tuple]] = {}
    for ts, src, dst, amount in rows:
        legs.setdefault(src, []).append((ts, True, amount))
        legs.setdefault(dst, []).append((ts, False, amount))
    out = {}
    for account, mine in legs.items():
        dwells, fast, inflow = [], 0.0, 0.0
        for ts, is_out, amount in mine:
            if is_out:
                continue
            inflow += amount
            later = [t for t, o, _ in mine if o and t >= ts]
            if later:
                minutes = (min(later) - ts).total_seconds() / 60
                dwells.append(minutes)
                fast += amount if minutes <= 120 else 0.0
        burst = max(sum(1 for u, _, _ in mine if t - timedelta(hours=1) < u <= t) for t, _, _ in mine)
        dwells.sort()
        mid = len(dwells) // 2
        median = (dwells[mid] if len(dwells) % 2 else (dwells[mid - 1] + dwells[mid]) / 2) if dwells else -1.0
        out[account] = {
            "median_dwell_minutes": median,
            "min_dwell_minutes": min(dwells) if dwells else -1.0,
            "fast_forward_share": fast / inflow if inflow else 0.0,
            "max_transfers_per_hour": burst,
        }
    return out


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 24 * 60).map(lambda m: at(8) + timedelta(minutes=m)),
            st.sampled_from("ABCD"),
            st.sampled_from("ABCD"),
            st.sampled_from([100, 2_500, 7_000]),
        ).filter(lambda r: r[1] != r[2]),
        min_size=1,
        max_size=30,
    )
)
def test_dwell_and_burst_match_the_naive_definitions(rows: list[tuple]) -> None:
    frame = account_features(txns(*rows), accounts(), as_of=T)
    for account, expected in _naive_dwell_and_burst(rows).items():
        for feature, want in expected.items():
            assert value(frame, "account_id", account, feature) == pytest.approx(want), (account, feature)
