"""The tables of the operational store, one definition for SQLite and PostgreSQL.

``alerts`` holds full phone numbers (an operator must be able to dial after an audited reveal),
so this store is as sensitive as the DuckDB store; every view of it masks unless revealed.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    literal_column,
)
from sqlalchemy.sql.elements import Grouping

metadata = MetaData()

ALERT_STATUSES = ("new", "claimed", "called", "closed")
"""new: waiting; claimed: an operator has it; called: outcome recorded, follow-up possible; closed: done."""
CHANNELS = ("call_now", "call_queue", "sms", "bank")
"""Where an alert is routed: red to an immediate call, orange to the call queue, yellow (or
overflow beyond the team's capacity) to the SMS list, urgent to the bank list."""
RESULTS = ("reached", "unreachable", "confirmed_victim", "false_alarm", "refused")
"""Call-back results, the same values as the canonical ``outcomes`` table."""

OPERATOR_ROLES = ("warning_operator", "investigator", "supervisor")
"""What an operator works in the web server: warning_operator the alert queue, investigator the rings
and their cases, supervisor both."""

operators = Table(
    "operators",
    metadata,
    Column("operator_id", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("display_name", String(128)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    # one of OPERATOR_ROLES; a store made before roles gets the column on open, everyone a warning operator
    Column("role", String(24), nullable=False, server_default=OPERATOR_ROLES[0]),
)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("contact_id", String(128), nullable=False),  # the scored contact; one alert per contact
    Column("created_at", DateTime, nullable=False),  # the tick at which the system could know
    Column("phone", String(32), nullable=False),  # the person to call (full: revealed per alert)
    Column("score", Float, nullable=False),
    Column("tier", String(8), nullable=False),  # red | orange | yellow
    Column("channel", String(16), nullable=False),  # one of CHANNELS
    Column("reason_1", Text),
    Column("reason_2", Text),
    Column("reason_3", Text),
    Column("suspect_number", String(32)),
    Column("account_paid", String(64)),
    Column("amount_paid", Float),
    Column("contact_start", DateTime, nullable=False),
    Column("contact_end", DateTime, nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("status", String(16), nullable=False, default="new"),
    Column("urgent", Boolean, nullable=False, default=False),
    Column("urgent_at", DateTime),
    Column("urgent_reason", Text),
    Column("claimed_by", String(64), ForeignKey("operators.operator_id")),
    Column("claimed_at", DateTime),
    Column("closed_at", DateTime),
    UniqueConstraint("contact_id", name="uq_alerts_contact"),
    Index("ix_alerts_queue", "status", "urgent", "score"),
    Index("ix_alerts_phone", "phone"),
)

alert_contacts = Table(
    "alert_contacts",
    metadata,
    # every scored contact that reached an alert: the first one made it, later ones of the same
    # person while it was open were merged into it (one alert per person on the queue)
    Column("contact_id", String(128), primary_key=True),
    Column("alert_id", String(40), ForeignKey("alerts.alert_id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),  # the tick that scored it
    Column("score", Float, nullable=False),
    Column("tier", String(8), nullable=False),
    Column("channel", String(16), nullable=False),  # where routing sent it at that tick
    Column("suspect_number", String(32)),
    Column("contact_start", DateTime, nullable=False),
    Column("contact_end", DateTime, nullable=False),
)

CHANNEL_RANK = {"call_now": 0, "call_queue": 1, "bank": 2, "sms": 3}
"""Call order within the urgent and non-urgent groups: red calls first, then the call queue;
bank alerts are urgent anyway and SMS-list alerts come last (called only when the team has time)."""

# Constants written into the SQL (not bound), so that the query's ORDER BY is the very expression
# of the index below and both SQLite and PostgreSQL read the queue's head off the index; in
# parentheses, which PostgreSQL requires of an expression in an index.
call_rank = Grouping(
    case(
        {literal_column(f"'{name}'"): literal_column(str(rank)) for name, rank in CHANNEL_RANK.items()},
        value=alerts.c.channel,
        else_=literal_column(str(len(CHANNEL_RANK))),
    )
)
CALL_ORDER = (alerts.c.urgent.desc(), call_rank, alerts.c.score.desc(), alerts.c.created_at, alerts.c.alert_id)
"""The order alerts are called in: urgent first, then channel, then score, then the oldest."""
Index("ix_alerts_call_order", alerts.c.status, *CALL_ORDER)

outcomes = Table(
    "alert_outcomes",
    metadata,
    Column("outcome_id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(40), ForeignKey("alerts.alert_id"), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("contacted_at", DateTime, nullable=False),
    Column("result", String(32), nullable=False),  # one of RESULTS
    Column("note", Text),
    Column("operator_id", String(64), ForeignKey("operators.operator_id"), nullable=False),
    Column("exported_at", DateTime),  # when copied into the DuckDB outcomes table (labels for train)
)

reveals = Table(
    "alert_reveals",
    metadata,
    Column("reveal_id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(40), ForeignKey("alerts.alert_id"), nullable=False),
    Column("operator_id", String(64), ForeignKey("operators.operator_id"), nullable=False),
    Column("revealed_at", DateTime, nullable=False),
    Column("what", String(64), nullable=False),  # e.g. "phone"
)

bank_requests = Table(
    "bank_requests",
    metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(40), ForeignKey("alerts.alert_id"), nullable=False),
    Column("account", String(64), nullable=False),  # the suspect account paid
    Column("amount", Float, nullable=False),
    Column("paid_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("alert_id", "account", "paid_at", name="uq_bank_request"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime, nullable=False),
    Column("user_name", String(64), nullable=False),  # the operator's login (the web server's OS account is one)
    Column("command", String(32), nullable=False),  # e.g. "serve"
    Column("what", String(64), nullable=False),  # e.g. "phone"
    Column("alert_id", String(40), ForeignKey("alerts.alert_id")),
    Column("row_count", Integer, nullable=False, default=1),
    Column("details", Text),
)
"""Reveals made by the work queue, in the shape of the DuckDB store's ``audit_log`` (who, what,
when): a reveal by an operator is audited here, in the store the operators write to, because the
DuckDB file has one writer at a time and the loop holds it."""

web_secrets = Table(
    "web_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
"""Keys of the work queue (the session cookie's signing key), kept with the state they protect so
every server process over one store signs alike and a restart keeps operators logged in."""

LOGIN_SCOPES = ("name", "client")
"""What a failed login counts against: the operator name typed, and the address it came from."""

login_failures = Table(
    "login_failures",
    metadata,
    Column("failure_id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),  # one of LOGIN_SCOPES
    Column("subject", String(128), nullable=False),  # the name typed (cut to 64) or the client's address
    Column("failed_at", DateTime, nullable=False),  # UTC, not the store's zone: a window must not jump at DST
    Index("ix_login_failures_subject", "scope", "subject", "failed_at"),
    Index("ix_login_failures_at", "failed_at"),
)
"""Recent failed logins of the work queue, one row per scope and failure, kept in the store so
every server process counts alike and a restart does not reset them (rows past the window go)."""

# --- rings over time and the cases investigators work (fraudkit.rings, fraudkit.cases) --------------
# Accounts here are the DuckDB store's keyed pseudonyms (``p:...``, as its scan tables keep them) with
# their masked label beside: this store is read by the web server, and a ring needs no full number
# to be worked; a case file reveals them from the DuckDB store, audited.

RING_STATUSES = ("active", "dormant", "merged")
"""active: seen by a recent scan; dormant: no scan has seen it for ``[rings] dormant_after``; merged:
its members went into another ring (``merged_into``), which carries on."""

rings = Table(
    "rings",
    metadata,
    Column("ring_id", String(16), primary_key=True),  # opaque: R000001, R000002, ... in order of first sight
    Column("first_seen", DateTime, nullable=False),  # as-of time of the first scan that flagged it
    Column("last_seen", DateTime, nullable=False),  # as-of time of the latest scan that flagged it
    Column("status", String(8), nullable=False),  # one of RING_STATUSES
    Column("merged_into", String(16)),
    Column("split_from", String(16)),  # the ring it split from when it first appeared, if any
    Column("typology", String(32)),  # the latest scan's guess
    Column("members_now", Integer, nullable=False),  # members of the latest snapshot
    Column("members_ever", Integer, nullable=False),
    Column("money_in", Float, nullable=False),  # to date: entry transfers into members, each counted once
    Column("cash_out", Float, nullable=False),  # to date: cash-out transfers out of members, each counted once
    Column("victims", Integer, nullable=False),  # to date: distinct accounts that paid in from outside
    Column("score", Float),  # the latest snapshot's scan score
    Column("updated_at", DateTime, nullable=False),  # as-of time of the scan that last changed the row
    Index("ix_rings_last_seen", "last_seen"),
)

ring_snapshots = Table(
    "ring_snapshots",
    metadata,
    # one row per ring and tracked scan that saw it: the ring's timeline
    Column("ring_id", String(16), ForeignKey("rings.ring_id"), primary_key=True),
    Column("run_id", String(64), primary_key=True),  # the scan's run id (scan tables of the DuckDB store)
    Column("as_of", DateTime, nullable=False),
    Column("window_hours", Integer, nullable=False),
    Column("cluster_label", String(64)),  # the masked cluster id the scan's report shows
    Column("size", Integer, nullable=False),
    Column("money_in", Float, nullable=False),  # in the scan's window
    Column("cash_out", Float, nullable=False),  # in the scan's window
    Column("new_money_in", Float, nullable=False),  # of it, transfers after the ring's previous snapshot
    Column("new_cash_out", Float, nullable=False),
    Column("victims", Integer, nullable=False),
    Column("score", Float),
    Column("typology", String(32)),
    Column("overlap", Float),  # the matching's money-weighted overlap with the ring before (null: new ring)
    Index("ix_ring_snapshots_as_of", "as_of"),
)

ring_members = Table(
    "ring_members",
    metadata,
    # one row per ring, snapshot and member account
    Column("ring_id", String(16), primary_key=True),
    Column("run_id", String(64), primary_key=True),
    Column("account", String(80), primary_key=True),  # pseudonym
    Column("label", String(64), nullable=False),  # masked account number
    Column("role", String(16)),  # collector | layer | cashout (the scan's)
    Column("money_in", Float, nullable=False),
    Column("money_out", Float, nullable=False),
    Column("holder", String(80)),  # pseudonym of the holder, when the store knows it
    Column("phone", String(80)),  # pseudonym of the phone registered with the account, when known
    Index("ix_ring_members_account", "account"),
)

ring_flows = Table(
    "ring_flows",
    metadata,
    # the money of one snapshot, summed per pair as the scan's flow table keeps it: the drawings
    Column("flow_row", Integer, primary_key=True, autoincrement=True),
    Column("ring_id", String(16), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("src", String(80)),  # pseudonym
    Column("dst", String(80)),  # pseudonym
    Column("src_label", String(64)),  # masked
    Column("dst_label", String(64)),  # masked
    Column("flow", String(16), nullable=False),  # entry | internal | exit
    Column("channel", String(32)),
    Column("amount", Float, nullable=False),
    Column("n_txns", Integer, nullable=False),
    Column("first_ts", DateTime),
    Column("last_ts", DateTime),
    Index("ix_ring_flows_snapshot", "ring_id", "run_id"),
)

RING_EVENTS = (
    "appeared",
    "joined",
    "found",
    "left",
    "lost",
    "cash_out_point",
    "fraud_number",
    "split_from",
    "split_into",
    "merged_from",
    "merged_into",
    "dormant",
    "reactivated",
)
"""What a ring's timeline records: it appeared (new ring), a member joined (recruited: its first transfer
came after the previous scan), was found (there already, missed before), left (its last transfer slid
out of the window) or was lost (unseen by the ring's scans for ``leave_after`` while its last transfer
is still in the window), a new cash-out point, a new fraud number feeding it (reported by its victims
or naming its accounts), lineage (ring B split from A: ``split_from`` on B, ``split_into`` on A; merges likewise), and
status changes."""

ring_events = Table(
    "ring_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("ring_id", String(16), nullable=False),
    Column("run_id", String(64), nullable=False),  # the scan that showed it
    Column("as_of", DateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # one of RING_EVENTS
    Column("account", String(80)),  # pseudonym of the member (joined, left) or cash-out point
    Column("label", String(64)),  # masked account
    Column("other_ring", String(16)),  # lineage: the ring split from / into, merged from / into
    Column("detail", Text),
    Index("ix_ring_events_ring", "ring_id", "as_of"),
    Index("ix_ring_events_as_of", "as_of"),
)

ring_tracked = Table(
    "ring_tracked",
    metadata,
    # every scan the tracking has taken in, in order: a scan already taken in changes nothing
    Column("run_id", String(64), primary_key=True),
    Column("as_of", DateTime, nullable=False),
    Column("window_hours", Integer, nullable=False),
    Column("clusters", Integer, nullable=False),  # flagged clusters it held
    Column("tracked_at", DateTime, nullable=False),
)

CASE_STATUSES = ("open", "confirmed", "false_positive", "closed")
"""open: being worked; confirmed: the ring is a water house (its members are mule labels);
false_positive: it is not (its members are negative labels); closed: done, no verdict."""

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(16), primary_key=True),  # C000001, ... in order of opening
    Column("ring_id", String(16), ForeignKey("rings.ring_id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # one of CASE_STATUSES
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

case_events = Table(
    "case_events",
    metadata,
    # every change to a case, who and when: opened, a status change, a note, an export
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(16), ForeignKey("cases.case_id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("by", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # opened | status | note | export
    Column("status", String(16)),  # the status after the action
    Column("note", Text),
    Index("ix_case_events_case", "case_id", "event_id"),
)
