"""The champion for a long-running loop: loaded once per process, reloaded only when it changes.

Loading a booster through MLflow costs seconds (imports, the tracking store, the artifact), so
the loop keeps the one it started with and asks the registry only which version the champion
alias points at (one query on a client kept open), at most every ``check_every`` seconds; a
promotion (``fraudkit models promote``) is picked up at the next check, without a restart.
A registry that cannot be reached keeps the model in hand: the loop must not stop for it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from fraudkit.model.registry import LoadedModel
from fraudkit.settings import Settings

log = logging.getLogger("fraudkit.watch")


@dataclass
class Champion:
    """The loaded champion of ``target`` and when the registry was last asked about it."""

    settings: Settings
    model: LoadedModel
    target: str = "victim"
    check_every: float = 60.0
    checked_at: float = field(default_factory=time.monotonic)
    client: Any = None

    @classmethod
    def load(cls, settings: Settings, target: str = "victim", check_every: float = 60.0) -> Champion:
        from fraudkit.model.registry import load_model

        return cls(settings, load_model(settings, target), target, check_every)

    def version(self) -> str | None:
        """The version the champion alias points at now (None: none, or the registry is unreachable)."""
        from fraudkit.model.registry import _champion_version, _client, model_name

        try:
            if self.client is None:
                self.client = _client(self.settings)
            return _champion_version(self.client, model_name(self.target))
        except Exception as exc:  # a registry down for a moment must not end the loop
            log.warning("champion check failed (%s): keeping version %s", type(exc).__name__, self.model.version)
            return None

    def current(self) -> tuple[LoadedModel, bool]:
        """The model to score with, and whether it was (re)loaded by this call."""
        now = time.monotonic()
        if now - self.checked_at < self.check_every:
            return self.model, False
        self.checked_at = now
        version = self.version()
        if version is None or version == self.model.version:
            return self.model, False
        from fraudkit.model.registry import load_model

        try:
            self.model = load_model(self.settings, self.target, version)
        except Exception as exc:  # the alias answered but the version cannot be loaded now: try at the next check
            log.warning(
                "loading champion version %s failed (%s): keeping version %s",
                version,
                type(exc).__name__,
                self.model.version,
            )
            return self.model, False
        log.info("champion is now version %s: reloaded", version)
        return self.model, True
