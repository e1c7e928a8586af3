"""``fraudkit serve``: check the setup, then run the app under uvicorn (one process, a thread pool).

The pages read "now" in the DuckDB store's zone, the zone the loop writes the alerts' times in, so
the store's recorded zone is read once here: it is fixed when the store is created."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fraudkit.errors import ConfigError


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1); a name other than localhost
    may resolve anywhere, so it counts as not loopback."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, active_operators: int) -> None:
    """Logins are always required; listening beyond this machine with no one able to log in is
    refused outright, so a fresh deployment is never reachable with an empty account list."""
    if not is_loopback(host) and active_operators == 0:
        raise ConfigError(
            f"refusing to listen on {host}: no operator accounts exist",
            hint="add one with `fraudkit operators add NAME`, or serve on 127.0.0.1",
        )


def store_zone(db: Path) -> str | None:
    """The zone the DuckDB store at ``db`` keeps its times in, or None when there is no store there
    (the operational store may be served from another machine than the loop's)."""
    from fraudkit.store import open_store, store_timezone

    if not Path(db).exists():
        return None
    with open_store(db, read_only=True) as con:  # waits while the loop's tick holds the store
        return store_timezone(con)


def run_server(
    *,
    host: str,
    port: int,
    db: Path,
    ops_db: str | None,
    pay_minutes: float,
    echo: Callable[[str], Any] = print,
) -> None:
    """Open the operational store, check the host, build the app and serve until interrupted."""
    import uvicorn

    from fraudkit.ops.db import ops_engine, ops_url
    from fraudkit.ops.operators import active_count
    from fraudkit.settings import default_timezone
    from fraudkit.web.app import create_app
    from fraudkit.web.settings import WebSettings

    url = ops_url(db, ops_db)
    engine = ops_engine(url)
    active = active_count(engine)
    check_listen(host, active)
    engine.dispose()
    zone = store_zone(db)
    app = create_app(WebSettings(ops_url=url, pay_minutes=pay_minutes, timezone=zone or default_timezone()))
    shown = f"[{host}]" if ":" in host else host
    echo(f"work queue on http://{shown}:{port}/ over {app.state.engine.url!r} ({active} active operators)")
    if zone is None:
        echo(
            f"no store at {db}: times read as {app.state.settings.timezone} "
            "(pass the loop's --db, or set FRAUDKIT_TIMEZONE to the store's zone)"
        )
    else:
        echo(f"times in the store's zone, {zone}")
    if active == 0:
        echo("no operator accounts yet: add one with `fraudkit operators add NAME` to log in")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
