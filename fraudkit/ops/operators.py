"""Named operator accounts of the work queue: create, disable, list, verify a password, and
refuse logins after repeated failures. Each has a role (``OPERATOR_ROLES``): the alert queue, the
rings and their cases, or both.

Passwords are stored only as argon2id hashes (argon2-cffi's defaults, the OWASP-recommended
choice); a disabled operator keeps their row, so outcomes and reveals still name who did them.
Failed logins are counted in the store (``login_failures``) per name typed and per client
address, so every server process over one store refuses alike and a restart forgets nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fraudkit.errors import ConfigError
from fraudkit.exposure import mask_text
from fraudkit.ops.queue import writing
from fraudkit.ops.schema import OPERATOR_ROLES, audit_log, login_failures, operators

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_DUMMY_HASH: list[str] = []  # one hash verified for unknown names, so a miss takes as long as a hit


@dataclass(frozen=True)
class LoginLimits:
    """How many failed logins within ``window`` lock a name, or a client address, out."""

    window: timedelta
    per_name: int
    per_client: int


@dataclass(frozen=True)
class Lockout:
    """Logins for ``scope`` ("name" or "client") are refused until ``until`` (naive UTC)."""

    scope: Literal["name", "client"]
    until: datetime


@dataclass(frozen=True)
class Operator:
    """An operator as listed (never with the hash)."""

    operator_id: str
    display_name: str | None
    active: bool
    created_at: datetime
    role: str = OPERATOR_ROLES[0]


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_name(name: str) -> str:
    """A login name: letters, digits, dot, dash, underscore, at most 64, starting with a letter or digit."""
    if not NAME_PATTERN.fullmatch(name or ""):
        raise ConfigError(
            f"operator name {name!r} is not valid", hint="letters, digits, '.', '-' or '_', at most 64 characters"
        )
    return name


def check_password(password: str) -> str:
    """At least 8 characters (and not absurdly long, since hashing reads it all)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConfigError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_role(role: str) -> str:
    """One of ``OPERATOR_ROLES``: what the operator works in the web server."""
    if role not in OPERATOR_ROLES:
        raise ConfigError(f"unknown operator role {role!r}", hint="one of " + ", ".join(OPERATOR_ROLES))
    return role


def create_operator(
    engine: Engine,
    name: str,
    password: str,
    *,
    display_name: str | None = None,
    role: str = OPERATOR_ROLES[0],
) -> Operator:
    """A new active operator; an existing name is a one-line error (disable, don't reuse)."""
    check_name(name)
    check_password(password)
    check_role(role)
    row = {
        "operator_id": name,
        "password_hash": _hasher().hash(password),
        "display_name": (display_name or "").strip() or None,
        "active": True,
        "created_at": datetime.now().replace(microsecond=0),
        "role": role,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(operators).values(**row))
    except IntegrityError:
        raise ConfigError(f"operator {name!r} exists already", hint="pick another name") from None
    return Operator(name, row["display_name"], True, row["created_at"], role)


def set_active(engine: Engine, name: str, active: bool) -> None:
    """Disable (or enable again) an operator: a disabled one can no longer log in, and their open
    sessions end at their next page."""
    with engine.begin() as conn:
        found = conn.execute(update(operators).where(operators.c.operator_id == name).values(active=active)).rowcount
    if not found:
        raise ConfigError(f"no operator {name!r}", hint="see `fraudkit operators list`")


def list_operators(engine: Engine) -> list[Operator]:
    """Every operator, by name."""
    columns = [
        operators.c.operator_id,
        operators.c.display_name,
        operators.c.active,
        operators.c.created_at,
        operators.c.role,
    ]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(operators.c.operator_id)).all()
    return [Operator(*row) for row in rows]


def active_count(engine: Engine) -> int:
    """How many operators can log in: ``serve`` refuses a non-loopback host when there are none."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(operators.c.active.is_(True))).scalar_one()


def is_active(engine: Engine, name: str) -> bool:
    """True for an existing, enabled operator (checked on every page, so disabling takes effect)."""
    with engine.connect() as conn:
        return bool(conn.execute(select(operators.c.active).where(operators.c.operator_id == name)).scalar())


def active_role(engine: Engine, name: str) -> str | None:
    """The role of an existing, enabled operator, else None (read on every page, so disabling and a
    changed role take effect at the next one)."""
    query = select(operators.c.role).where(operators.c.operator_id == name, operators.c.active.is_(True))
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def verify(engine: Engine, name: str, password: str) -> bool:
    """True when ``name`` is an active operator and ``password`` is theirs. Unknown names cost a
    hash check too, so timing does not tell which names exist; an outdated hash is upgraded."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    with engine.connect() as conn:
        row = conn.execute(
            select(operators.c.password_hash, operators.c.active).where(operators.c.operator_id == name)
        ).first()
    stored = row[0] if row is not None else _dummy_hash(hasher)
    try:
        hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return False
    if row is None or not row[1]:
        return False
    if hasher.check_needs_rehash(stored):
        with engine.begin() as conn:
            new_hash = hasher.hash(password)
            conn.execute(update(operators).where(operators.c.operator_id == name).values(password_hash=new_hash))
    return True


def _dummy_hash(hasher: Any) -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hasher.hash("not a password of anyone"))
    return _DUMMY_HASH[0]


def login_lockout(engine: Engine, name: str, client: str, *, now: datetime, limits: LoginLimits) -> Lockout | None:
    """The lockout a login for ``name`` from ``client`` meets at ``now`` (naive UTC), if any: it
    is read before the password is checked, so a locked-out caller costs no argon2 hash. A lockout
    lasts until enough failures age out of the window to bring the count under the limit."""
    found: list[Lockout] = []
    with engine.connect() as conn:
        for scope, subject, limit in (("name", _subject(name), limits.per_name), ("client", client, limits.per_client)):
            recent = (
                select(login_failures.c.failed_at)
                .where(
                    login_failures.c.scope == scope,
                    login_failures.c.subject == subject,
                    login_failures.c.failed_at > now - limits.window,
                )
                .order_by(login_failures.c.failed_at.desc())
                .limit(limit)
            )
            times = conn.execute(recent).scalars().all()
            if len(times) >= limit:
                found.append(Lockout(scope, times[-1] + limits.window))
    return max(found, key=lambda lockout: lockout.until, default=None)


def record_login_failure(
    engine: Engine, name: str, client: str, *, now: datetime, recorded_at: datetime, window: timedelta
) -> None:
    """Count a failed login against the name and the client (``now``, naive UTC) and audit it in
    ``audit_log`` (``recorded_at``, the store's zone, like the other audit rows); rows past the
    window are dropped here, so the table holds only what can still lock someone out. The
    password is never passed in; in the audit a long number in the name is masked (someone may
    type a phone number there), as everywhere else in fraudkit's logs."""
    rows = [
        {"scope": "name", "subject": _subject(name), "failed_at": now},
        {"scope": "client", "subject": client, "failed_at": now},
    ]
    audit = insert(audit_log).values(
        recorded_at=recorded_at,
        user_name=mask_text(_subject(name)),
        command="serve",
        what="login failed",
        row_count=0,
        details=f"client {client}",
    )
    with writing(engine) as conn:
        conn.execute(insert(login_failures), rows)
        conn.execute(audit)
        conn.execute(delete(login_failures).where(login_failures.c.failed_at <= now - window))


def clear_login_failures(engine: Engine, name: str) -> None:
    """A successful login clears its name's failures (not its address's: a caller could otherwise
    reset the address's count by logging into an account of their own)."""
    subject = _subject(name)
    with writing(engine) as conn:
        conn.execute(
            delete(login_failures).where(login_failures.c.scope == "name", login_failures.c.subject == subject)
        )


def _subject(name: str) -> str:
    """A name as counted: cut to the longest valid name, so any text typed fits the column."""
    return name[:64]
