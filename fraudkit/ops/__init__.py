"""Operational state of the warning team: alerts, claims, outcomes, operators, per-alert reveals.

DuckDB lets one process write at a time; the live loop writes alerts while operators claim and
close them from the work queue, so this state lives in a database made for concurrent writers
(SQLite in WAL mode by default, PostgreSQL for a deployment) behind SQLAlchemy Core.
"""
