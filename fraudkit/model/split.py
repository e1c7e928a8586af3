"""The temporal split: whole days, training on earlier ones, validating and testing on later ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fraudkit.errors import NotReadyError
from fraudkit.model.params import SplitParams
from fraudkit.text import plural

PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class DaySplit:
    """Days of each part, in order; every training day is before every validation day, and so on."""

    train: tuple[date, ...]
    val: tuple[date, ...]
    test: tuple[date, ...]

    def part_of(self, day: date) -> str | None:
        """'train', 'val', 'test', or None for a day outside the split."""
        for name in PARTS:
            if day in getattr(self, name):
                return name
        return None

    def describe(self) -> dict[str, str]:
        """First and last day of each part, for logs and MLflow params."""
        out = {}
        for name in PARTS:
            days = getattr(self, name)
            out[f"{name}_days"] = f"{days[0].isoformat()}..{days[-1].isoformat()} ({len(days)})"
        return out

    @property
    def all_days(self) -> tuple[date, ...]:
        return self.train + self.val + self.test


def split_days(days: list[date], params: SplitParams) -> DaySplit:
    """Cut consecutive usable days into train / validation / test by the shares in ``params``.

    Each part gets at least one day; fewer than three usable days is an error saying why.
    """
    days = sorted(set(days))
    n = len(days)
    if n < 3:
        raise NotReadyError(
            f"only {plural(n, 'usable day')} of data after the burn-in and label maturity; need at least 3",
            hint="load more days, or pass a later --as-of",
        )
    n_test = max(1, round(n * params.test_share))
    n_val = max(1, round(n * params.val_share))
    n_train = n - n_test - n_val
    if n_train < 1:
        n_train, n_val, n_test = n - 2, 1, 1
    return DaySplit(
        train=tuple(days[:n_train]), val=tuple(days[n_train : n_train + n_val]), test=tuple(days[n_train + n_val :])
    )
