"""Named operator accounts of the work queue: create, disable, list, verify a password.

Passwords are stored only as argon2id hashes (argon2-cffi's defaults, the OWASP-recommended
choice); a disabled operator keeps their row, so outcomes and reveals still name who did them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fraudkit.errors import ConfigError
from fraudkit.ops.schema import operators

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_DUMMY_HASH: list[str] = []  # one hash verified for unknown names, so a miss takes as long as a hit


@dataclass(frozen=True)
class Operator:
    """An operator as listed (never with the hash)."""

    operator_id: str
    display_name: str | None
    active: bool
    created_at: datetime


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


def create_operator(engine: Engine, name: str, password: str, *, display_name: str | None = None) -> Operator:
    """A new active operator; an existing name is a one-line error (disable, don't reuse)."""
    check_name(name)
    check_password(password)
    row = {
        "operator_id": name,
        "password_hash": _hasher().hash(password),
        "display_name": (display_name or "").strip() or None,
        "active": True,
        "created_at": datetime.now().replace(microsecond=0),
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(operators).values(**row))
    except IntegrityError:
        raise ConfigError(f"operator {name!r} exists already", hint="pick another name") from None
    return Operator(name, row["display_name"], True, row["created_at"])


def set_active(engine: Engine, name: str, active: bool) -> None:
    """Disable (or enable again) an operator: a disabled one can no longer log in, and their open
    sessions end at their next page."""
    with engine.begin() as conn:
        found = conn.execute(update(operators).where(operators.c.operator_id == name).values(active=active)).rowcount
    if not found:
        raise ConfigError(f"no operator {name!r}", hint="see `fraudkit operators list`")


def list_operators(engine: Engine) -> list[Operator]:
    """Every operator, by name."""
    columns = [operators.c.operator_id, operators.c.display_name, operators.c.active, operators.c.created_at]
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
