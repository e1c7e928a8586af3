"""Linked-account money features per phone, and the phone <-> account links they rest on."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import polars as pl
import pytest
from feature_builders import HISTORY, WINDOW, T, accounts, at, calls, reports, subscribers, txns, value

from fraudkit.features import link_phone_accounts, subscriber_money_features


def victim() -> dict:
    """PV's holder takes a 20-minute call from a stranger at 09:00, then pays a new payee 20,000 at 11:00.

    Her accounts AV and AV2 (same holder hV) paid at most 2,000 before the window. A friend's long
    call and a large payment to the usual shop are not the pattern; neither is moving money to AV2.
    """
    return {
        "transactions": txns(
            (at(15, month=2), "AV", "SHOP", 2_000),
            (at(6), "AV", "AV2", 10_000),  # own account
            (at(7), "AV", "SHOP", 6_000),  # known payee
            (at(8, 11, 0), "AV", "MULE1", 20_000),  # the first large transfer to a new payee
            (at(8, 15, 0), "AV2", "MULE2", 30_000),
            (at(9), "AV", "FA", 100),  # FA was reported before T
            (at(9), "AV", "FB", 100),  # FB only after T
            (at(9), "AN", "NEWP", 5_000),  # PN has no history at all
        ),
        "accounts": accounts(("AV", "hV"), ("AV2", "hV"), ("AN", "hN")),
        "subscribers": subscribers(("PV", "hV"), ("PN", "hN")),
        "calls": calls(
            (at(20, month=2), "FRIEND", "PV", 60),
            (at(8, 8, 0), "FRIEND", "PV", 900),
            (at(8, 9, 0), "STRANGER", "PV", 1_200),
            (at(8, 12, 0), "LATER", "PV", 1_200),  # after the transfer
        ),
        "reports": reports(
            {"reported_at": at(5), "fraud_account": "FA"},
            {"reported_at": at(10, 1), "fraud_account": "FB"},
        ),
    }


SCENARIOS: dict[str, Callable[[], dict]] = {"victim": victim}


@cache
def features_of(scenario: str) -> pl.DataFrame:
    d = SCENARIOS[scenario]()
    return subscriber_money_features(
        d["transactions"],
        d["accounts"],
        d["subscribers"],
        d["calls"],
        as_of=T,
        window=WINDOW,
        history=HISTORY,
        reports=d.get("reports"),
    )


# (scenario, phone, feature, expected value)
CASES: list[tuple[str, str, str, float]] = [
    ("victim", "PV", "linked_accounts", 2),
    ("victim", "PV", "linked_amount_out", 10_000 + 6_000 + 20_000 + 30_000 + 100 + 100),
    ("victim", "PV", "linked_transfers_out", 6),
    ("victim", "PV", "linked_new_payee_large_transfers", 2),  # MULE1 and MULE2
    ("victim", "PV", "first_new_payee_large_amount", 20_000.0),
    ("victim", "PV", "first_new_payee_large_vs_history", 10.0),  # 20,000 / 2,000
    ("victim", "PN", "first_new_payee_large_vs_history", 5.0),  # 5,000 / the 1,000 floor
    ("victim", "PV", "hours_since_first_new_payee_large", 37.0),  # 03-08 11:00 to T
    ("victim", "PN", "hours_since_first_new_payee_large", 24.0),
    ("victim", "PV", "hours_from_new_long_call_to_transfer", 2.0),  # 09:00 stranger, 11:00 transfer
    ("victim", "PN", "hours_from_new_long_call_to_transfer", -1.0),  # no call at all
    ("victim", "PV", "linked_transfers_to_reported_fraud_accounts", 1),  # FA, not FB
]


@pytest.mark.parametrize(("scenario", "phone", "feature", "expected"), CASES)
def test_money_feature_value(scenario: str, phone: str, feature: str, expected: float) -> None:
    got = value(features_of(scenario), "phone", phone, feature)
    assert got == pytest.approx(expected), f"{feature} of {phone} in {scenario}"


def test_no_large_transfer_means_fills() -> None:
    frame = subscriber_money_features(
        txns((at(9), "A", "B", 10)),
        accounts(("A", "h")),
        subscribers(("P", "h")),
        calls(),
        as_of=T,
    )
    assert frame.row(0, named=True) == {
        "phone": "P",
        "linked_accounts": 1,
        "linked_amount_out": 10.0,
        "linked_transfers_out": 1,
        "linked_new_payee_large_transfers": 0,
        "first_new_payee_large_amount": 0.0,
        "first_new_payee_large_vs_history": 0.0,
        "hours_since_first_new_payee_large": -1.0,
        "hours_from_new_long_call_to_transfer": -1.0,
        "linked_transfers_to_reported_fraud_accounts": 0,
    }


def test_links_through_holder_and_registered_phone() -> None:
    links = link_phone_accounts(
        accounts(("A1", "h1", None, "P9"), ("A2", "h1"), ("A3", "h2", None, "P1")),
        subscribers(("P1", "h1"), ("P2", "h3")),
    )
    assert links.rows() == [
        ("P1", "A1", True, False),
        ("P1", "A2", True, False),
        ("P1", "A3", False, True),
        ("P9", "A1", False, True),
    ]


def test_holder_with_too_many_phones_and_accounts_links_only_registered_phones() -> None:
    accs = accounts(*[(f"A{i}", "payroll", None, "P0" if i == 0 else None) for i in range(10)])
    subs = subscribers(*[(f"P{i}", "payroll") for i in range(11)])
    links = link_phone_accounts(accs, subs, max_holder_links=100)
    assert links.rows() == [("P0", "A0", False, True)]
    assert link_phone_accounts(accs, subs, max_holder_links=110).height == 110
