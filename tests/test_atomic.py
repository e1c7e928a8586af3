"""Outputs that survive a full disk: the previous file stays as it was, no temporary file is left,
and the user reads one line saying why."""

from __future__ import annotations

import errno
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from fraudkit.atomic import TEMP_SUFFIX, write_file, write_text
from fraudkit.errors import FraudkitError
from fraudkit.scan.outputs import write_parquet
from fraudkit.scan.scan import ScanResult
from fraudkit.warn.export import write_warning_list
from fraudkit.warn.listing import LIST_COLUMNS, Tiers, WarningList

OLD = b"the previous file, complete"


def full_disk(path: str | os.PathLike) -> None:
    """What a writer does when the disk fills: part of the file, then ENOSPC."""
    with open(path, "wb") as handle:
        handle.write(b"PAR1 half a file")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


def previous(path: Path) -> Path:
    path.write_bytes(OLD)
    return path


def warning_list(rows: int = 3) -> WarningList:
    frame = pl.DataFrame(
        {
            "rank": list(range(1, rows + 1)),
            "phone": [f"139{i * 7919 % 10**8:08d}" for i in range(rows)],
            "score": [0.9] * rows,
            "tier": ["red"] * rows,
            "reason_1": [f"long call from a new number, {i * 31 % 997} minutes" for i in range(rows)],
            "reason_2": [None] * rows,
            "reason_3": [None] * rows,
            "suspect_number": ["17012345678"] * rows,
            "account": [f"6222{i * 104729 % 10**15:015d}" for i in range(rows)],
            "cluster": [None] * rows,
            "contact_began": [datetime(2026, 10, 30, 9)] * rows,
            "contact_minutes": [12.5] * rows,
        },
        schema_overrides={"reason_2": pl.String, "reason_3": pl.String, "cluster": pl.String},
    ).select(LIST_COLUMNS)
    return WarningList(frame, datetime(2026, 10, 31), "1", rows, rows, 0, Tiers(red=0.8, orange=0.5))


def test_a_completed_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = previous(tmp_path / "report.html")
    write_text(target, "<html>new</html>")
    assert target.read_text() == "<html>new</html>"
    assert leftovers(tmp_path) == []


def test_a_full_disk_mid_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = previous(tmp_path / "clusters.parquet")
    with pytest.raises(FraudkitError) as caught:
        write_file(target, full_disk)
    assert caught.value.one_line() == f"disk full writing {target}; nothing was written there"
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_failure_that_is_not_the_disk_is_not_hidden(tmp_path: Path) -> None:
    def bug(path: Path) -> None:
        path.write_bytes(b"x")
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        write_file(tmp_path / "x.csv", bug)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_a_call_back_list_on_a_full_disk_keeps_the_previous_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    target = previous(tmp_path / f"callbacks{suffix}")
    monkeypatch.setattr(pl.DataFrame, "write_csv", lambda self, path: full_disk(path))
    monkeypatch.setattr(pl.DataFrame, "write_parquet", lambda self, path: full_disk(path))
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: full_disk(self))  # the XLSX, built in memory
    with pytest.raises(FraudkitError, match="disk full writing"):
        write_warning_list(warning_list(), target)
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_scan_files_on_a_full_disk_keep_the_previous_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = pl.DataFrame({"cluster_id": ["6222021234567890123"], "account": ["6222021234567890123"]})
    result = ScanResult("scan-x", datetime(2026, 10, 31), timedelta(days=7), empty, empty, empty, empty)
    first = write_parquet(result, tmp_path)
    kept = {name: path.read_bytes() for name, path in first.items()}
    calls = {"n": 0}
    real = pl.DataFrame.write_parquet

    def second_file_fills_the_disk(self: pl.DataFrame, path: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            full_disk(path)
        real(self, path)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", second_file_fills_the_disk)
    with pytest.raises(FraudkitError, match="disk full"):
        write_parquet(result, tmp_path)
    assert {name: path.read_bytes() for name, path in first.items()} == kept, "no file is half written"
    assert leftovers(tmp_path) == []


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 64 KB file system (tmpfs), where mounting is allowed (root on Linux); skipped elsewhere."""
    point = tmp_path / "tiny"
    point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_a_really_full_disk_keeps_the_previous_list(tiny_disk: Path, suffix: str) -> None:
    target = previous(tiny_disk / f"callbacks{suffix}")
    with pytest.raises(FraudkitError, match="disk full writing"):
        write_warning_list(warning_list(rows=20_000), target)
    assert target.read_bytes() == OLD
    assert leftovers(tiny_disk) == []
