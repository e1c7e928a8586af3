"""Every phone feature on tiny hand-built call records where the right value is obvious."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import polars as pl
import pytest
from feature_builders import HISTORY, WINDOW, T, at, calls, reports, subscribers, value

from fraudkit.features import phone_features


def fraud_caller() -> dict:
    """F rings V1, calls V2 briefly, talks to V3 for 400 s while roaming, texts V4 at night, calls friend W.

    V2 calls back. F's handset I1 is also used by F2 (in the history) and F3 (in the window).
    F is reported as a fraud number before T; W only after T.
    """
    return {
        "calls": calls(
            (at(20, month=2), "F", "W", 100),  # F and W knew each other before the window
            (at(25, month=2), "F2", "Z", 60, "voice", "I1"),
            (at(8, 10, 0), "F", "V1", 3, "voice", "I1"),  # one ring
            (at(8, 10, 1), "F", "V2", 20, "voice", "I1"),  # short
            (at(8, 10, 2), "F", "V3", 400, "voice", "I1", True),  # long, roaming
            (at(8, 2, 0), "F", "V4", 0, "sms", "I1"),  # at night
            (at(8, 12, 0), "F", "W", 100, "voice", "I1"),
            (at(8, 11, 0), "V2", "F", 60),  # calls back
            (at(9, 9, 0), "F3", "Z", 30, "voice", "I1"),
            (at(9, 9, 0), "W", "X", 30),
        ),
        "subscribers": subscribers(("F", "hF", at(1)), ("V3", "h3")),
        "reports": reports(
            {"reported_at": at(9), "fraud_phone": "F"},
            {"reported_at": at(11), "fraud_phone": "W"},  # after T: ignored
        ),
    }


def known_caller() -> dict:
    """U talked to Y before the window, so U's long call in the window is not from a new number."""
    return {
        "calls": calls(
            (at(20, month=2), "Y", "U", 60),
            (at(8, 20, 0), "U", "Y", 600),
            (at(9, 22, 0), "N1", "Y", 299),  # new number, one second short of a long call
            (at(9, 23, 0), "N2", "Y", 300, "sms"),  # new number, but an SMS has no talk time
        ),
        "subscribers": subscribers(),
    }


SCENARIOS: dict[str, Callable[[], dict]] = {"fraud_caller": fraud_caller, "known_caller": known_caller}


@cache
def features_of(scenario: str) -> pl.DataFrame:
    data = SCENARIOS[scenario]()
    return phone_features(
        data["calls"], data["subscribers"], as_of=T, window=WINDOW, history=HISTORY, reports=data.get("reports")
    )


# (scenario, phone, feature, expected value)
CASES: list[tuple[str, str, str, float]] = [
    ("fraud_caller", "F", "calls_out", 5),
    ("fraud_caller", "F", "calls_in", 1),
    ("fraud_caller", "F", "distinct_callees", 5),
    ("fraud_caller", "F", "distinct_strangers_called", 4),  # not W
    ("fraud_caller", "F", "short_call_ratio", 2 / 4),  # 3 s and 20 s of four voice calls
    ("fraud_caller", "F", "one_ring_ratio", 1 / 4),
    ("fraud_caller", "F", "callback_ratio", 1 / 5),
    ("fraud_caller", "V2", "callback_ratio", 0.0),  # V2 called F only after F called V2
    ("fraud_caller", "F", "sim_age_days", 9.0),
    ("fraud_caller", "V3", "sim_age_days", -1.0),  # activation unknown
    ("fraud_caller", "V1", "sim_age_days", -1.0),  # not a subscriber here
    ("fraud_caller", "F", "sims_per_imei", 3),  # F, F2, F3 on I1
    ("fraud_caller", "V2", "sims_per_imei", 0),  # no known IMEI
    ("fraud_caller", "F", "roaming_share", 1 / 5),
    ("fraud_caller", "F", "night_call_share", 1 / 5),
    ("fraud_caller", "V3", "distinct_new_callers", 1),
    ("fraud_caller", "W", "distinct_new_callers", 0),
    ("fraud_caller", "V3", "long_calls_from_new_numbers", 1),
    ("fraud_caller", "V3", "minutes_from_new_numbers", 400 / 60),
    ("fraud_caller", "V1", "calls_from_reported_fraud_numbers", 1),
    ("fraud_caller", "X", "calls_from_reported_fraud_numbers", 0),  # W was reported after T
    ("fraud_caller", "V1", "hours_since_first_suspicious_contact", 38.0),  # 03-08 10:00 to T
    ("fraud_caller", "V3", "hours_since_first_suspicious_contact", 38.0 - 2 / 60),
    ("fraud_caller", "X", "hours_since_first_suspicious_contact", -1.0),
    ("known_caller", "Y", "long_calls_from_new_numbers", 0),
    ("known_caller", "Y", "minutes_from_new_numbers", 299 / 60),  # N1's call; U is known, N2 is SMS
    ("known_caller", "Y", "distinct_new_callers", 2),
    ("known_caller", "Y", "calls_in", 3),
    ("known_caller", "Y", "distinct_strangers_called", 0),
    ("known_caller", "Y", "hours_since_first_suspicious_contact", -1.0),
]


@pytest.mark.parametrize(("scenario", "phone", "feature", "expected"), CASES)
def test_phone_feature_value(scenario: str, phone: str, feature: str, expected: float) -> None:
    got = value(features_of(scenario), "phone", phone, feature)
    assert got == pytest.approx(expected), f"{feature} of {phone} in {scenario}"


def test_one_row_per_phone_active_in_the_window_sorted() -> None:
    assert features_of("known_caller")["phone"].to_list() == ["N1", "N2", "U", "Y"]


def test_empty_input_gives_empty_typed_frame() -> None:
    frame = phone_features(calls(), subscribers(), as_of=T)
    assert frame.height == 0
    assert frame.columns[0] == "phone"
    assert all(dtype in (pl.Int64, pl.Float64) for dtype in frame.dtypes[1:])
