"""How a scan's clusters are matched to known rings, and when a ring no scan sees goes dormant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from fraudkit.errors import ConfigError

Weighting = Literal["money", "members"]
WEIGHTINGS: tuple[str, ...] = ("money", "members")
JOIN_ON: tuple[str, ...] = ("holder", "phone", "victim")


@dataclass(frozen=True)
class RingParams:
    """``match``: what a shared member weighs — the money through it (``money``: a ring's collector
    outweighs a one-off helper) or one each (``members``). ``match_threshold``: a cluster continues a
    ring when the weight they share is at least this share of the smaller of the two (the overlap
    coefficient: a ring that recruits many keeps its id, as does a part that split off).
    ``join_on``: what makes flagged clusters of one scan one ring — ``holder``, one person holding
    accounts in both; ``phone``, accounts in both registered to one phone (a handler's); ``victim``,
    one sender paying into both (a victim told to pay several accounts of one water house). A water
    house the scan saw as two parts (say two parallel chains) keeps one id.
    ``leave_after``: a member a scan of its ring misses has left at once when its last transfer has slid
    out of the scan's window, and otherwise once the ring's scans have not seen it for this long (a
    scan that misses an account once, and the next finds it again, is not a leave and a join).
    ``dormant_after``: a ring no scan has flagged for this long is dormant (a later match reactivates it).
    """

    match: Weighting = "money"
    match_threshold: float = 0.3
    join_on: tuple[str, ...] = ("holder", "phone", "victim")
    leave_after: timedelta = timedelta(hours=36)
    dormant_after: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        if self.match not in WEIGHTINGS:
            raise ConfigError(f"rings match {self.match!r} is unknown", hint=f"choose {' or '.join(WEIGHTINGS)}")
        if not 0 < self.match_threshold <= 1:
            raise ConfigError(f"rings match_threshold must be in (0, 1], got {self.match_threshold}")
        unknown = sorted(set(self.join_on) - set(JOIN_ON))
        if unknown:
            raise ConfigError(
                f"rings join_on {', '.join(unknown)} is unknown", hint=f"choose from {', '.join(JOIN_ON)}"
            )
        if self.leave_after <= timedelta(0):
            raise ConfigError(f"rings leave_after must be positive, got {self.leave_after}")
        if self.dormant_after <= timedelta(0):
            raise ConfigError(f"rings dormant_after must be positive, got {self.dormant_after}")
