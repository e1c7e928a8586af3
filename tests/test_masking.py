from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fraudkit.masking import mask_account, mask_phone, mask_text


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
