"""What a page shows of an alert: masked numbers, reasons with numbers masked, times, countdown.

Alert times are naive wall-clock times in the store's zone; a deadline leaves here as epoch
milliseconds too, so the page's script counts down from an instant and never reads a time in the
browser's zone (or the server's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fraudkit.exposure import mask_id, mask_text
from fraudkit.text import format_probability

TIER_LABELS = {"red": "red", "orange": "orange", "yellow": "yellow"}
CHANNEL_LABELS = {"call_now": "call now", "call_queue": "call queue", "sms": "SMS list", "bank": "bank"}


def shown(alert: dict[str, Any], *, now: datetime, zone: str, pay_minutes: float) -> dict[str, Any]:
    """One alert as a page shows it: never a full number (the reveal is added by the page that made it).
    ``now`` and the alert's times are naive times in the store's ``zone``."""
    deadline = alert["contact_end"] + timedelta(minutes=pay_minutes)
    return {
        "alert_id": alert["alert_id"],
        "tier": TIER_LABELS.get(alert["tier"], "other"),
        "channel": CHANNEL_LABELS.get(alert["channel"], alert["channel"]),
        "urgent": bool(alert["urgent"]),
        "urgent_reason": mask_text(alert.get("urgent_reason")),
        "phone": mask_id(alert["phone"]),
        "score": format_probability(alert["score"]),
        "reasons": [mask_text(r) for r in (alert["reason_1"], alert["reason_2"], alert["reason_3"]) if r],
        "suspect": mask_id(alert["suspect_number"]) or "",
        "account_paid": mask_id(alert.get("account_paid")) or "",
        "amount_paid": alert.get("amount_paid"),
        "contact_start": when(alert["contact_start"], now),
        "contact_end": when(alert["contact_end"], now),
        "created_at": when(alert["created_at"], now),
        "deadline_ms": epoch_ms(deadline, zone),
        "deadline": f"{deadline:%Y-%m-%d %H:%M} {zone}",
        "countdown": countdown(deadline, now),
        "late": deadline <= now,
        "status": alert["status"],
        "claimed_by": alert.get("claimed_by"),
    }


def epoch_ms(moment: datetime, zone: str) -> int:
    """A naive time in ``zone`` as milliseconds since the epoch (an instant, the same everywhere)."""
    return round(moment.replace(tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def utc(moment: datetime, zone: str) -> datetime:
    """A naive time in ``zone`` as a naive UTC time (for windows that must not jump at DST)."""
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def from_utc(moment: datetime, zone: str) -> datetime:
    """A naive UTC time as a naive time in ``zone``, the way pages show times."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def when(moment: datetime | None, now: datetime) -> str:
    """A time as the team reads it: HH:MM today, else with the date."""
    if moment is None:
        return ""
    return f"{moment:%H:%M}" if moment.date() == now.date() else f"{moment:%Y-%m-%d %H:%M}"


def countdown(deadline: datetime, now: datetime) -> str:
    """Minutes left before such victims typically pay, or how long past that point it is."""
    minutes = int((deadline - now).total_seconds() // 60)
    if minutes >= 0:
        return f"{minutes} min left" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min left"
    late = -minutes
    return f"{late} min past" if late < 120 else f"{late // 60} h past"
