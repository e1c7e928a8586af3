"""Settings of the work-queue web server, built once by ``fraudkit serve`` (or a test) and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fraudkit.errors import ConfigError
from fraudkit.settings import check_timezone, default_timezone

DEFAULT_PAY_MINUTES = 45.0


@dataclass(frozen=True)
class WebSettings:
    """What the web app needs: the operational store and how the queue reads.

    ``pay_minutes`` is how long victims typically take to pay after the hooking call ends (a
    median of about 45 minutes in the cases behind the victim model): each alert's countdown runs
    from its ``contact_end`` to that point, so the team sees whose time is running out.

    ``timezone`` is the DuckDB store's zone: the loop writes the alerts' times as naive wall-clock
    times in it, so "now" on a page is read in it too, whatever this machine's zone."""

    ops_url: str
    pay_minutes: float = DEFAULT_PAY_MINUTES
    session_hours: float = 12.0
    queue_limit: int = 50
    refresh_seconds: int = 30
    secure_cookie: bool = False
    timezone: str = field(default_factory=default_timezone)
    clock: Callable[[], datetime] | None = None
    """Now as a naive time in ``timezone`` (tests fix it); None: the wall clock read in that zone."""
    login_window_minutes: float = 15.0
    """Failed logins older than this no longer count (and a lockout ends when enough age out)."""
    login_failures_per_name: int = 5
    """Failures for one operator name within the window before its logins are refused (a success clears them)."""
    login_failures_per_client: int = 20
    """Failures from one address within the window before its logins are refused (a team behind one NAT shares it)."""

    def __post_init__(self) -> None:
        if not 0 < self.pay_minutes <= 24 * 60:
            raise ConfigError(f"pay minutes must be between 0 and 1440, got {self.pay_minutes}")
        if not 0 < self.session_hours <= 24 * 7:
            raise ConfigError(f"session hours must be between 0 and 168, got {self.session_hours}")
        if not 1 <= self.queue_limit <= 10_000:
            raise ConfigError(f"queue limit must be between 1 and 10000, got {self.queue_limit}")
        object.__setattr__(self, "timezone", check_timezone(self.timezone))
        if not 0 < self.login_window_minutes <= 24 * 60:
            raise ConfigError(f"login window minutes must be between 0 and 1440, got {self.login_window_minutes}")
        for name in ("login_failures_per_name", "login_failures_per_client"):
            if not 1 <= getattr(self, name) <= 10_000:
                raise ConfigError(f"{name.replace('_', ' ')} must be between 1 and 10000, got {getattr(self, name)}")

    def now(self) -> datetime:
        """Now as the store keeps times: a naive wall-clock time in the store's zone."""
        if self.clock is not None:
            return self.clock()
        return datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)

    @property
    def login_window(self) -> timedelta:
        return timedelta(minutes=self.login_window_minutes)
