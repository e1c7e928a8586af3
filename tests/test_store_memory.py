"""The store's memory: DuckDB's cap from the configuration, and frames whose identifiers are categories."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.store import DEFAULT_DUCKDB_MEMORY, categorised_frame, check_memory_size, connect, duckdb_memory, scalar

runner = CliRunner()


def _limit(con) -> str:
    return str(scalar(con, "SELECT current_setting('memory_limit')"))


def test_a_store_is_opened_with_the_memory_cap_not_most_of_the_machine(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("FRAUDKIT_DUCKDB_MEMORY", raising=False)
    assert duckdb_memory() == DEFAULT_DUCKDB_MEMORY
    con = connect(tmp_path / "s.duckdb")
    assert _limit(con).endswith(("953.6 MiB", "1.0 GiB", "1000.0 MiB"))  # DuckDB prints 1GB its own way
    con.close()
    monkeypatch.setenv("FRAUDKIT_DUCKDB_MEMORY", "256 mb")
    con = connect(tmp_path / "s.duckdb")
    assert "244.1 MiB" in _limit(con) or "256.0 MiB" in _limit(con)
    con.close()


@pytest.mark.parametrize("text", ["lots", "1 GB; DROP TABLE calls", "0GB", "-1GB", "12"])
def test_a_memory_size_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a memory size"):
        check_memory_size(text)


def test_a_bad_memory_size_is_one_line_naming_the_setting(tmp_path) -> None:
    result = runner.invoke(
        app,
        ["status", "--db", str(tmp_path / "s.duckdb")],
        env={"FRAUDKIT_DUCKDB_MEMORY": "plenty"},
    )
    assert result.exit_code == 2
    assert "duckdb_memory 'plenty' is not a memory size" in result.output
    assert "Traceback" not in result.output


def test_categorised_frame_keeps_values_and_types_and_reads_empty_results(tmp_path) -> None:
    con = connect(tmp_path / "s.duckdb")
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('13800000002', 'x', TIMESTAMP '2026-01-02 03:04:05', 1.5), "
        "('13800000001', NULL, TIMESTAMP '2026-01-01', 2.0), (NULL, 'x', NULL, NULL)) v(phone, other, ts, amount)"
    )
    got = categorised_frame(con, "SELECT * FROM t WHERE amount > $low OR amount IS NULL", {"low": 1.0}, ("phone",))
    assert got.schema["phone"] == pl.Categorical()
    assert got.schema["other"] == pl.String
    assert got["phone"].cast(pl.String).to_list() == ["13800000002", "13800000001", None]
    assert got["ts"].to_list()[0] == datetime(2026, 1, 2, 3, 4, 5)
    assert got.sort("phone")["phone"].cast(pl.String).to_list() == [None, "13800000001", "13800000002"]  # as text
    empty = categorised_frame(con, "SELECT * FROM t WHERE amount > $low", {"low": 99.0}, ("phone", "absent"))
    assert empty.height == 0 and empty.schema["phone"] == pl.Categorical() and "amount" in empty.columns
    con.close()


def test_categorised_frame_scratch_stays_beside_the_store_and_goes(tmp_path, monkeypatch) -> None:
    seen: list[str] = []
    real = pl.scan_parquet

    def spy(path, *args, **kwargs):
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pl, "scan_parquet", spy)
    con = connect(tmp_path / "s.duckdb")
    categorised_frame(con, "SELECT * FROM calls", None, ("caller",))
    con.close()
    assert seen and all(p.startswith(str(tmp_path / "s.duckdb.tmp")) for p in seen)  # rows in full: not in /tmp
    assert not (tmp_path / "s.duckdb.tmp").exists()  # made for the while, and gone
