"""Contacts: which calls are scored, what their features say, and that nothing after a contact's end leaks in."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from model_world import ModelWorld
from polars.testing import assert_frame_equal

from fraudkit.model.contacts import CONTACT_FEATURE_NAMES, CONTACT_KEYS, contact_features
from fraudkit.model.params import ContactParams

T0 = datetime(2024, 3, 10, 10, 0)
TS = pl.Datetime("us")
CALLS = {
    "call_id": pl.String,
    "caller": pl.String,
    "callee": pl.String,
    "start_time": TS,
    "duration_s": pl.Int32,
    "kind": pl.String,
    "caller_imei": pl.String,
    "roaming": pl.Boolean,
}


def calls(rows: list[tuple]) -> pl.DataFrame:
    """(caller, callee, start, seconds[, imei]) rows."""
    out = []
    for i, (caller, callee, start, seconds, *rest) in enumerate(rows):
        out.append((f"c{i:04d}", caller, callee, start, seconds, "voice", rest[0] if rest else None, False))
    return pl.DataFrame(out, schema=CALLS, orient="row")


def scenario() -> dict[str, pl.DataFrame]:
    """A fraud number F on a handset shared with F2 rings 20 strangers, then hooks V for 20 minutes;
    V's friend W calls V for 10 minutes (not a contact); X, an old acquaintance named in a report,
    calls V for 4 minutes (a contact because of the report)."""
    rows: list[tuple] = [("F2", f"Q{i}", T0 - timedelta(days=2, minutes=i), 8, "I1") for i in range(3)]
    rows += [("F", f"S{i:02d}", T0 - timedelta(hours=2) + timedelta(minutes=5 * i), 10, "I1") for i in range(20)]
    rows += [("W", "V", T0 - timedelta(days=d), 120) for d in range(1, 20)]
    rows += [("X", "V", T0 - timedelta(days=20), 60)]
    rows += [
        ("F", "V", T0, 1_200, "I1"),  # the hook: ends 10:20
        ("W", "V", T0 + timedelta(hours=1), 600),  # a friend: not a contact
        ("F", "V", T0 + timedelta(hours=2), 300, "I1"),  # F again: the pair is 2 h old
        ("X", "V", T0 + timedelta(hours=3), 240),  # old acquaintance, reported at 12:00
    ]
    subscribers = pl.DataFrame(
        [("F", "hF", T0 - timedelta(days=1)), ("V", "hV", datetime(2020, 1, 1)), ("W", "hW", datetime(2019, 1, 1))],
        schema={"phone": pl.String, "holder_id": pl.String, "activated_at": TS},
        orient="row",
    )
    accounts = pl.DataFrame(
        [("A1", "hV", None, datetime(2021, 1, 1), "personal"), ("A2", "hZ", "V", datetime(2022, 1, 1), "personal")],
        schema={
            "account_id": pl.String,
            "holder_id": pl.String,
            "phone": pl.String,
            "opened_at": TS,
            "account_type": pl.String,
        },
        orient="row",
    )
    reports = pl.DataFrame(
        [("R1", T0 + timedelta(hours=2), "U", None, "X", None, 100.0)],
        schema={
            "report_id": pl.String,
            "reported_at": TS,
            "victim_phone": pl.String,
            "victim_account": pl.String,
            "fraud_phone": pl.String,
            "fraud_account": pl.String,
            "loss_amount": pl.Float64,
        },
        orient="row",
    )
    return {"calls": calls(rows), "subscribers": subscribers, "accounts": accounts, "reports": reports}


def _contacts(s: dict[str, pl.DataFrame], **kw) -> pl.DataFrame:
    return contact_features(
        s["calls"],
        s["subscribers"],
        s["accounts"],
        s["reports"],
        since=kw.get("since", T0 - timedelta(days=1)),
        until=kw.get("until", T0 + timedelta(days=1)),
    )


def test_the_hook_is_a_contact_with_what_was_known_when_it_ended() -> None:
    got = _contacts(scenario())
    assert list(got.columns) == [*CONTACT_KEYS, *CONTACT_FEATURE_NAMES]
    assert got["caller"].to_list() == ["F", "F", "X"], "the friend's call is no contact"
    hook = got.row(0, named=True)
    assert hook["scored_at"] == T0 + timedelta(minutes=20)
    assert hook["contact_minutes"] == 20.0
    assert hook["caller_strangers_24h"] == 20 and hook["caller_calls_24h"] == 20
    assert hook["caller_short_call_ratio_24h"] == 1.0
    assert hook["caller_handset_other_sims"] == 1  # F2 used handset I1 two days before
    assert hook["pair_prior_calls"] == 0 and hook["pair_hours_known"] == 0.0
    assert hook["caller_hours_active"] == pytest.approx(
        (timedelta(minutes=140) - timedelta(seconds=10)) / timedelta(hours=1)
    )
    assert hook["caller_sim_age_days"] == pytest.approx(1 + 20 / 1440)
    assert hook["callee_accounts"] == 2  # one by holder, one registered with the phone
    assert hook["callee_calls_7d"] == 6  # W's calls of the past 7 days
    assert hook["caller_reported"] == 0


def test_a_second_call_counts_the_first_and_a_reported_number_is_always_a_contact() -> None:
    got = _contacts(scenario())
    again = got.row(1, named=True)
    assert again["pair_prior_calls"] == 1
    assert again["pair_hours_known"] == pytest.approx(2 + 5 / 60)  # first call began 2 h before this one ended
    assert again["caller_strangers_24h"] == 21  # the strangers and V
    reported = got.row(2, named=True)
    assert reported["caller_reported"] == 1 and reported["pair_prior_calls"] == 1


def test_a_call_still_going_on_at_until_is_not_known_yet() -> None:
    got = _contacts(scenario(), until=T0 + timedelta(minutes=19))
    assert got.is_empty()


def test_contacts_from_before_since_are_not_scored_but_feed_features() -> None:
    got = _contacts(scenario(), since=T0 + timedelta(hours=1))
    assert got["caller"].to_list() == ["F", "X"]
    assert got["pair_prior_calls"].to_list() == [1, 1]


def test_later_calls_with_the_number_are_scored_again_with_what_came_before() -> None:
    """V calls F back 10 minutes after the hook, F rings for a minute an hour later: both are scored
    when they end, with the 20 minutes already talked; a call three days on is not."""
    s = scenario()
    extra = calls(
        [
            ("V", "F", T0 + timedelta(minutes=30), 90),  # call back: ends 10:31:30
            ("F", "V", T0 + timedelta(minutes=70), 60, "I1"),  # a short call from F
            ("V", "F", T0 + timedelta(days=4), 100),  # too long after any long call from F
        ]
    ).with_columns(pl.col("call_id") + "-x", pl.lit(True).alias("roaming"))
    s["calls"] = pl.concat([s["calls"], extra])
    got = _contacts(s, until=T0 + timedelta(days=5))
    assert got["caller"].to_list() == ["F", "F", "F", "F", "X"]
    back, short = got.row(1, named=True), got.row(2, named=True)
    assert back["contact_id"] == "c0000-x" and back["callee"] == "V"
    assert back["scored_at"] == T0 + timedelta(minutes=31, seconds=30)
    assert back["contact_start"] == T0, "a later call keeps the start of the long call it follows"
    assert back["contact_outgoing"] == 1 and back["contact_minutes"] == 1.5
    assert back["caller_imei"] == "I1" and back["caller_roaming"] == 0, "the suspect's handset, not the subscriber's"
    assert back["pair_prior_calls"] == 1 and back["pair_prior_minutes"] == 20.0
    assert back["pair_prior_calls_from_callee"] == 0
    assert short["contact_outgoing"] == 0 and short["caller_roaming"] == 1
    assert short["pair_prior_calls"] == 2 and short["pair_prior_calls_from_callee"] == 1
    assert short["pair_prior_minutes"] == 21.5
    assert got.row(0, named=True)["callee_new_minutes_24h"] == 0.0
    assert got.row(3, named=True)["callee_new_minutes_24h"] == 20.0, "the hook: F's first call to V"
    # none of them is a contact unless its long call is known: cut before the hook ended
    assert _contacts(s, until=T0 + timedelta(minutes=19))["contact_id"].to_list() == []
    assert got["contact_id"].n_unique() == got.height


def test_later_calls_follow_long_calls_from_before_since() -> None:
    s = scenario()
    s["calls"] = pl.concat([s["calls"], calls([("V", "F", T0 + timedelta(minutes=30), 90)])])
    got = _contacts(s, since=T0 + timedelta(minutes=25))
    assert got["contact_outgoing"].to_list() == [1.0, 0.0, 0.0]
    assert got.row(0, named=True)["pair_prior_minutes"] == 20.0


@pytest.fixture(scope="module")
def world_frames(model_world: ModelWorld) -> dict[str, pl.DataFrame]:
    return model_world.tables


SINCE = datetime(2026, 10, 20)
UNTIL = datetime(2026, 10, 24)


def _world_contacts(frames: dict[str, pl.DataFrame], calls_frame: pl.DataFrame, until: datetime) -> pl.DataFrame:
    return contact_features(
        calls_frame, frames["subscribers"], frames["accounts"], frames["reports"], since=SINCE, until=until
    )


@pytest.mark.parametrize("cut", [datetime(2026, 10, 21, 9, 30), datetime(2026, 10, 22, 18, 7, 13)])
def test_a_contact_depends_on_nothing_after_it_ended(world_frames: dict[str, pl.DataFrame], cut: datetime) -> None:
    """Features of every contact scored before ``cut`` are the same whether or not the store holds
    anything from ``cut`` on: the calls after it are dropped, the ones still going on at it too."""
    full = _world_contacts(world_frames, world_frames["calls"], UNTIL)
    before = world_frames["calls"].filter(pl.col("start_time") < cut)
    truncated = _world_contacts(world_frames, before, cut)
    expected = full.filter(pl.col("scored_at") < cut)
    assert expected.height > 50
    assert_frame_equal(truncated, expected)


def test_future_calls_reports_and_events_before_the_lookback_change_nothing(
    world_frames: dict[str, pl.DataFrame],
) -> None:
    calls_frame = world_frames["calls"]
    base = _world_contacts(world_frames, calls_frame, UNTIL)
    shifted = calls_frame.sample(2_000, seed=1)
    future = shifted.with_columns(
        (pl.col("call_id") + "-future"), (pl.col("start_time") + timedelta(days=30)).alias("start_time")
    )
    ancient = shifted.with_columns(
        (pl.col("call_id") + "-old"),
        (pl.lit(SINCE) - ContactParams().lookback - timedelta(hours=1)).alias("start_time"),
    )
    noisy = pl.concat([calls_frame, future, ancient])
    later_reports = world_frames["reports"].with_columns(pl.col("reported_at") + timedelta(days=60))
    got = contact_features(
        noisy,
        world_frames["subscribers"],
        world_frames["accounts"],
        pl.concat([world_frames["reports"], later_reports]),
        since=SINCE,
        until=UNTIL,
    )
    assert_frame_equal(got, base)


def test_row_order_of_the_calls_does_not_matter(world_frames: dict[str, pl.DataFrame]) -> None:
    base = _world_contacts(world_frames, world_frames["calls"], UNTIL)
    shuffled = world_frames["calls"].sample(fraction=1.0, shuffle=True, seed=5)
    assert_frame_equal(_world_contacts(world_frames, shuffled, UNTIL), base)
