"""The index's indicators: objective outcomes the store records, per region and month.

Each indicator is a count or a sum adjusted by the region's size (residents, GDP, accounts, SIMs), so a
big city is not punished for being big, or a share, which needs no adjustment. Every one is computed
only from the canonical tables (reports, call-back outcomes, transfers, subscribers, accounts) and the
scan of the month; an indicator the store cannot tell for a region (no call-backs at all) is null, and
the index counts it as average.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from fraudkit.engine.sql import index as sql
from fraudkit.index.result import Indicator, Level
from fraudkit.store import frame, registered

c = pl.col

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "reports_per_10k",
        "cases",
        "Reports per 10,000 residents",
        "fraud reports filed in the month whose victim lives in the region, per 10,000 resident population",
        "reports / 10,000 residents",
        "riskier",
    ),
    Indicator(
        "loss_per_resident",
        "cases",
        "Reported loss per resident",
        "money the month's reports say was lost, per resident (yuan)",
        "yuan / resident",
        "riskier",
    ),
    Indicator(
        "loss_per_million_gdp",
        "cases",
        "Reported loss per million yuan of GDP",
        "money the month's reports say was lost, per million yuan of the region's GDP",
        "yuan / million yuan GDP",
        "riskier",
    ),
    Indicator(
        "paid_to_water_houses_per_resident",
        "cases",
        "Money paid into water houses per resident",
        "money the region's accounts paid in the month into accounts of water houses the month's scan flagged "
        "(from outside them), per resident (yuan): the loss at risk, reported or not",
        "yuan / resident",
        "riskier",
    ),
    Indicator(
        "repeat_victims_per_100k",
        "cases",
        "Repeat victims per 100,000 residents",
        "victims reporting in the month who had reported before, or reported twice in it, per 100,000 residents",
        "victims / 100,000 residents",
        "riskier",
    ),
    Indicator(
        "warned_before_payment",
        "interception",
        "Victims warned before paying",
        "share of the month's reporting victims that a call-back reached before their first payment to the "
        "account they reported (call-back outcome 'reached' or 'confirmed_victim')",
        "share of victims",
        "safer",
    ),
    Indicator(
        "median_lead_minutes",
        "interception",
        "Median lead time of a warning",
        "median minutes between the call-back that reached a victim and the victim's first payment, over the "
        "victims warned before paying",
        "minutes",
        "safer",
    ),
    Indicator(
        "loss_stopped_share",
        "interception",
        "Loss stopped (止损) as a share of loss at risk",
        "call-backs of the month that reached their person with no report of a loss by the month's end, each "
        "counted at the median reported loss of the region's month (the province's when it has none), as a "
        "share of that plus the month's reported loss",
        "share of loss at risk",
        "safer",
    ),
    Indicator(
        "callbacks_reached",
        "interception",
        "Call-backs reached",
        "share of the month's call-backs to the region's phones that reached their person (outcome 'reached' "
        "or 'confirmed_victim')",
        "share of call-backs",
        "safer",
    ),
    Indicator(
        "mule_accounts_per_10k",
        "supply",
        "Mule accounts per 10,000 accounts",
        "accounts of the region in a water house the month's scan flagged, per 10,000 of the region's accounts",
        "accounts / 10,000 accounts",
        "riskier",
    ),
    Indicator(
        "fraud_numbers_per_10k",
        "supply",
        "Fraud numbers activated per 10,000 SIMs",
        "SIMs activated in the region in the month that a report filed by its end names as the fraudster's "
        "number, per 10,000 of the region's SIMs",
        "SIMs / 10,000 SIMs",
        "riskier",
    ),
    Indicator(
        "water_houses_per_million",
        "supply",
        "Water houses with members in the region, per million residents",
        "water houses the month's scan flagged with at least one member account in the region, per million residents",
        "water houses / million residents",
        "riskier",
    ),
)
"""Every indicator, in the order of the sheets' columns (cases, interception, supply)."""

REACHED = ("reached", "confirmed_victim")


@dataclass(frozen=True)
class MonthData:
    """What the month's indicators are computed from, each frame with the raw ``region`` code it belongs to."""

    reports: pl.DataFrame  # report_id, victim, loss, region, reported_before, paid_at, warned_at
    callbacks: pl.DataFrame  # phone, contacted_at, result, region, reported_after
    fraud_numbers: pl.DataFrame  # phone, region
    accounts: pl.DataFrame  # account_id, region
    subscribers: pl.DataFrame  # phone, region
    mule_accounts: pl.DataFrame  # account_id, cluster_id, region
    paid_in: pl.DataFrame  # account_id, region, paid: money paid into the flagged water houses from outside


def month_data(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, flagged_members: pl.DataFrame
) -> MonthData:
    """The month's events from the store; ``flagged_members`` (account, cluster_id) are the members of the
    water houses the month's scan flagged."""
    bounds = {"start": start, "end": end}
    reports = frame(con, sql.MONTH_REPORTS, bounds, table="reports")
    paid = frame(con, sql.FIRST_PAYMENTS, bounds, table="transactions")
    warned = frame(con, sql.WARNINGS_BEFORE, bounds, table="outcomes")
    reports = reports.join(paid, on="report_id", how="left").join(warned, on="report_id", how="left")
    accounts = frame(con, sql.ACCOUNT_REGIONS, {"end": end}, table="accounts")
    with registered(con, flagged_members.select("account", "cluster_id"), "index_members") as view:
        paid_in = frame(con, sql.paid_to_water_houses(view), bounds, table="transactions")
    mules = flagged_members.select(c("account").alias("account_id"), "cluster_id").join(
        accounts, on="account_id", how="left"
    )
    return MonthData(
        reports=reports,
        callbacks=frame(con, sql.MONTH_CALLBACKS, bounds, table="outcomes"),
        fraud_numbers=frame(con, sql.ACTIVATED_FRAUD_NUMBERS, bounds, table="subscribers"),
        accounts=accounts,
        subscribers=frame(con, sql.SUBSCRIBER_REGIONS, {"end": end}, table="subscribers"),
        mule_accounts=mules,
        paid_in=paid_in,
    )


def region_map(regions: pl.DataFrame, level: Level) -> pl.DataFrame:
    """``code`` -> ``region``: every code the store may hold (a county's, a city's) to the region of
    ``level`` it counts towards; codes outside the hierarchy are absent (their events count nowhere)."""
    counties = regions.filter(c("level") == "county")
    cities = regions.filter(c("level") == "city")
    if level == "county":
        return counties.select(c("code"), c("code").alias("region"))
    return pl.concat(
        [
            counties.join(cities.select(c("code").alias("parent_code")), on="parent_code").select(
                "code", c("parent_code").alias("region")
            ),
            cities.select("code", c("code").alias("region")),
        ]
    )


def indicator_values(data: MonthData, regions: pl.DataFrame, level: Level) -> pl.DataFrame:
    """One row per region of ``level``: its size (residents, GDP, accounts, SIMs) and every indicator."""
    mapping = region_map(regions, level)
    places = regions.filter(c("level") == level).select(
        c("code").alias("region"), "name", c("parent_code").alias("parent"), "population", "gdp"
    )

    def at(events: pl.DataFrame) -> pl.DataFrame:
        return events.rename({"region": "code"}).join(mapping, on="code", how="inner").drop("code")

    reports = at(data.reports)
    per_victim = reports.group_by("region", "victim").agg(
        pl.len().alias("_n"), c("reported_before").any().alias("_before")
    )
    repeat = per_victim.group_by("region").agg(((c("_n") > 1) | c("_before")).sum().alias("_repeat"))
    paid = reports.filter(c("paid_at").is_not_null())
    warned = paid.with_columns(
        (c("warned_at").is_not_null() & (c("warned_at") < c("paid_at"))).alias("_in_time"),
        ((c("paid_at") - c("warned_at")).dt.total_seconds() / 60.0).alias("_lead"),
    )
    interception = warned.group_by("region").agg(
        c("_in_time").mean().alias("warned_before_payment"),
        c("_lead").filter(c("_in_time")).median().alias("median_lead_minutes"),
    )
    cases = reports.group_by("region").agg(
        pl.len().alias("_reports"), c("loss").sum().alias("_loss"), c("loss").median().alias("_median_loss")
    )
    province_median = float(data.reports["loss"].median() or 0.0) if data.reports.height else 0.0
    callbacks = at(data.callbacks).with_columns(c("result").is_in(REACHED).alias("_reached"))
    stopped = callbacks.group_by("region").agg(
        c("_reached").mean().alias("callbacks_reached"),
        (c("_reached") & ~c("reported_after")).sum().alias("_stopped"),
        pl.len().alias("_callbacks"),
    )
    sizes = (
        at(data.accounts)
        .group_by("region")
        .agg(pl.len().alias("_accounts"))
        .join(
            at(data.subscribers).group_by("region").agg(pl.len().alias("_sims")), on="region", how="full", coalesce=True
        )
    )
    mules = (
        at(data.mule_accounts)
        .group_by("region")
        .agg(c("account_id").n_unique().alias("_mules"), c("cluster_id").n_unique().alias("_houses"))
    )
    numbers = at(data.fraud_numbers).group_by("region").agg(pl.len().alias("_numbers"))
    paid_in = at(data.paid_in).group_by("region").agg(c("paid").sum().alias("_paid_in"))
    joined = places
    for part in (cases, repeat, interception, stopped, sizes, mules, numbers, paid_in):
        joined = joined.join(part, on="region", how="left")
    counts = (
        "_reports",
        "_loss",
        "_repeat",
        "_stopped",
        "_mules",
        "_houses",
        "_numbers",
        "_accounts",
        "_sims",
        "_paid_in",
    )
    joined = joined.with_columns(c(name).fill_null(0) for name in counts)
    population = c("population").cast(pl.Float64)
    stopped_loss = c("_stopped") * c("_median_loss").fill_null(province_median)
    values = joined.with_columns(
        _per(c("_reports"), population, 10_000).alias("reports_per_10k"),
        _per(c("_loss"), population, 1).alias("loss_per_resident"),
        _per(c("_loss"), c("gdp").cast(pl.Float64), 1e6).alias("loss_per_million_gdp"),
        _per(c("_paid_in"), population, 1).alias("paid_to_water_houses_per_resident"),
        _per(c("_repeat"), population, 100_000).alias("repeat_victims_per_100k"),
        pl.when(c("_callbacks").fill_null(0) > 0)
        .then(_per(stopped_loss, stopped_loss + c("_loss"), 1))
        .alias("loss_stopped_share"),
        _per(c("_mules"), c("_accounts").cast(pl.Float64), 10_000).alias("mule_accounts_per_10k"),
        _per(c("_numbers"), c("_sims").cast(pl.Float64), 10_000).alias("fraud_numbers_per_10k"),
        _per(c("_houses"), population, 1_000_000).alias("water_houses_per_million"),
        c("_reports").alias("cases"),
    )
    names = [ind.name for ind in INDICATORS]
    return values.select(
        "region", "name", "parent", "population", "gdp", "cases", *(c(n).cast(pl.Float64) for n in names)
    ).sort("region")


def _per(count: pl.Expr, size: pl.Expr, unit: float) -> pl.Expr:
    """``count`` per ``unit`` of ``size``; null where the size is unknown or zero (a region without residents)."""
    return pl.when(size > 0).then(count.cast(pl.Float64) / size * unit).otherwise(None)
