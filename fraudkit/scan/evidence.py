"""Evidence a person can check for every cluster, computed set-at-a-time in DuckDB.

Members and their roles, victims and reports feeding the cluster, money in and out,
median dwell, cash-out points, linked fraud numbers; and a score built from them.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from fraudkit.features.params import DEFAULT_PARAMS
from fraudkit.scan.flows import CASH_OUT_CHANNELS


def member_evidence(con: duckdb.DuckDBPyConnection, clusters: pl.DataFrame, flows: pl.DataFrame) -> pl.DataFrame:
    """Per member: flows, external inflow share, cash-out share, role, account age and holder."""
    con.register("scan_members_in", clusters)
    con.register("scan_flows", flows)
    try:
        return con.sql(
            """
            WITH ext_in AS (
                SELECT m.account, sum(t.amount) AS external_in, count(DISTINCT t.src) AS external_senders
                FROM scan_members_in m JOIN scan_tx t ON t.dst = m.account
                LEFT JOIN scan_members_in s ON s.account = t.src AND s.cluster_id = m.cluster_id
                WHERE s.account IS NULL GROUP BY m.account
            )
            SELECT m.cluster_id, m.account, f.money_in, f.money_out, f.pass_through_ratio, f.median_dwell_minutes,
                   f.cash_out, coalesce(e.external_in, 0) AS external_in,
                   coalesce(e.external_senders, 0) AS external_senders,
                   CASE WHEN f.cash_out >= 0.5 * f.money_out AND f.money_out > 0 THEN 'cashout'
                        WHEN coalesce(e.external_in, 0) >= 0.5 * f.money_in THEN 'collector'
                        ELSE 'layer' END AS role,
                   a.holder_id, a.opened_at, a.account_type
            FROM scan_members_in m
            JOIN scan_flows f ON f.account = m.account
            LEFT JOIN ext_in e ON e.account = m.account
            LEFT JOIN accounts a ON a.account_id = m.account
            ORDER BY m.cluster_id, m.account
            """
        ).pl()
    finally:
        con.unregister("scan_members_in")
        con.unregister("scan_flows")


def cluster_evidence(con: duckdb.DuckDBPyConnection, members: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Per cluster: victims in, money in/out, cash-out points, dwell, account age, reports, fraud numbers."""
    cash = list(CASH_OUT_CHANNELS)
    con.register("scan_m", members)
    try:
        return con.sql(
            """
            WITH entries AS (
                SELECT m.cluster_id, t.src AS sender, t.amount, t.ts
                FROM scan_m m JOIN scan_tx t ON t.dst = m.account
                WHERE t.src NOT IN (SELECT account FROM scan_m x WHERE x.cluster_id = m.cluster_id)
            ),
            exits AS (
                SELECT m.cluster_id, t.dst, t.amount, t.channel, t.ts
                FROM scan_m m JOIN scan_tx t ON t.src = m.account
                WHERE t.dst NOT IN (SELECT account FROM scan_m x WHERE x.cluster_id = m.cluster_id)
            ),
            internal AS (
                SELECT m.cluster_id, t.amount, t.ts
                FROM scan_m m JOIN scan_tx t ON t.src = m.account
                JOIN scan_m d ON d.account = t.dst AND d.cluster_id = m.cluster_id
            ),
            e AS (SELECT cluster_id, count(DISTINCT sender) AS victims, sum(amount) AS money_in,
                         min(ts) AS first_seen FROM entries GROUP BY cluster_id),
            x AS (SELECT cluster_id,
                         coalesce(sum(amount) FILTER (WHERE list_contains($cash, channel)), 0) AS cash_out,
                         coalesce(sum(amount) FILTER (WHERE NOT list_contains($cash, channel)), 0) AS other_out,
                         count(DISTINCT dst) FILTER (WHERE list_contains($cash, channel)) AS cash_out_points,
                         max(ts) AS last_seen
                  FROM exits GROUP BY cluster_id),
            i AS (SELECT cluster_id, sum(amount) AS internal_flow, count(*) AS internal_txns,
                         avg(CASE WHEN """
            + _just_under_sql("amount")
            + """ THEN 1.0 ELSE 0.0 END) AS just_under_share
                  FROM internal GROUP BY cluster_id),
            mm AS (SELECT cluster_id, count(*) AS size, count(DISTINCT holder_id) AS holders,
                          median(median_dwell_minutes) AS median_dwell_minutes,
                          sum(money_in * pass_through_ratio) / nullif(sum(money_in), 0) AS pass_through_ratio,
                          avg(CASE WHEN opened_at >= $as_of - INTERVAL 365 DAY THEN 1.0 ELSE 0.0 END) AS young_share,
                          count(*) FILTER (WHERE role = 'collector') AS collectors,
                          count(*) FILTER (WHERE role = 'cashout') AS cashouts,
                          avg(CASE WHEN account_type IN ('personal') OR account_type IS NULL THEN 1.0 ELSE 0.0 END)
                              AS personal_share
                   FROM scan_m GROUP BY cluster_id),
            linked AS (  -- reports naming a member as the fraud account, or a sender into the cluster as victim
                SELECT m.cluster_id, rp.report_id, rp.fraud_phone
                FROM scan_m m JOIN reports rp ON rp.fraud_account = m.account
                WHERE rp.reported_at < $as_of
                UNION
                SELECT en.cluster_id, rp.report_id, rp.fraud_phone
                FROM (SELECT DISTINCT cluster_id, sender FROM entries) en
                JOIN reports rp ON rp.victim_account = en.sender
                WHERE rp.reported_at < $as_of
            ),
            r AS (
                SELECT cluster_id, count(DISTINCT report_id) AS reports,
                       string_agg(DISTINCT fraud_phone, ',' ORDER BY fraud_phone) AS fraud_phones
                FROM linked GROUP BY cluster_id
            )
            SELECT mm.cluster_id, mm.size, mm.holders, mm.collectors, mm.cashouts,
                   coalesce(e.victims, 0) AS victims, coalesce(e.money_in, 0) AS money_in,
                   coalesce(x.cash_out, 0) AS cash_out, coalesce(x.other_out, 0) AS other_out,
                   coalesce(x.cash_out_points, 0) AS cash_out_points,
                   coalesce(i.internal_flow, 0) AS internal_flow, coalesce(i.internal_txns, 0) AS internal_txns,
                   coalesce(i.just_under_share, 0) AS just_under_share,
                   mm.median_dwell_minutes, mm.pass_through_ratio, mm.young_share, mm.personal_share,
                   coalesce(r.reports, 0) AS reports, coalesce(r.fraud_phones, '') AS fraud_phones,
                   e.first_seen, x.last_seen
            FROM mm LEFT JOIN e USING (cluster_id) LEFT JOIN x USING (cluster_id)
            LEFT JOIN i USING (cluster_id) LEFT JOIN r USING (cluster_id)
            ORDER BY mm.cluster_id
            """,
            params={"cash": cash, "as_of": as_of},
        ).pl()
    finally:
        con.unregister("scan_m")


def _just_under_sql(column: str) -> str:
    """SQL predicate: amount just under a reporting threshold, by the features' definition (numbers, no user text)."""
    low = 1.0 - DEFAULT_PARAMS.under_band
    bands = (f"({column} >= {t * low} AND {column} < {t})" for t in DEFAULT_PARAMS.thresholds)
    return "(" + " OR ".join(bands) + ")"


def score_clusters(evidence: pl.DataFrame) -> pl.DataFrame:
    """A 0-1 score from evidence a person can check; each part is kept as a column so it can be explained."""
    conservation = (pl.col("cash_out") + pl.col("other_out")) / pl.col("money_in").clip(lower_bound=1.0)
    return evidence.with_columns(
        score_pass_through=pl.col("pass_through_ratio").fill_null(0.0),
        score_speed=1.0 / (1.0 + pl.col("median_dwell_minutes").fill_null(10_000.0) / 180.0),
        score_cash_out=(pl.col("cash_out") / (pl.col("cash_out") + pl.col("other_out")).clip(lower_bound=1.0)),
        score_conservation=(1.0 - (conservation - 0.97).abs().clip(upper_bound=1.0)),
        score_young=pl.col("young_share"),
        score_victims=(pl.col("victims").cast(pl.Float64) / 3.0).clip(upper_bound=1.0),
    ).with_columns(
        score=(
            0.25 * pl.col("score_pass_through")
            + 0.15 * pl.col("score_speed")
            + 0.2 * pl.col("score_cash_out")
            + 0.15 * pl.col("score_conservation")
            + 0.1 * pl.col("score_young")
            + 0.15 * pl.col("score_victims")
            + pl.when(pl.col("reports") > 0).then(0.1).otherwise(0.0)
        ).clip(upper_bound=1.0)
    )


def cluster_flow_edges(con: duckdb.DuckDBPyConnection, members: pl.DataFrame) -> pl.DataFrame:
    """Every transfer touching a cluster in the window, summed per pair and tagged entry, internal or exit."""
    con.register("scan_fm", members.select("cluster_id", "account"))
    try:
        return con.sql(
            """
            SELECT coalesce(s.cluster_id, d.cluster_id) AS cluster_id, t.src, t.dst,
                   CASE WHEN s.account IS NULL THEN 'entry' WHEN d.account IS NULL THEN 'exit' ELSE 'internal' END
                       AS flow,
                   any_value(t.channel) AS channel, sum(t.amount) AS amount, count(*) AS n_txns,
                   min(t.ts) AS first_ts, max(t.ts) AS last_ts
            FROM scan_tx t
            LEFT JOIN scan_fm s ON s.account = t.src
            LEFT JOIN scan_fm d ON d.account = t.dst AND (s.cluster_id IS NULL OR d.cluster_id = s.cluster_id)
            WHERE s.account IS NOT NULL OR d.account IS NOT NULL
            GROUP BY ALL
            ORDER BY cluster_id, flow, src, dst
            """
        ).pl()
    finally:
        con.unregister("scan_fm")
