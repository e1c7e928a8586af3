"""Which accounts belong with which phone: the bridge from call signals to money signals.

A phone and an account are linked when the same holder holds both, or when the account
was registered with that phone. Holders with very many phones and accounts (payroll
companies, couriers' fleets) would link everything to everything and say nothing about
one person, so their holder links are capped; their registered-phone links stay.
"""

from __future__ import annotations

import polars as pl

from fraudkit.features.engine import collect
from fraudkit.features.prepare import ID

DEFAULT_MAX_HOLDER_LINKS = 100


def phone_account_links(
    accounts: pl.LazyFrame,
    subscribers: pl.LazyFrame,
    *,
    max_holder_links: int = DEFAULT_MAX_HOLDER_LINKS,
    phones: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Lazy links: phone, account_id, via_holder, via_registered_phone (one row per pair).

    Expects the prepared frames (``accounts_at`` / ``subscribers_at`` columns). ``phones`` (column
    ``phone``): the links of these phones only, reading only their holders' SIMs and accounts.
    """
    c = pl.col
    acc = accounts.select(c("account_id"), c("holder_id"), c("phone"))
    sub = subscribers.select(c("phone"), c("holder_id"))
    if phones is not None:
        wanted = phones.select("phone")
        holders = sub.join(wanted, on="phone", how="semi").select("holder_id").drop_nulls().unique()
        registered = acc.join(wanted, on="phone", how="semi")
        # a holder's cap counts all their SIMs and accounts, so those are kept whole
        acc = pl.concat([acc.join(holders, on="holder_id", how="semi"), registered]).unique()
        sub = sub.join(holders, on="holder_id", how="semi")
    per_holder = (
        acc.drop_nulls("holder_id")
        .group_by("holder_id")
        .agg(c("account_id").n_unique().alias("_n_acc"))
        .join(
            sub.drop_nulls("holder_id").group_by("holder_id").agg(c("phone").n_unique().alias("_n_ph")),
            on="holder_id",
        )
        .filter(c("_n_acc") * c("_n_ph") <= max_holder_links)
        .select("holder_id")
    )
    by_holder = (
        sub.join(per_holder, on="holder_id", how="semi")
        .join(acc.select("holder_id", "account_id"), on="holder_id")
        .select("phone", "account_id", pl.lit(True).alias("via_holder"), pl.lit(False).alias("via_registered_phone"))
    )
    by_phone = acc.drop_nulls("phone").select(
        "phone", "account_id", pl.lit(False).alias("via_holder"), pl.lit(True).alias("via_registered_phone")
    )
    links = (
        pl.concat([by_holder, by_phone])
        .group_by("phone", "account_id")
        .agg(c("via_holder").any(), c("via_registered_phone").any())
    )
    return links if phones is None else links.join(phones.select("phone"), on="phone", how="semi")


def link_phone_accounts(
    accounts: pl.LazyFrame, subscribers: pl.LazyFrame, *, max_holder_links: int = DEFAULT_MAX_HOLDER_LINKS
) -> pl.DataFrame:
    """Phone <-> account pairs through a shared holder_id and through accounts.phone, sorted.

    Columns: phone, account_id, via_holder, via_registered_phone. A holder whose phones x
    accounts exceed ``max_holder_links`` is linked only through registered phones.
    """
    c = pl.col
    schema = accounts.collect_schema()
    acc = accounts.lazy().select(
        c("account_id").cast(ID),
        c("holder_id").cast(ID),
        (c("phone") if "phone" in schema else pl.lit(None)).cast(ID).alias("phone"),
    )
    sub = subscribers.lazy().select(c("phone").cast(ID), c("holder_id").cast(ID))
    links = phone_account_links(acc, sub, max_holder_links=max_holder_links)
    return collect(links.with_columns(c("phone", "account_id").cast(pl.String)).sort("phone", "account_id"))
