"""The regional index's queries (:mod:`fraudkit.index`): each month's events with the region they belong to.

Every query reads the canonical tables and binds the month as ``$start`` and ``$end``; a row's ``region``
is the raw code the store holds (a county's, usually), which the index rolls up to the level it ranks. A
victim's region is the home region of the phone that reported (``subscribers``), else of the account
that paid (``accounts``). The index tables (``index_runs``, ``index_regions``) are written here too.
"""

from __future__ import annotations

from fraudkit.engine.sql import quote_ident
from fraudkit.schema import SUCCESSFUL

REGIONS = "SELECT code, name, parent_code, level, population, gdp FROM regions ORDER BY code"
"""The reference table of regions."""

REGION_COUNT = "SELECT count(*) FROM regions"

MONTH_HAS_DATA = """
    SELECT (SELECT count(*) FROM (SELECT 1 FROM transactions WHERE ts >= $s AND ts < $e LIMIT 1))
         + (SELECT count(*) FROM (SELECT 1 FROM calls WHERE start_time >= $s AND start_time < $e LIMIT 1))
"""
"""Non-zero when the store holds a transfer or a call in [``$s``, ``$e``)."""


_VICTIM = "coalesce(r.victim_phone, r.victim_account)"
_REGION_OF_VICTIM = """
    LEFT JOIN subscribers s ON s.phone = r.victim_phone
    LEFT JOIN accounts a ON a.account_id = r.victim_account"""

MONTH_REPORTS = f"""
    SELECT r.report_id, r.reported_at, {_VICTIM} AS victim, r.victim_phone, r.victim_account,
           r.fraud_account, r.loss_amount::DOUBLE AS loss, coalesce(s.region, a.region) AS region,
           EXISTS (
               SELECT 1 FROM reports e
               WHERE coalesce(e.victim_phone, e.victim_account) = {_VICTIM} AND e.reported_at < $start
           ) AS reported_before
    FROM reports r {_REGION_OF_VICTIM}
    WHERE r.reported_at >= $start AND r.reported_at < $end
    ORDER BY r.report_id
"""
"""The reports filed in the month, each with its victim, loss, region, and whether the same victim had
reported before the month (a repeat victim)."""

FIRST_PAYMENTS = f"""
    SELECT r.report_id, min(t.ts) AS paid_at
    FROM reports r JOIN transactions t ON t.src_account = r.victim_account AND t.dst_account = r.fraud_account
    WHERE r.reported_at >= $start AND r.reported_at < $end AND t.ts <= r.reported_at AND {SUCCESSFUL}
    GROUP BY r.report_id
    ORDER BY r.report_id
"""
"""Per report of the month: when the victim first paid the account it names (before the report)."""

WARNINGS_BEFORE = """
    SELECT r.report_id, max(o.contacted_at) AS warned_at
    FROM reports r JOIN outcomes o ON o.phone = r.victim_phone
    WHERE r.reported_at >= $start AND r.reported_at < $end
      AND o.result IN ('reached', 'confirmed_victim') AND o.contacted_at <= r.reported_at
    GROUP BY r.report_id
    ORDER BY r.report_id
"""
"""Per report of the month: the last call-back that reached its victim before the report."""

MONTH_CALLBACKS = """
    SELECT o.phone, o.contacted_at, o.result, s.region,
           EXISTS (
               SELECT 1 FROM reports r
               WHERE r.victim_phone = o.phone AND r.reported_at >= o.contacted_at AND r.reported_at < $end
           ) AS reported_after
    FROM outcomes o LEFT JOIN subscribers s ON s.phone = o.phone
    WHERE o.contacted_at >= $start AND o.contacted_at < $end
    ORDER BY o.phone, o.contacted_at
"""
"""The call-backs of the month, with the called phone's region and whether its holder reported a loss
afterwards (by the month's end)."""

ACTIVATED_FRAUD_NUMBERS = """
    SELECT s.phone, s.region
    FROM subscribers s
    WHERE s.activated_at >= $start AND s.activated_at < $end
      AND s.phone IN (SELECT fraud_phone FROM reports WHERE reported_at < $end AND fraud_phone IS NOT NULL)
    ORDER BY s.phone
"""
"""SIMs activated in the month that a report filed by its end names as the fraudster's number."""


def paid_to_water_houses(members: str) -> str:
    """Per account outside the registered ``members`` (account, cluster_id) that paid them in the month:
    the money, and the paying account's region. What victims lost, reported or not."""
    m = quote_ident(members)
    return f"""
    SELECT t.src_account AS account_id, a.region, sum(t.amount)::DOUBLE AS paid
    FROM transactions t
    JOIN (SELECT DISTINCT account FROM {m}) inside ON inside.account = t.dst_account
    LEFT JOIN (SELECT DISTINCT account FROM {m}) own ON own.account = t.src_account
    LEFT JOIN accounts a ON a.account_id = t.src_account
    WHERE t.ts >= $start AND t.ts < $end AND {SUCCESSFUL} AND own.account IS NULL
    GROUP BY t.src_account, a.region
    ORDER BY t.src_account
    """


ACCOUNT_REGIONS = "SELECT account_id, region FROM accounts WHERE opened_at IS NULL OR opened_at < $end"
"""Every account open by the month's end, with its region (the denominator of mule accounts)."""

SUBSCRIBER_REGIONS = "SELECT phone, region FROM subscribers WHERE activated_at IS NULL OR activated_at < $end"
"""Every SIM active by the month's end, with its region."""

MONTHLY_CASES = f"""
    SELECT strftime(r.reported_at, '%Y-%m') AS month, coalesce(s.region, a.region) AS region, count(*) AS cases
    FROM reports r {_REGION_OF_VICTIM}
    WHERE r.reported_at >= $since AND r.reported_at < $end
    GROUP BY ALL
    ORDER BY month, region
"""
"""Reports per month and raw region from ``$since`` to the month's end: the spike rule's history."""

# --- published runs -------------------------------------------------------------------------------

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS index_runs (
    run_id VARCHAR PRIMARY KEY,
    month VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    published_at TIMESTAMP NOT NULL,
    settings VARCHAR NOT NULL,
    notes VARCHAR NOT NULL
)"""
"""One row per published month and level: when, with which settings (JSON), and the month's notes."""

REGIONS_DDL = """
CREATE TABLE IF NOT EXISTS index_regions (
    run_id VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    row_json VARCHAR NOT NULL,
    PRIMARY KEY (run_id, region)
)"""
"""One row per region of a published run: its published columns as JSON (a later catalogue can read it)."""

PUBLISHED_ROWS = "SELECT row_json FROM index_regions WHERE run_id = $run_id ORDER BY region"

INSERT_RUN = "INSERT INTO index_runs VALUES ($run_id, $month, $level, $at, $settings, $notes)"


def insert_rows(rows: str) -> str:
    """Append the registered frame ``rows`` (run_id, region, row_json) to ``index_regions``."""
    return f"INSERT INTO index_regions SELECT run_id, region, row_json FROM {quote_ident(rows)}"


PUBLISHED_RUN = "SELECT run_id, month, level, published_at, settings, notes FROM index_runs WHERE run_id = $run_id"

PUBLISHED_MONTHS = """
    SELECT run_id, month FROM index_runs WHERE level = $level AND month >= $since AND month < $month ORDER BY month
"""
"""The runs published for ``$level`` in [``$since``, ``$month``): the trend's earlier months."""
