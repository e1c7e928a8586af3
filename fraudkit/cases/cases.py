"""Cases in the operational store: one per ring, its status, and every change as a ``case_events`` row.

Each change is one short transaction that writes first (see :mod:`fraudkit.ops.queue`) and writes
its event row in the same transaction, so the history never misses a change nor shows one that did
not happen. A case is named by its id (``C000001``) or by its ring's (``R000001``): there is at
most one case per ring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from fraudkit.errors import ConfigError, FraudkitError
from fraudkit.ops.queue import writing
from fraudkit.ops.schema import CASE_STATUSES, case_events, cases, ring_members, rings

if TYPE_CHECKING:
    import polars as pl

MAX_NOTE = 2000
"""Longest note kept (stripped): a case file is for findings, not for pasted documents."""
MAX_BY = 64
VERDICTS = {"confirmed": 1, "false_positive": 0}
"""Case statuses that label a ring's members: 1 mule, 0 not a mule."""
_ID_TRIES = 50
"""Tries at the next case id: each lost try means another opener took that id, so this bounds how
many cases may be opened at the very same moment, not how long one waits."""


class CaseError(FraudkitError):
    """A case change the store's state does not allow: no such ring or case, a second case for a ring."""


@dataclass(frozen=True)
class CaseEvent:
    """One change to a case: who, when, what, the status after it, the note given."""

    event_id: int
    at: datetime
    by: str
    action: str
    status: str | None
    note: str | None


@dataclass(frozen=True)
class Case:
    """A case as listed; ``events`` is filled by :func:`get_case` only (oldest first)."""

    case_id: str
    ring_id: str
    status: str
    opened_by: str
    opened_at: datetime
    updated_by: str
    updated_at: datetime
    events: tuple[CaseEvent, ...] = ()


def open_case(engine: Engine, ring_id: str, by: str, note: str | None = None, now: datetime | None = None) -> str:
    """Open the case of a tracked ring; returns its id (``C000001``, ... in order of opening).

    A ring that is not tracked, or already has a case, is refused: the existing case is named, so
    the investigator goes on with it instead."""
    who, text, when = _check_by(by), _check_note(note), _when(now)
    for _ in range(_ID_TRIES):
        try:
            with writing(engine) as conn:
                case_id = _next_case_id(conn)
                conn.execute(
                    insert(cases).values(
                        case_id=case_id,
                        ring_id=ring_id,
                        status="open",
                        opened_by=who,
                        opened_at=when,
                        updated_by=who,
                        updated_at=when,
                    )
                )
                conn.execute(_event(case_id, when, who, "opened", "open", text))
            return case_id
        except (IntegrityError, OperationalError):
            _refuse_open(engine, ring_id)  # an unknown ring, or one with a case: say which
            # else another process took the same id (or SQLite's write lock) first: try the next one
    raise CaseError(f"could not open a case for ring {ring_id}: the store stayed busy", hint="try again")


def mark_case(
    engine: Engine, case_or_ring: str, status: str, by: str, note: str | None = None, now: datetime | None = None
) -> Case:
    """Set a case's status (``CASE_STATUSES``: a verdict, closed, or open again); the case after it."""
    if status not in CASE_STATUSES:
        raise ConfigError(f"unknown case status {status!r}", hint="one of " + ", ".join(CASE_STATUSES))
    who, text, when = _check_by(by), _check_note(note), _when(now)
    move = (
        update(cases)
        .where(_named(case_or_ring), cases.c.status != status)
        .values(status=status, updated_by=who, updated_at=when)
        .returning(cases.c.case_id)
    )
    with writing(engine) as conn:
        case_id = conn.execute(move).scalar()
        if case_id is not None:
            conn.execute(_event(case_id, when, who, "status", status, text))
    if case_id is None:
        found = get_case(engine, case_or_ring)  # raises for an unknown case
        raise CaseError(f"case {found.case_id} is {found.status} already")
    return get_case(engine, case_id)


def add_note(engine: Engine, case_or_ring: str, note: str, by: str, now: datetime | None = None) -> Case:
    """Add a note to a case's history (its status stays); the case after it."""
    text = _check_note(note)
    if text is None:
        raise ConfigError("the note is empty", hint="write what was found")
    who, when = _check_by(by), _when(now)
    touch = (
        update(cases)
        .where(_named(case_or_ring))
        .values(updated_by=who, updated_at=when)
        .returning(cases.c.case_id, cases.c.status)
    )
    with writing(engine) as conn:
        row = conn.execute(touch).first()
        if row is not None:
            conn.execute(_event(row.case_id, when, who, "note", row.status, text))
    if row is None:
        raise _no_case(case_or_ring)
    return get_case(engine, row.case_id)


def get_case(engine: Engine, case_or_ring: str) -> Case:
    """One case by its id or its ring's, with its history oldest first."""
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(_named(case_or_ring))).mappings().first()
        if row is None:
            raise _no_case(case_or_ring)
        history = conn.execute(
            select(case_events).where(case_events.c.case_id == row["case_id"]).order_by(case_events.c.event_id)
        ).mappings()
        events = tuple(CaseEvent(**{k: e[k] for k in CaseEvent.__dataclass_fields__}) for e in history)
    return Case(**dict(row), events=events)


def list_cases(engine: Engine, status: str | None = None) -> list[Case]:
    """Cases, most recently changed first; only those of ``status`` when given."""
    query = select(cases).order_by(cases.c.updated_at.desc(), cases.c.case_id.desc())
    if status is not None:
        if status not in CASE_STATUSES:
            raise ConfigError(f"unknown case status {status!r}", hint="one of " + ", ".join(CASE_STATUSES))
        query = query.where(cases.c.status == status)
    with engine.connect() as conn:
        return [Case(**dict(row)) for row in conn.execute(query).mappings()]


def case_statuses(engine: Engine) -> dict[str, tuple[str, str]]:
    """Each ring with a case: its case id and status (for ring lists)."""
    with engine.connect() as conn:
        return {r: (c, s) for r, c, s in conn.execute(select(cases.c.ring_id, cases.c.case_id, cases.c.status))}


def case_labels(engine: Engine) -> pl.DataFrame:
    """Every account ever a member of a ring with a verdict (``account`` pseudonym, ``ring_id``,
    ``label``): 1 for a confirmed ring, 0 for a false positive. Open and closed cases say nothing."""
    import polars as pl

    label = sql_case(*((cases.c.status == s, v) for s, v in VERDICTS.items()))
    query = (
        select(ring_members.c.account, cases.c.ring_id, label.label("label"))
        .distinct()
        .join(ring_members, ring_members.c.ring_id == cases.c.ring_id)
        .where(cases.c.status.in_(list(VERDICTS)))
        .order_by(cases.c.ring_id, ring_members.c.account)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    schema = {"account": pl.String, "ring_id": pl.String, "label": pl.Int8}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _named(case_or_ring: str) -> Any:
    """A case by its own id or by its ring's (ids are opaque and distinct: C... and R...)."""
    return or_(cases.c.case_id == case_or_ring, cases.c.ring_id == case_or_ring)


def _next_case_id(conn: Connection) -> str:
    """The id after the highest so far (cases are never deleted, so ids run without gaps)."""
    highest = conn.execute(select(func.count()).select_from(cases)).scalar_one()
    return f"C{highest + 1:06d}"


def _event(case_id: str, at: datetime, by: str, action: str, status: str | None, note: str | None) -> Any:
    return insert(case_events).values(case_id=case_id, at=at, by=by, action=action, status=status, note=note)


def _refuse_open(engine: Engine, ring_id: str) -> None:
    """Raise why a ring cannot have a case opened, if that is the reason the insert failed."""
    with engine.connect() as conn:
        known = conn.execute(select(rings.c.ring_id).where(rings.c.ring_id == ring_id)).scalar()
        existing = conn.execute(select(cases.c.case_id, cases.c.status).where(cases.c.ring_id == ring_id)).first()
    if known is None:
        raise CaseError(f"no ring {ring_id!r}", hint="see `fraudkit rings` for the tracked rings")
    if existing is not None:
        raise CaseError(
            f"ring {ring_id} has a case already: {existing.case_id} ({existing.status})",
            hint=f"go on with it: `fraudkit case show {existing.case_id}`",
        )


def _no_case(case_or_ring: str) -> CaseError:
    return CaseError(
        f"no case {case_or_ring!r}", hint="see `fraudkit case list`; open one with `fraudkit case open RING`"
    )


def _check_by(by: str) -> str:
    """Who acts: a name on one line, at most 64 characters (an operator or an OS account)."""
    name = (by or "").strip()
    if not name or len(name) > MAX_BY or any(ch < " " or ch == "\x7f" for ch in name):
        raise ConfigError(f"who acts must be a name of 1 to {MAX_BY} characters on one line", hint="--by NAME")
    return name


def _check_note(note: str | None) -> str | None:
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise ConfigError(
            f"note longer than {MAX_NOTE} characters", hint="keep the finding, attach documents elsewhere"
        )
    return text


def _when(now: datetime | None) -> datetime:
    return (now or datetime.now()).replace(microsecond=0)
