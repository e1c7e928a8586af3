"""Settings of the work-queue web server, built once by ``fraudkit serve`` (or a test) and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fraudkit.errors import ConfigError

DEFAULT_PAY_MINUTES = 45.0


@dataclass(frozen=True)
class WebSettings:
    """What the web app needs: the operational store and how the queue reads.

    ``pay_minutes`` is how long victims typically take to pay after the hooking call ends (a
    median of about 45 minutes in the cases behind the victim model): each alert's countdown runs
    from its ``contact_end`` to that point, so the team sees whose time is running out."""

    ops_url: str
    pay_minutes: float = DEFAULT_PAY_MINUTES
    session_hours: float = 12.0
    queue_limit: int = 50
    refresh_seconds: int = 30
    secure_cookie: bool = False
    clock: Callable[[], datetime] = field(default=datetime.now)

    def __post_init__(self) -> None:
        if not 0 < self.pay_minutes <= 24 * 60:
            raise ConfigError(f"pay minutes must be between 0 and 1440, got {self.pay_minutes}")
        if not 0 < self.session_hours <= 24 * 7:
            raise ConfigError(f"session hours must be between 0 and 168, got {self.session_hours}")
        if not 1 <= self.queue_limit <= 10_000:
            raise ConfigError(f"queue limit must be between 1 and 10000, got {self.queue_limit}")
