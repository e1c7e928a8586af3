"""Signed session cookies: the operator's name and the login time, with an HMAC-SHA256 under a
key kept in the operational store (``web_secrets``), so every server over one store agrees and a
restart keeps people logged in. The cookie holds no password and no personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fraudkit.ops.schema import web_secrets

SECRET_NAME = "session"


def session_key(engine: Engine) -> bytes:
    """The signing key, made once per store (two servers starting together agree on the first)."""
    query = select(web_secrets.c.secret).where(web_secrets.c.name == SECRET_NAME)
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    if found is None:
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(web_secrets).values(
                        name=SECRET_NAME, secret=secrets.token_hex(32), created_at=datetime.now()
                    )
                )
        except IntegrityError:
            pass  # another process made it first
        with engine.connect() as conn:
            found = conn.execute(query).scalar_one()
    return bytes.fromhex(found)


def sign(key: bytes, operator_id: str, issued: float) -> str:
    """``name.issued.mac``, the name base64url-encoded so no separator can hide in it."""
    name = base64.urlsafe_b64encode(operator_id.encode()).decode().rstrip("=")
    body = f"{name}.{int(issued)}"
    return f"{body}.{_mac(key, body)}"


def unsign(key: bytes, cookie: str | None, now: float, max_age_s: float) -> str | None:
    """The operator a cookie names, if its MAC is ours and it is not older than ``max_age_s``."""
    if not cookie or cookie.count(".") != 2:
        return None
    name, issued, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(key, f"{name}.{issued}")):
        return None
    if not issued.isdigit() or not 0 <= now - int(issued) <= max_age_s:
        return None
    try:
        return base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
    except ValueError:
        return None


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
