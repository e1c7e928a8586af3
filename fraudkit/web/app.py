"""The FastAPI app of the work queue: login, the queue, claim next, one alert (reveal, outcome, release),
and for investigators the rings and their cases (:mod:`fraudkit.web.ring_pages`).

Handlers are plain functions (FastAPI runs them in its thread pool) over :mod:`fraudkit.ops.queue`;
each makes one short transaction, so one server process serves a team. Pages are never cached
(``Cache-Control: no-store``): a revealed number must not stay in a browser's cache. Repeated
failed logins for a name or from an address are refused (429) before the password is checked.
An operator's role decides what they see: the alert queue (warning operators), the rings and cases
(investigators), or both (supervisors); any other page is refused (403), and its link not shown.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from fraudkit.cases import CaseError
from fraudkit.errors import ConfigError
from fraudkit.ops import operators, queue
from fraudkit.ops.db import ops_engine
from fraudkit.ops.schema import RESULTS
from fraudkit.web.display import epoch_ms, from_utc, shown, utc
from fraudkit.web.ring_pages import ring_router
from fraudkit.web.sessions import session_key, sign, unsign
from fraudkit.web.settings import WebSettings

HERE = Path(__file__).parent
COOKIE = "fraudkit_session"
RESULT_LABELS = {
    "reached": "reached",
    "unreachable": "unreachable",
    "confirmed_victim": "confirmed victim",
    "false_alarm": "false alarm",
    "refused": "refused",
}


Area = Literal["alerts", "rings"]
AREAS: dict[str, tuple[Area, ...]] = {
    "warning_operator": ("alerts",),
    "investigator": ("rings",),
    "supervisor": ("alerts", "rings"),
}
"""What each role (``fraudkit.ops.schema.OPERATOR_ROLES``) works: the alert queue, the rings, or both."""
HOMES: dict[Area, str] = {"alerts": "/", "rings": "/rings"}


class LoginRequired(Exception):
    """Raised by :func:`operator_of` on a request without a valid session: answered by a redirect."""


class NotYourArea(Exception):
    """Raised by :func:`operator_of` when the operator's role does not work the page's area: a 403."""

    def __init__(self, name: str, role: str, area: Area) -> None:
        super().__init__(f"{name} works {' and '.join(AREAS[role])}, not {area}")
        self.name, self.role, self.area = name, role, area


def create_app(settings: WebSettings) -> FastAPI:
    """The app over the store ``settings.ops_url`` (schema created if missing)."""
    engine = ops_engine(settings.ops_url)
    key = session_key(engine)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app = FastAPI(title="fraudkit work queue", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.engine = engine
    app.state.settings = settings
    limits = operators.LoginLimits(
        settings.login_window, settings.login_failures_per_name, settings.login_failures_per_client
    )

    def operator_of(request: Request, area: Area = "alerts") -> str:
        """The logged-in, still active operator whose role works ``area``; else LoginRequired, or
        NotYourArea. The role is read on every page, as the account's being active is."""
        name = unsign(key, request.cookies.get(COOKIE), time.time(), settings.session_hours * 3600)
        role = operators.active_role(engine, name) if name is not None else None
        if name is None or role is None:
            raise LoginRequired
        request.state.areas = AREAS.get(role, ())
        if area not in request.state.areas:
            raise NotYourArea(name, role, area)
        return name

    def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A template with the store's zone, the server's now (epoch ms, for the countdown script) and
        the areas the operator works (the header links only those)."""
        areas = getattr(request.state, "areas", ())
        context = {
            "zone": settings.timezone,
            "now_ms": epoch_ms(settings.now(), settings.timezone),
            "areas": areas,
            "home": HOMES[areas[0]] if areas else "/",
            **context,
        }
        response = templates.TemplateResponse(request, template, context, status_code=status_code)
        response.headers["Cache-Control"] = "no-store"
        return response

    def show(alert: dict[str, Any], now: datetime) -> dict[str, Any]:
        return shown(alert, now=now, zone=settings.timezone, pay_minutes=settings.pay_minutes)

    def alert_page(request: Request, name: str, alert_id: str, **extra: Any) -> HTMLResponse:
        alert = queue.get_alert(engine, alert_id)
        return page(
            request,
            "alert.html",
            operator=name,
            alert=show(alert, settings.now()),
            mine=alert["status"] == "claimed" and alert["claimed_by"] == name,
            results=[(r, RESULT_LABELS[r]) for r in RESULTS],
            reveals=queue.reveals_of(engine, alert_id),
            **extra,
        )

    @app.exception_handler(LoginRequired)
    def _to_login(request: Request, _exc: LoginRequired) -> Response:
        target = "/login" if request.url.path == "/" else "/login?next=" + quote(request.url.path)
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(NotYourArea)
    def _not_your_area(request: Request, exc: NotYourArea) -> Response:
        """A page of the other team's: refused, with a link to the operator's own."""
        return page(request, "message.html", 403, operator=exc.name, message=f"Not for your role: {exc}.")

    @app.exception_handler(queue.QueueError)
    @app.exception_handler(CaseError)
    @app.exception_handler(ConfigError)
    def _refused(request: Request, exc: queue.QueueError | CaseError | ConfigError) -> Response:
        """Someone else holds it, it is closed, it does not exist, a note is too long: say so, link back."""
        return page(request, "message.html", 409, operator=None, message=exc.one_line())

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "login.html", next=_safe_next(next), error=None)

    @app.post("/login", response_model=None)
    def login(
        request: Request,
        operator: Annotated[str, Form()],
        password: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        client = (request.client.host if request.client else "")[:128] or "unknown"
        now = settings.now()
        at = utc(now, settings.timezone)
        lockout = operators.login_lockout(engine, operator, client, now=at, limits=limits)
        if lockout is not None:
            wait_s = max(math.ceil((lockout.until - at).total_seconds()), 1)
            error = _lockout_message(lockout, operator, from_utc(lockout.until, settings.timezone), settings.timezone)
            response = page(request, "login.html", 429, next=_safe_next(next), error=error)
            response.headers["Retry-After"] = str(wait_s)
            return response
        if not operators.verify(engine, operator, password):
            operators.record_login_failure(
                engine, operator, client, now=at, recorded_at=now, window=settings.login_window
            )
            return page(request, "login.html", 401, next=_safe_next(next), error="wrong name or password")
        operators.clear_login_failures(engine, operator)
        areas = AREAS.get(operators.active_role(engine, operator) or "", ())
        target = _safe_next(next)
        if target == "/" and areas and "alerts" not in areas:
            target = HOMES[areas[0]]  # an investigator's start page is the ring list
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            sign(key, operator, time.time()),
            max_age=int(settings.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookie,
        )
        return response

    @app.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def queue_page(request: Request, empty: int = 0, recorded: str = "") -> HTMLResponse:
        name = operator_of(request)
        now = settings.now()
        waiting = queue.open_alerts(engine, limit=settings.queue_limit)
        held = queue.in_progress(engine)
        return page(
            request,
            "queue.html",
            operator=name,
            alerts=[show(a, now) for a in waiting],
            held=[show(a, now) for a in held],
            mine=[a["alert_id"] for a in held if a["claimed_by"] == name],
            counts=queue.queue_counts(engine),
            empty=bool(empty),
            recorded=recorded[:40],
            refresh=settings.refresh_seconds,
            pay_minutes=settings.pay_minutes,
        )

    @app.post("/claim")
    def claim(request: Request) -> Response:
        name = operator_of(request)
        alert_id = queue.claim_next(engine, name, now=settings.now())
        target = "/?empty=1" if alert_id is None else f"/alerts/{quote(alert_id)}"
        return RedirectResponse(target, status_code=303)

    @app.get("/alerts/{alert_id}", response_class=HTMLResponse)
    def alert_view(request: Request, alert_id: str) -> HTMLResponse:
        return alert_page(request, operator_of(request), alert_id, revealed=None)

    @app.post("/alerts/{alert_id}/reveal", response_class=HTMLResponse)
    def reveal(request: Request, alert_id: str) -> HTMLResponse:
        name = operator_of(request)
        phone = queue.reveal_phone(engine, alert_id, name, now=settings.now())
        return alert_page(request, name, alert_id, revealed=phone)

    @app.post("/alerts/{alert_id}/outcome")
    def outcome(
        request: Request,
        alert_id: str,
        result: Annotated[str, Form()],
        note: Annotated[str, Form()] = "",
    ) -> Response:
        name = operator_of(request)
        queue.record_outcome(engine, alert_id, name, result, note, now=settings.now())
        return RedirectResponse(f"/?recorded={quote(alert_id)}", status_code=303)

    @app.post("/alerts/{alert_id}/release")
    def release(request: Request, alert_id: str) -> Response:
        queue.release(engine, alert_id, operator_of(request))
        return RedirectResponse("/", status_code=303)

    app.include_router(ring_router(engine, page, operator_of, settings.now))
    return app


def _lockout_message(lockout: operators.Lockout, name: str, until: datetime, zone: str) -> str:
    """When to try again, in the store's zone; it names the operator typed, never the password."""
    who = f"for {name[:64]}" if lockout.scope == "name" else "from this address"
    return f"Too many failed logins {who}: try again after {until:%H:%M} ({zone})."


def _safe_next(target: str) -> str:
    """Only a path on this site (no ``//host`` or scheme), so the login cannot redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
