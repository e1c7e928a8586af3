"""fraudkit.drop: every file of a drop is loaded by kind, set aside, passed over, or refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from fraudkit.drop import check_drop, drop_files, list_drop
from fraudkit.errors import ConfigError


def touch(path: Path, text: str = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_drop_files_by_folder_or_name_prefix(tmp_path: Path) -> None:
    touch(tmp_path / "calls" / "a.csv")
    touch(tmp_path / "transactions-2026-10-31.parquet")
    touch(tmp_path / "accounts.csv")
    touch(tmp_path / "reports.csv.gz")
    touch(tmp_path / "README.txt.bak", "not data")
    touch(tmp_path / "subscribers.json.gz", "not data either")
    found = drop_files(tmp_path)
    assert {kind: [p.name for p in files] for kind, files in found.items()} == {
        "calls": ["a.csv"],
        "transactions": ["transactions-2026-10-31.parquet"],
        "accounts": ["accounts.csv"],
        "reports": ["reports.csv.gz"],
    }


def test_a_synthetic_world_folder_loads_its_tables_and_sets_its_truth_aside(tmp_path: Path) -> None:
    """The layout `fraudkit synth --out demo/world` writes: tables at the top, answers in truth/, world.json."""
    for kind in ("calls", "transactions", "accounts", "subscribers", "reports"):
        touch(tmp_path / f"{kind}.parquet")
    truth = [touch(tmp_path / "truth" / f"{name}.parquet") for name in ("victims", "mules", "fraud_transactions")]
    touch(tmp_path / "truth" / "accounts_of_rings.parquet")  # would name a kind by its start: still truth
    touch(tmp_path / "world.json", "{}")
    listing = check_drop(list_drop(tmp_path))
    assert sorted(listing.files) == ["accounts", "calls", "reports", "subscribers", "transactions"]
    assert set(truth) <= set(listing.ground_truth) and len(listing.ground_truth) == 4
    assert [p.name for p in listing.passed_over] == ["world.json"]
    notes = " ".join(listing.notes())
    assert "set aside truth/ (4 files" in notes and "passed over world.json" in notes
    assert listing.data_files + len(listing.ground_truth) + len(listing.passed_over) == 10, "every file accounted for"


def test_files_that_name_no_kind_are_refused_by_name(tmp_path: Path) -> None:
    touch(tmp_path / "calls" / "ok.csv")
    touch(tmp_path / "callsheet.csv")  # "calls" followed by letters is not the calls kind
    touch(tmp_path / "extra" / "notes.parquet")
    with pytest.raises(ConfigError, match="name no kind") as caught:
        drop_files(tmp_path)
    line = caught.value.one_line()
    assert "2 files in drop" in line and "name no kind" in line
    assert "callsheet.csv" in line and "extra/notes.parquet" in line
    assert "\n" not in line


def test_many_unnamed_files_are_named_up_to_five_then_counted(tmp_path: Path) -> None:
    for i in range(8):
        touch(tmp_path / f"export_{i}.csv")
    with pytest.raises(ConfigError) as caught:
        drop_files(tmp_path)
    line = caught.value.one_line()
    assert "export_4.csv and 3 more" in line and "export_5.csv" not in line


def test_hidden_and_partial_files_are_passed_over_and_named(tmp_path: Path) -> None:
    touch(tmp_path / ".incoming" / "calls_0931.csv")  # a hidden folder the sender writes into first
    touch(tmp_path / "calls_0932.csv.part")
    touch(tmp_path / "calls_0930.csv")
    listing = check_drop(list_drop(tmp_path))
    assert [p.name for p in listing.files["calls"]] == ["calls_0930.csv"]
    assert {str(p.relative_to(tmp_path)) for p in listing.passed_over} == {
        ".incoming/calls_0931.csv",
        "calls_0932.csv.part",
    }


def test_a_drop_holding_only_ground_truth_says_so(tmp_path: Path) -> None:
    touch(tmp_path / "truth" / "victims.parquet")
    with pytest.raises(ConfigError, match="no CSV or Parquet files to load; set aside truth/"):
        drop_files(tmp_path)
    assert drop_files(tmp_path, allow_empty=True) == {}  # the live loop between deliveries


def test_every_kind_a_drop_names_is_one_the_batch_loads() -> None:
    """A file of a kind the load order left out would be listed and never loaded (regions, once)."""
    from fraudkit.drop import INGEST_ORDER
    from fraudkit.schema import TABLES

    assert sorted(INGEST_ORDER) == sorted(TABLES) and INGEST_ORDER[0] == "regions"
