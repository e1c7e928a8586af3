from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from fraudkit.exposure import mask_account, mask_phone, mask_text


def test_phone_keeps_prefix_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_account_keeps_first_and_last_four() -> None:
    assert mask_account("6222021234567890123") == "6222***********0123"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_masked_phone_never_contains_the_full_number(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked is not None and phone not in masked and len(masked) == len(phone)


@given(st.lists(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), min_size=1, max_size=4))
def test_mask_text_hides_every_long_digit_run(phones: list[str]) -> None:
    text = ",".join(f"{p},2026-10-01 10:00:00,{i}" for i, p in enumerate(phones))
    masked = mask_text(text) or ""
    assert not any(p in masked for p in phones)
    assert "2026-10-01 10:00:00" in masked  # dates keep their shape


def test_mask_frame_masks_every_digit_run_in_text_columns_and_keeps_joins() -> None:
    import polars as pl

    from fraudkit.exposure import mask_frame

    frame = pl.DataFrame(
        {"account": ["6222000011112222", "6222000011112222"], "phones": ["13800001111,13900002222", None], "n": [1, 2]}
    )
    masked = mask_frame(frame)
    text = masked.write_csv()
    assert "6222000011112222" not in text and "13800001111" not in text and "13900002222" not in text
    assert masked["account"][0] == masked["account"][1]  # deterministic: masked keys still join
    assert masked["n"].to_list() == [1, 2]


# --- one mask rule --------------------------------------------------------------------------

ACCOUNT = "6216612345678904889"
PHONE = "19160792209"


def test_an_identifier_masks_the_same_way_in_columns_text_and_frames() -> None:
    import polars as pl

    from fraudkit.exposure import mask_frame, mask_id

    expected = "6216***********4889"
    assert mask_id(ACCOUNT) == mask_account(ACCOUNT) == mask_phone(ACCOUNT) == expected
    assert mask_text(f"paid {ACCOUNT} at 10:00") == f"paid {expected} at 10:00"
    frame = pl.DataFrame({"account": [ACCOUNT], "dst": [ACCOUNT], "raw": [f"x,{ACCOUNT},1"], "notes": [ACCOUNT]})
    assert set(mask_frame(frame).row(0)) == {expected, f"x,{expected},1"}


def test_spaced_and_dashed_numbers_in_text_are_masked() -> None:
    masked = mask_text("card 6222 6028 1190 7289 736, call +86 191-6079-2209 or 191 6079 2209") or ""
    assert "6222 6028" not in masked and "7289 736" not in masked and "6079" not in masked
    assert "6222***********9736" in masked  # the digits masked as the unbroken number would be
    assert "+86 191****2209" in masked and mask_phone(PHONE) in masked


def test_dates_times_and_amounts_in_text_keep_their_shape() -> None:
    line = "T1,2026-10-31 12:00:05,4500.00,1 000 000,R00001"
    assert mask_text(line) == line


def test_holder_names_and_ids_are_masked() -> None:
    import polars as pl

    from fraudkit.exposure import mask_frame, mask_name

    assert mask_name("张三丰") == "张**"
    assert mask_name("Li Wei") == "L*****"
    assert mask_name("440106199001011234") == "4401**********1234"
    frame = pl.DataFrame({"holder_id": ["H0000286"], "holder_name": ["王小明"]})
    assert mask_frame(frame).row(0) == ("H0****86", "王**")


# --- pseudonyms -----------------------------------------------------------------------------


def test_pseudonyms_are_keyed_short_and_join(tmp_path) -> None:
    import polars as pl

    from fraudkit.exposure import pseudonym, pseudonymise_frame, store_secret
    from fraudkit.store import connect

    con = connect(tmp_path / "s.duckdb")
    secret = store_secret(con)
    con.close()
    again = connect(tmp_path / "s.duckdb", read_only=True)
    assert store_secret(again) == secret, "the key is made once and kept in the store"
    again.close()
    token = pseudonym(ACCOUNT, secret)
    assert token is not None and token.startswith("p:") and len(token) == 18
    assert pseudonym(ACCOUNT, b"another store") != token
    left = pseudonymise_frame(pl.DataFrame({"account_id": [ACCOUNT, "6222000011112222"], "x": [1, 2]}), secret)
    right = pseudonymise_frame(pl.DataFrame({"dst_account": [ACCOUNT], "call_id": ["C0000001234"]}), secret)
    assert left.join(right, left_on="account_id", right_on="dst_account")["x"].to_list() == [1]
    assert right["call_id"].to_list() == ["C0000001234"], "system ids stay as they are"
    assert ACCOUNT not in left.write_csv() + right.write_csv()


def test_a_read_only_store_without_a_key_says_so(tmp_path) -> None:
    import duckdb
    import pytest

    from fraudkit.errors import NotReadyError
    from fraudkit.exposure import store_secret, store_secret_at
    from fraudkit.store import connect

    connect(tmp_path / "old.duckdb").close()  # a store made before it had a key: the key table is empty
    con = duckdb.connect(str(tmp_path / "old.duckdb"), read_only=True)
    with pytest.raises(NotReadyError, match="no pseudonym key"):
        store_secret(con)
    con.close()
    assert len(store_secret_at(tmp_path / "old.duckdb")) == 32  # made once when the file may be written


# --- reveal and audit -----------------------------------------------------------------------


def _audit(con) -> list[tuple]:
    return con.execute("SELECT user_name, claimed_user, command, row_count, completed FROM audit_log").fetchall()


def test_the_audit_row_is_written_before_the_reveal_and_completed_after(tmp_path, monkeypatch) -> None:
    from fraudkit.exposure import current_user, reveal
    from fraudkit.store import connect

    monkeypatch.delenv("FRAUDKIT_USER", raising=False)
    con = connect(tmp_path / "s.duckdb")
    with reveal(con, command="warn", what="list", rows=5) as grant:
        assert _audit(con) == [(current_user(), None, "warn", 5, False)], "audited before anything is shown"
        assert grant.open
    assert _audit(con) == [(current_user(), None, "warn", 5, True)]
    assert not grant.open, "a grant lapses with its block"


def test_a_failed_export_stays_marked_incomplete(tmp_path) -> None:
    import pytest

    from fraudkit.exposure import reveal
    from fraudkit.store import connect

    con = connect(tmp_path / "s.duckdb")
    with pytest.raises(OSError), reveal(con, command="scan", what="report"):
        raise OSError("disk full")
    assert [row[-1] for row in _audit(con)] == [False]


def test_full_values_need_the_audited_grant() -> None:
    import pytest

    from fraudkit.errors import ConfigError
    from fraudkit.exposure import Reveal, revealed

    assert revealed(None) is False and revealed(False) is False
    with pytest.raises(ConfigError, match="must be recorded"):
        revealed(True)
    with pytest.raises(ConfigError):
        Reveal("forged")


def test_the_audit_records_the_os_account_not_the_environment(tmp_path, monkeypatch) -> None:
    import pwd

    from fraudkit.exposure import current_user, reveal
    from fraudkit.store import connect

    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("LOGNAME", "alice")
    monkeypatch.setenv("FRAUDKIT_USER", "anyone")
    assert current_user() == pwd.getpwuid(os.getuid()).pw_name
    con = connect(tmp_path / "s.duckdb")
    with reveal(con, command="rejects", what="lines", rows=1):
        pass
    assert _audit(con)[0][:2] == (pwd.getpwuid(os.getuid()).pw_name, "anyone")


def test_claimed_names_are_checked(monkeypatch) -> None:
    import pytest

    from fraudkit.errors import ConfigError
    from fraudkit.exposure import claimed_user

    for bad in ("", "   ", "li\nforged row", "li\x1b[2J", "x" * 65):
        monkeypatch.setenv("FRAUDKIT_USER", bad)
        with pytest.raises(ConfigError) as caught:
            claimed_user()
        assert "\n" not in caught.value.one_line()
    monkeypatch.setenv("FRAUDKIT_USER", "officer.li")
    assert claimed_user() == "officer.li"


def test_an_old_audit_table_gains_the_new_columns(tmp_path) -> None:
    import duckdb

    from fraudkit.exposure import reveal
    from fraudkit.store import connect

    old = duckdb.connect(str(tmp_path / "s.duckdb"))
    old.execute(
        "CREATE TABLE audit_log (recorded_at TIMESTAMP NOT NULL, user_name VARCHAR NOT NULL, command VARCHAR NOT NULL, "
        "what VARCHAR NOT NULL, row_count BIGINT NOT NULL, details VARCHAR)"
    )
    old.execute("INSERT INTO audit_log VALUES (now(), 'li', 'scan', 'report', 3, '{}')")
    old.close()
    con = connect(tmp_path / "s.duckdb")
    with reveal(con, command="trace", what="flows", rows=2):
        pass
    assert [row[2:] for row in _audit(con)] == [("scan", 3, None), ("trace", 2, True)]


def test_listed_rejects_are_masked_unless_revealed(tmp_path) -> None:
    from fraudkit.exposure import reveal
    from fraudkit.store import connect, list_rejects

    con = connect(tmp_path / "s.duckdb")
    line = "T9,6222 6028 1190 7289 736,+86 191-6079-2209,abc"
    con.execute(
        "INSERT INTO rejects VALUES ('transactions', 'drop.csv', 2, 'amount', ?, ?, 'x', now())",
        [f"not a number in {line}", line],
    )
    (masked,) = list_rejects(con)
    assert masked["raw"] == "T9,6222***********9736,+86 191****2209,abc"
    assert "6079" not in masked["reason"]
    with reveal(con, command="rejects", what="raw lines") as grant:
        (shown,) = list_rejects(con, reveal=grant)
    assert shown["raw"] == line


def test_a_pseudonymised_column_matches_the_one_value_function() -> None:
    import polars as pl

    from fraudkit.exposure import pseudonym, pseudonymise_frame

    values = [ACCOUNT, PHONE, None, "张三丰", "", ACCOUNT]
    for secret in (b"k" * 32, b"a long key " * 10):
        out = pseudonymise_frame(pl.DataFrame({"account_id": values}, schema={"account_id": pl.String}), secret)
        assert out["account_id"].to_list() == [pseudonym(v, secret) for v in values]
