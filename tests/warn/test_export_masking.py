"""What leaves the building: every identifying column of a masked call-back list is masked."""

from __future__ import annotations

import polars as pl

from fraudkit.warn.export import masked


def test_masked_list_hides_phones_accounts_clusters_and_numbers_in_reasons() -> None:
    frame = pl.DataFrame(
        {
            "rank": [1],
            "phone": ["13800001111"],
            "score": [0.97],
            "tier": ["red"],
            "reason_1": ["Long call from 17012345678, first seen today"],
            "reason_2": ["Sent money to 6222000011112222"],
            "reason_3": [None],
            "suspect_number": ["17012345678"],
            "account": ["6217000099998888"],
            "cluster": ["6216000055554444"],
        },
        schema_overrides={"reason_3": pl.String},
    )
    text = masked(frame).write_csv()
    for secret in ("13800001111", "17012345678", "6222000011112222", "6217000099998888", "6216000055554444"):
        assert secret not in text
    assert masked(frame)["cluster"][0] == "6216********4444"
