"""The drop folder: where operators' and banks' files land, by kind, for the daily batch and the live loop.

Every file of a drop is accounted for, one of four ways:

- **loaded**: its kind is named by its first sub-folder (``calls/``, ``transactions/``,
  ``subscribers/``, ``accounts/``, ``reports/``, ``outcomes/``, ``regions/``) or by the start of its name
  (``calls_0931.csv``, ``transactions-2026-10-31.parquet``; the kind followed by a letter, as in
  ``callsheet.csv``, names no kind);
- **set aside**: a top-level ``truth/`` folder, the ground truth `fraudkit synth` writes beside a
  world, so that ``--drop demo/world`` loads the world and never its answers;
- **passed over**, not data yet: hidden files and names with any suffix but CSV or Parquet
  (``calls_0931.csv.part`` while it is copied, ``world.json``);
- **refused**: a CSV or Parquet file that names no kind stops the run, naming it, rather than
  being left behind unloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fraudkit.errors import ConfigError
from fraudkit.ingest.sources import data_file_name
from fraudkit.schema import TABLES
from fraudkit.text import join_words, noun, plural

INGEST_ORDER = ("regions", "subscribers", "accounts", "calls", "transactions", "reports", "outcomes")
"""Reference tables first, so that a day's events meet the accounts and phones they name; every
canonical table once (a file of a kind left out would be listed and never loaded)."""

GROUND_TRUTH_FOLDER = "truth"
"""The folder `fraudkit synth` keeps a world's answers in; never loaded from a drop."""

NAMED_AT_MOST = 5
"""How many refused files a message names before it says how many more there are."""


@dataclass
class DropListing:
    """Every file of a drop, by what happens to it: loaded by kind, set aside, passed over or unnamed."""

    drop: Path
    files: dict[str, list[Path]] = field(default_factory=dict)  # kind -> files, sorted
    ground_truth: list[Path] = field(default_factory=list)  # under truth/: a synthetic world's answers
    passed_over: list[Path] = field(default_factory=list)  # hidden or not CSV/Parquet: not data (yet)
    unnamed: list[Path] = field(default_factory=list)  # CSV/Parquet that names no kind

    @property
    def data_files(self) -> int:
        return sum(len(paths) for paths in self.files.values())

    def notes(self) -> list[str]:
        """What was not loaded and why, one phrase per group, file names relative to the drop."""
        said = []
        if self.ground_truth:
            said.append(
                f"set aside {GROUND_TRUTH_FOLDER}/ ({plural(len(self.ground_truth), 'file')}: a synthetic world's "
                "ground truth, never loaded)"
            )
        if self.passed_over:
            said.append(f"passed over {named(self.passed_over, self.drop)} (hidden or not CSV, gzipped CSV or Parquet)")
        return said


def named(paths: list[Path], root: Path) -> str:
    """'a.csv, x/b.csv and 3 more': the first few names relative to ``root``."""
    shown = [str(p.relative_to(root)) for p in paths[:NAMED_AT_MOST]]
    more = len(paths) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def list_drop(drop: Path) -> DropListing:
    """Sort every file under ``drop`` into loaded-by-kind, set aside, passed over or naming no kind."""
    listing = DropListing(drop=drop)
    for path in sorted(p for p in drop.rglob("*") if p.is_file()):
        relative = path.relative_to(drop)
        if len(relative.parts) > 1 and relative.parts[0].lower() == GROUND_TRUTH_FOLDER:
            listing.ground_truth.append(path)
        elif not data_file_name(path) or any(part.startswith(".") for part in relative.parts):
            listing.passed_over.append(path)
        elif (kind := kind_of(relative)) is None:
            listing.unnamed.append(path)
        else:
            listing.files.setdefault(kind, []).append(path)
    return listing


def check_drop(listing: DropListing, *, allow_empty: bool = False) -> DropListing:
    """Refuse a drop with a data file that names no kind, or (unless ``allow_empty``) with no data at all."""
    if listing.unnamed:
        raise ConfigError(
            f"{plural(len(listing.unnamed), 'file')} in drop {listing.drop} "
            f"{noun(len(listing.unnamed), 'names', 'name')} no kind: "
            f"{named(listing.unnamed, listing.drop)}",
            hint=f"put them in a folder named after their kind ({join_words(INGEST_ORDER)}) or start the name with it",
        )
    if not listing.files and not allow_empty:
        said = f"; {'; '.join(listing.notes())}" if listing.notes() else ""
        raise ConfigError(
            f"drop folder {listing.drop} holds no CSV or Parquet files to load{said}",
            hint="check the path and the transfer",
        )
    return listing


def drop_files(drop: Path, *, allow_empty: bool = False) -> dict[str, list[Path]]:
    """Files of the drop by kind (see the module docstring); a data file that names no kind is an
    error rather than silently left behind, and an empty drop is one too unless ``allow_empty``
    (the live loop, between deliveries)."""
    return check_drop(list_drop(drop), allow_empty=allow_empty).files


def kind_of(relative: Path) -> str | None:
    """The kind a file's place in the drop names (its first folder, else its name's start), or None."""
    parts = [p.lower() for p in relative.parts]
    if len(parts) > 1 and parts[0] in TABLES:
        return parts[0]
    name = parts[-1]
    for kind in sorted(TABLES, key=len, reverse=True):
        if name.startswith(kind) and (len(name) == len(kind) or not name[len(kind)].isalpha()):
            return kind
    return None
