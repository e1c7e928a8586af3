"""The water-house scan's queries: the window's transfers, the pre-filter (flows and fast edges), each
cluster's evidence and the scan tables in the store.

The relations a query reads besides the canonical tables (the window's transfers, the clusters, ...)
are views the stage registers under fresh names (:func:`fraudkit.store.registered`); the functions
here take those names and quote them. Every value (times, thresholds, channels) is a bound parameter.
"""

from __future__ import annotations

from fraudkit.engine.sql import quote_ident
from fraudkit.schema import SUCCESSFUL

# --- the pre-filter (fraudkit.scan.flows) ---------------------------------------------------


def exact_sum(expr: str, *, where: str | None = None, scale: int = 2) -> str:
    """``sum(expr)`` (``FILTER (WHERE where)``) added up exactly, as DOUBLE: each term to ``scale``
    decimals (amounts are whole cents, so those are exact), the sum in DECIMAL. A sum of DOUBLEs
    depends on the order the rows come in, which DuckDB's threads and a lake's file order change: the
    same store scanned twice differed in the last bits. Null when no row counts, as ``sum`` is."""
    filtered = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(sum(CAST({expr} AS DECIMAL(38, {int(scale)}))){filtered} AS DOUBLE)"


WINDOW_TRANSFERS = f"""
        SELECT txn_id, ts, src_account AS src, dst_account AS dst, amount::DOUBLE AS amount, channel
        FROM transactions
        WHERE ts >= $start AND ts < $end AND {SUCCESSFUL} AND src_account <> dst_account
        """
"""The window's successful transfers between two different accounts (txn_id, ts, src, dst, amount as
DOUBLE, channel): ``$start`` included, ``$end`` not."""


FAST_OUT = "prev_in IS NOT NULL AND epoch(ts - prev_in) <= $hours * 3600"
"""An outflow that left within ``$hours`` of the account's last money in."""
CASHED = "list_contains($cash, channel)"
"""A transfer over a cash-out channel (``$cash``)."""
NOT_CASHED = f"NOT {CASHED}"


def account_flows(transfers: str) -> str:
    """Per account of ``transfers``: money in and out, counterparties, fast pass-through (out within
    ``$hours`` of the last money in), median dwell, cash-out (channels in ``$cash``), ordered by account."""
    tx = quote_ident(transfers)
    return f"""
        WITH inflow AS (SELECT dst AS account, ts, amount, src AS cp FROM {tx}),
        outflow AS (SELECT src AS account, ts, amount, dst AS cp, channel FROM {tx}),
        o AS (
            SELECT o.*, i.ts AS prev_in
            FROM outflow o ASOF LEFT JOIN inflow i ON o.account = i.account AND o.ts >= i.ts
        ),
        outs AS (
            SELECT account,
                   {exact_sum("amount")} AS money_out,
                   count(*) AS n_out,
                   count(DISTINCT cp) AS n_receivers,
                   coalesce({exact_sum("amount", where=FAST_OUT)}, 0) AS fast_out,
                   median(epoch(ts - prev_in) / 60.0) AS median_dwell_minutes,
                   coalesce({exact_sum("amount", where=CASHED)}, 0) AS cash_out
            FROM o GROUP BY account
        ),
        ins AS (
            SELECT account, {exact_sum("amount")} AS money_in, count(*) AS n_in, count(DISTINCT cp) AS n_senders
            FROM inflow GROUP BY account
        )
        SELECT coalesce(outs.account, ins.account) AS account,
               coalesce(money_in, 0) AS money_in, coalesce(n_in, 0) AS n_in, coalesce(n_senders, 0) AS n_senders,
               coalesce(money_out, 0) AS money_out, coalesce(n_out, 0) AS n_out,
               coalesce(n_receivers, 0) AS n_receivers, coalesce(fast_out, 0) AS fast_out,
               median_dwell_minutes, coalesce(cash_out, 0) AS cash_out,
               least(coalesce(fast_out, 0) / nullif(money_in, 0), 1.0) AS pass_through_ratio
        FROM outs FULL JOIN ins ON outs.account = ins.account
        ORDER BY account
        """


def window_profile(transfers: str) -> str:
    """One row of ``transfers``: how many, distinct channels, how many over a cash-out channel (``$cash``),
    the median dwell of every outflow after its account's last money in (hours), and the ``$q`` quantile
    of every receiving account's money in: what a scan's "auto" thresholds and its evidence read."""
    tx = quote_ident(transfers)
    return f"""
        WITH inflow AS (SELECT dst AS account, ts FROM {tx}),
        dwell AS (
            SELECT epoch(t.ts - i.ts) / 3600.0 AS hours
            FROM {tx} t ASOF JOIN inflow i ON t.src = i.account AND t.ts >= i.ts
        ),
        received AS (SELECT dst, {exact_sum("amount")} AS money_in FROM {tx} GROUP BY dst)
        SELECT (SELECT count(*) FROM {tx}) AS transfers,
               (SELECT count(DISTINCT channel) FROM {tx}) AS channels,
               (SELECT count(*) FROM {tx} WHERE {CASHED}) AS cash_out_transfers,
               (SELECT median(hours) FROM dwell)::DOUBLE AS median_dwell_hours,
               (SELECT quantile_cont(money_in, $q) FROM received)::DOUBLE AS inflow_quantile
        """


ACCOUNTS_WITH_OPENING = "SELECT count(*) FROM accounts WHERE opened_at IS NOT NULL"
"""Accounts whose opening date is known: without any, account age is evidence the data does not carry."""
REPORTS_BEFORE = "SELECT count(*) FROM reports WHERE reported_at < ?"
"""Reports made before the as-of time (``?``): without any, reports are evidence the data does not carry."""


def fast_flow_edges(transfers: str, hot: str) -> str:
    """Transfers between accounts of ``hot`` whose sender received money at most ``$h`` hours before and
    whose receiver sends money on at most ``$h`` hours after, summed per (src, dst)."""
    tx, hot = quote_ident(transfers), quote_ident(hot)
    return f"""
            WITH hot_tx AS (
                SELECT * FROM {tx}
                WHERE src IN (SELECT account FROM {hot}) AND dst IN (SELECT account FROM {hot})
            ),
            inflow AS (SELECT dst AS account, ts FROM {tx} WHERE dst IN (SELECT account FROM {hot})),
            outflow AS (SELECT src AS account, ts FROM {tx} WHERE src IN (SELECT account FROM {hot})),
            e1 AS (
                SELECT h.*, i.ts AS prev_in
                FROM hot_tx h ASOF LEFT JOIN inflow i ON h.src = i.account AND h.ts >= i.ts
            ),
            e2 AS (
                SELECT e1.*, o.ts AS next_out
                FROM e1 ASOF LEFT JOIN outflow o ON e1.dst = o.account AND o.ts >= e1.ts
            )
            SELECT src, dst, {exact_sum("amount")} AS amount, count(*) AS n_txns, min(ts) AS first_ts,
                   max(ts) AS last_ts
            FROM e2
            WHERE prev_in IS NOT NULL AND epoch(ts - prev_in) <= $h * 3600
              AND next_out IS NOT NULL AND epoch(next_out - ts) <= $h * 3600
            GROUP BY src, dst
            ORDER BY src, dst
            """


# --- the dense detector (fraudkit.scan.dense) -------------------------------------------------


def _pairs_and_hubs(tx: str) -> str:
    """The CTEs both dense queries start from: ``every_pair`` (src, dst, amount, n_txns, amount spread,
    day-of-month spread, first and last ts), ``deg``, ``hub`` (the hub degree: ``$hub``, or ``$factor`` x
    the ``$q`` quantile of every account's, at least ``$least``), ``plain`` (accounts that are not hubs)
    and ``pairs`` (every pair between two of them). ``tx`` is quoted already."""
    return f"""
        every_pair AS (
            SELECT src, dst, {exact_sum("amount")} AS amount, count(*) AS n_txns,
                   stddev_pop(amount) / nullif(avg(amount), 0) AS spread,
                   max(dayofmonth(ts)) - min(dayofmonth(ts)) AS day_spread, min(ts) AS first_ts, max(ts) AS last_ts
            FROM {tx} GROUP BY src, dst
        ),
        deg AS (
            SELECT account, count(*) AS degree
            FROM (SELECT src AS account FROM every_pair UNION ALL SELECT dst FROM every_pair)
            GROUP BY account
        ),
        hub AS (
            SELECT coalesce($hub, greatest($least, round($factor * quantile_cont(degree, $q))))::BIGINT AS degree
            FROM deg
        ),
        plain AS (SELECT account FROM deg, hub WHERE deg.degree <= hub.degree),
        pairs AS (
            SELECT * FROM every_pair
            WHERE src IN (SELECT account FROM plain) AND dst IN (SELECT account FROM plain)
        )"""


def surprising_links(transfers: str) -> str:
    """The links of ``transfers`` a ring makes and ordinary life rarely does, summed per (src, dst).

    Kept: pairs between two accounts that are not hubs (at most ``$hub`` counterparty links, a two-way
    contact counting twice; null: ``$factor`` x the ``$q`` quantile of every account's, at least
    ``$least``: shops, employers and utilities are hubs), carrying at least ``$floor`` in all (null: the
    ``$fq`` quantile of the money of pairs between non-hubs), not a standing order (``$so_n`` or more
    transfers whose amounts vary by less than ``$so_cv``, that fall within ``$so_days`` days of the same
    day of the month, or whose gaps vary by less than ``$so_gap``: pay, rent, bills), and whose two
    accounts share no counterparty over the everyday pairs (those under the floor: family and friends
    know the same people through small payments; a ring's recruits know each other only through the
    ring's own links). Gaps are measured
    only on the few pairs that could be kept. Columns: src, dst, amount, n_txns, first_ts, last_ts, the
    floor and hub degree used; ordered by src, dst."""
    tx = quote_ident(transfers)
    return f"""
        WITH {_pairs_and_hubs(tx)},
        floor AS (SELECT coalesce($floor, quantile_cont(amount, $fq)) AS amount FROM pairs),
        candidates AS (SELECT p.* FROM pairs p, floor f WHERE p.amount >= f.amount),
        regular AS (  -- gaps of the candidates that repeat often enough to be standing orders
            SELECT src, dst, stddev_pop(gap) / nullif(avg(gap), 0) AS gap_spread
            FROM (
                SELECT t.src, t.dst,
                       epoch(t.ts - lag(t.ts) OVER (PARTITION BY t.src, t.dst ORDER BY t.ts, t.amount)) AS gap
                FROM {tx} t SEMI JOIN candidates c ON c.src = t.src AND c.dst = t.dst AND c.n_txns >= $so_n
            )
            GROUP BY src, dst
        ),
        kept AS (
            SELECT c.* FROM candidates c LEFT JOIN regular r ON r.src = c.src AND r.dst = c.dst
            WHERE NOT (c.n_txns >= $so_n AND (coalesce(c.spread, 0) < $so_cv OR c.day_spread <= $so_days
                                              OR coalesce(r.gap_spread, 0) < $so_gap))
        ),
        ordinary AS (SELECT p.src, p.dst FROM pairs p, floor f WHERE p.amount < f.amount),
        adj AS (SELECT src AS a, dst AS b FROM ordinary UNION SELECT dst, src FROM ordinary),
        shared AS (
            SELECT k.src, k.dst
            FROM kept k JOIN adj x ON x.a = k.src JOIN adj y ON y.a = k.dst AND y.b = x.b
            GROUP BY k.src, k.dst
        )
        SELECT k.src, k.dst, k.amount, k.n_txns, k.first_ts, k.last_ts, f.amount AS floor, h.degree AS hub_degree
        FROM kept k CROSS JOIN floor f CROSS JOIN hub h
        LEFT JOIN shared s ON s.src = k.src AND s.dst = k.dst
        WHERE s.src IS NULL
        ORDER BY k.src, k.dst
        """


def no_life_links(transfers: str) -> str:
    """The links of ``transfers`` that touch an account with no ordinary life, summed per (src, dst).

    An account has no ordinary life when it is not a hub (as in :func:`surprising_links`) and less than
    ``$life`` of its transfers are with hubs (shops, employers, utilities), standing orders (as there) or
    with its holder's own accounts (``accounts.holder_id``): an account that exists to move money. Kept:
    pairs between non-hubs, not a standing order, not one holder's, touching such an account, where the
    other side has no ordinary life either or is linked so to at least ``$partners`` such accounts (a
    person paying one lonely friend is ordinary; paying into two accounts that do nothing else is not).
    Columns: src, dst, amount, n_txns, first_ts, last_ts; ordered by src, dst."""
    tx = quote_ident(transfers)
    return f"""
        WITH {_pairs_and_hubs(tx)},
        standing AS (
            SELECT src, dst FROM every_pair
            WHERE n_txns >= $so_n AND (coalesce(spread, 0) < $so_cv OR day_spread <= $so_days)
        ),
        holder AS (SELECT account_id AS account, holder_id FROM accounts WHERE holder_id IS NOT NULL),
        sides AS (
            SELECT src AS account, dst AS other, src, dst, n_txns FROM every_pair
            UNION ALL SELECT dst, src, src, dst, n_txns FROM every_pair
        ),
        lives AS (
            SELECT s.account,
                   sum(s.n_txns) AS n,
                   coalesce(sum(s.n_txns) FILTER (
                       WHERE o.account IS NULL OR st.src IS NOT NULL OR ha.holder_id = hb.holder_id
                   ), 0) AS life_n
            FROM sides s
            LEFT JOIN plain o ON o.account = s.other
            LEFT JOIN standing st ON st.src = s.src AND st.dst = s.dst
            LEFT JOIN holder ha ON ha.account = s.account
            LEFT JOIN holder hb ON hb.account = s.other
            WHERE s.account IN (SELECT account FROM plain)
            GROUP BY s.account
        ),
        no_life AS (SELECT account FROM lives WHERE life_n < $life * n),
        links AS (
            SELECT p.src, p.dst, p.amount, p.n_txns, p.first_ts, p.last_ts,
                   p.src IN (SELECT account FROM no_life) AS src_bare,
                   p.dst IN (SELECT account FROM no_life) AS dst_bare
            FROM pairs p
            LEFT JOIN standing st ON st.src = p.src AND st.dst = p.dst
            LEFT JOIN holder ha ON ha.account = p.src
            LEFT JOIN holder hb ON hb.account = p.dst
            WHERE st.src IS NULL AND NOT coalesce(ha.holder_id = hb.holder_id, false)
        ),
        touching AS (SELECT * FROM links WHERE src_bare OR dst_bare),
        partner AS (
            SELECT account, count(DISTINCT bare) AS n
            FROM (
                SELECT src AS account, dst AS bare FROM touching WHERE dst_bare AND NOT src_bare
                UNION ALL SELECT dst, src FROM touching WHERE src_bare AND NOT dst_bare
            )
            GROUP BY account
        )
        SELECT t.src, t.dst, t.amount, t.n_txns, t.first_ts, t.last_ts
        FROM touching t
        LEFT JOIN partner ps ON ps.account = t.src
        LEFT JOIN partner pd ON pd.account = t.dst
        WHERE (t.src_bare AND t.dst_bare) OR coalesce(ps.n, 0) >= $partners OR coalesce(pd.n, 0) >= $partners
        ORDER BY t.src, t.dst
        """


def touching(transfers: str, accounts: str) -> str:
    """The transfers of ``transfers`` sent or received by an account of ``accounts`` (account)."""
    tx, acc = quote_ident(transfers), quote_ident(accounts)
    return f"""
        SELECT * FROM {tx}
        WHERE src IN (SELECT account FROM {acc}) OR dst IN (SELECT account FROM {acc})
        """


# --- evidence (fraudkit.scan.evidence) ------------------------------------------------------


def member_evidence(transfers: str, clusters: str, flows: str) -> str:
    """Per member of ``clusters`` (account, cluster_id): its ``flows`` row, the money and senders from
    outside its cluster, its role (cashout, collector or layer) and its ``accounts`` row."""
    tx, clusters_view, flows_view = quote_ident(transfers), quote_ident(clusters), quote_ident(flows)
    return f"""
            WITH ext_in AS (
                SELECT m.account, {exact_sum("t.amount")} AS external_in, count(DISTINCT t.src) AS external_senders
                FROM {clusters_view} m JOIN {tx} t ON t.dst = m.account
                LEFT JOIN {clusters_view} s ON s.account = t.src AND s.cluster_id = m.cluster_id
                WHERE s.account IS NULL GROUP BY m.account
            )
            SELECT m.cluster_id, m.account, f.money_in, f.money_out, f.pass_through_ratio, f.median_dwell_minutes,
                   f.cash_out, coalesce(e.external_in, 0) AS external_in,
                   coalesce(e.external_senders, 0) AS external_senders,
                   CASE WHEN f.cash_out >= 0.5 * f.money_out AND f.money_out > 0 THEN 'cashout'
                        WHEN coalesce(e.external_in, 0) >= 0.5 * f.money_in THEN 'collector'
                        ELSE 'layer' END AS role,
                   a.holder_id, a.phone, a.opened_at, a.account_type
            FROM {clusters_view} m
            JOIN {flows_view} f ON f.account = m.account
            LEFT JOIN ext_in e ON e.account = m.account
            LEFT JOIN accounts a ON a.account_id = m.account
            ORDER BY m.cluster_id, m.account
            """


def just_under(column: str, thresholds: tuple[float, ...], under_band: float) -> str:
    """The predicate "``column`` is just under a reporting threshold": within ``under_band`` (a share)
    below one of ``thresholds``. The numbers are written into the text as floats, ``column`` quoted."""
    low = 1.0 - under_band
    name = quote_ident(column)
    bands = (f"({name} >= {float(t) * low} AND {name} < {float(t)})" for t in thresholds)
    return "(" + " OR ".join(bands) + ")"


def cluster_evidence(transfers: str, members: str, onward: str, under_threshold: str) -> str:
    """Per cluster of ``members`` (:func:`member_evidence`): victims and money in, cash-out (channels in
    ``$cash``) and other money out, the part of it passed on by its receivers (``onward``: account,
    money_in, money_out), internal flow and its share just under a threshold (``under_threshold``, a
    predicate on ``amount`` from :func:`just_under`), size, dwell, account age on ``$as_of``, and the
    reports made before ``$as_of``."""
    tx, members_view, onward_view = quote_ident(transfers), quote_ident(members), quote_ident(onward)
    return f"""
            WITH entries AS (
                SELECT m.cluster_id, t.src AS sender, t.amount, t.ts
                FROM {members_view} m JOIN {tx} t ON t.dst = m.account
                WHERE t.src NOT IN (SELECT account FROM {members_view} x WHERE x.cluster_id = m.cluster_id)
            ),
            exits AS (
                SELECT m.cluster_id, t.dst, t.amount, t.channel, t.ts,
                       coalesce(least(o.money_out / nullif(o.money_in, 0), 1.0), 0.0) AS passed_on
                FROM {members_view} m JOIN {tx} t ON t.src = m.account
                LEFT JOIN {onward_view} o ON o.account = t.dst
                WHERE t.dst NOT IN (SELECT account FROM {members_view} x WHERE x.cluster_id = m.cluster_id)
            ),
            internal AS (
                SELECT m.cluster_id, t.amount, t.ts
                FROM {members_view} m JOIN {tx} t ON t.src = m.account
                JOIN {members_view} d ON d.account = t.dst AND d.cluster_id = m.cluster_id
            ),
            e AS (SELECT cluster_id, count(DISTINCT sender) AS victims, {exact_sum("amount")} AS money_in,
                         min(ts) AS first_seen FROM entries GROUP BY cluster_id),
            x AS (SELECT cluster_id,
                         coalesce({exact_sum("amount", where=CASHED)}, 0) AS cash_out,
                         coalesce({exact_sum("amount", where=NOT_CASHED)}, 0) AS other_out,
                         coalesce({exact_sum("amount * passed_on", where=NOT_CASHED, scale=6)}, 0) AS onward_out,
                         count(DISTINCT dst) FILTER (WHERE list_contains($cash, channel)) AS cash_out_points,
                         max(ts) AS last_seen
                  FROM exits GROUP BY cluster_id),
            i AS (SELECT cluster_id, {exact_sum("amount")} AS internal_flow, count(*) AS internal_txns,
                         avg(CASE WHEN {under_threshold} THEN 1.0 ELSE 0.0 END) AS just_under_share
                  FROM internal GROUP BY cluster_id),
            mm AS (SELECT cluster_id, count(*) AS size, count(DISTINCT holder_id) AS holders,
                          median(median_dwell_minutes) AS median_dwell_minutes,
                          {exact_sum("money_in * pass_through_ratio", scale=6)}
                              / nullif({exact_sum("money_in")}, 0) AS pass_through_ratio,
                          avg(CASE WHEN opened_at >= $as_of - INTERVAL 365 DAY THEN 1.0 ELSE 0.0 END) AS young_share,
                          count(*) FILTER (WHERE role = 'collector') AS collectors,
                          count(*) FILTER (WHERE role = 'cashout') AS cashouts,
                          avg(CASE WHEN account_type IN ('personal') OR account_type IS NULL THEN 1.0 ELSE 0.0 END)
                              AS personal_share
                   FROM {members_view} GROUP BY cluster_id),
            linked AS (  -- reports naming a member as the fraud account, or a sender into the cluster as victim
                SELECT m.cluster_id, rp.report_id, rp.fraud_phone
                FROM {members_view} m JOIN reports rp ON rp.fraud_account = m.account
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
                   coalesce(x.onward_out, 0) AS onward_out,
                   coalesce(x.cash_out_points, 0) AS cash_out_points,
                   coalesce(i.internal_flow, 0) AS internal_flow, coalesce(i.internal_txns, 0) AS internal_txns,
                   coalesce(i.just_under_share, 0) AS just_under_share,
                   mm.median_dwell_minutes, mm.pass_through_ratio, mm.young_share, mm.personal_share,
                   coalesce(r.reports, 0) AS reports, coalesce(r.fraud_phones, '') AS fraud_phones,
                   e.first_seen, x.last_seen
            FROM mm LEFT JOIN e USING (cluster_id) LEFT JOIN x USING (cluster_id)
            LEFT JOIN i USING (cluster_id) LEFT JOIN r USING (cluster_id)
            ORDER BY mm.cluster_id
            """


def cluster_transfers(transfers: str, members: str) -> str:
    """Every transfer of ``transfers`` into or out of a member of ``members`` (cluster_id, account), one
    row per member and transfer, with its direction and whether the counterparty is in the same cluster."""
    tx, tm = quote_ident(transfers), quote_ident(members)
    return f"""
            WITH moves AS (
                SELECT m.cluster_id, m.account, t.ts, 'in' AS direction, t.amount, t.src AS counterparty, t.channel
                FROM {tm} m JOIN {tx} t ON t.dst = m.account
                UNION ALL
                SELECT m.cluster_id, m.account, t.ts, 'out' AS direction, t.amount, t.dst AS counterparty, t.channel
                FROM {tm} m JOIN {tx} t ON t.src = m.account
            )
            SELECT mv.cluster_id, mv.account, mv.ts, mv.direction, mv.amount, mv.counterparty,
                   c.account IS NOT NULL AS internal, mv.channel
            FROM moves mv LEFT JOIN {tm} c ON c.account = mv.counterparty AND c.cluster_id = mv.cluster_id
            ORDER BY mv.cluster_id, mv.account, mv.ts, mv.direction, mv.counterparty
            """


def cluster_flow_edges(transfers: str, members: str) -> str:
    """Every transfer of ``transfers`` touching a member of ``members`` (cluster_id, account), summed per
    (cluster, src, dst) and tagged entry, internal or exit."""
    tx, fm = quote_ident(transfers), quote_ident(members)
    return f"""
            SELECT coalesce(s.cluster_id, d.cluster_id) AS cluster_id, t.src, t.dst,
                   CASE WHEN s.account IS NULL THEN 'entry' WHEN d.account IS NULL THEN 'exit' ELSE 'internal' END
                       AS flow,
                   arg_max(t.channel, (t.amount, t.channel)) AS channel, {exact_sum("t.amount")} AS amount,
                   count(*) AS n_txns,
                   min(t.ts) AS first_ts, max(t.ts) AS last_ts
            FROM {tx} t
            LEFT JOIN {fm} s ON s.account = t.src
            LEFT JOIN {fm} d ON d.account = t.dst AND (s.cluster_id IS NULL OR d.cluster_id = s.cluster_id)
            WHERE s.account IS NOT NULL OR d.account IS NOT NULL
            GROUP BY ALL
            ORDER BY cluster_id, flow, src, dst
            """


# --- evaluation against ground truth (fraudkit.scan.evaluate) --------------------------------


def accounts_of_transfers(txn_ids: str) -> str:
    """The accounts, sender or receiver, of the transfers whose ids are in ``txn_ids`` (txn_id) and whose
    time is in ``[?, ?)``."""
    return f"""
            SELECT DISTINCT unnest([src_account, dst_account]) AS account_id FROM transactions
            WHERE txn_id IN (SELECT txn_id FROM {quote_ident(txn_ids)}) AND ts >= ? AND ts < ?
            """


# --- the scan tables (fraudkit.scan.outputs) -------------------------------------------------

FLAGGED = "SELECT cluster_id FROM scan_clusters WHERE as_of = $at AND flagged"
"""The clusters one saved scan (``$at``) flagged: only these are water houses to act on or cite; an
unflagged candidate (a busy shop that forwards its takings fast) is neither."""


def create_like(table: str, source: str) -> str:
    """Create ``table`` with ``source``'s columns and no rows, unless it exists."""
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} AS SELECT * FROM {quote_ident(source)} LIMIT 0"


def add_cluster_label(table: str) -> str:
    """Add the masked cluster id column to ``table``, unless it has it."""
    return f"ALTER TABLE {quote_ident(table)} ADD COLUMN IF NOT EXISTS cluster_label VARCHAR"


def describe(table: str) -> str:
    """One row per column of ``table``: name, type, ..."""
    return f"DESCRIBE {quote_ident(table)}"


def add_column(table: str, column: str, column_type: str) -> str:
    """Add ``column`` of ``column_type`` (a type name as :func:`describe` gives it, not user text) to ``table``."""
    return f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(column)} {column_type}"


def delete_run(table: str) -> str:
    """Delete the rows of one run (``?``) from ``table``."""
    return f"DELETE FROM {quote_ident(table)} WHERE run_id = ?"


def unlabelled_rows(table: str) -> str:
    """The rows of ``table`` saved before scans were pseudonymised (no ``cluster_label``)."""
    return f"SELECT * FROM {quote_ident(table)} WHERE cluster_label IS NULL"


def delete_unlabelled(table: str) -> str:
    """Delete the rows of :func:`unlabelled_rows` from ``table``."""
    return f"DELETE FROM {quote_ident(table)} WHERE cluster_label IS NULL"
