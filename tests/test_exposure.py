from __future__ import annotations

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
