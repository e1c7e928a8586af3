"""A seeded fuzzer: a hundred and more hostile files (every name, newline and encoding mixed with
hostile rows), and for each one every data line is accounted for."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
from ingest_helpers import HEADERS

from fraudkit.ingest import ingest_paths
from fraudkit.store import ensure_schema

TS = "2024-03-01 10:00:00"
FILES = 120
NAMES = ["f{}.csv", "b[{}].csv", "g*{}.csv", "q?{}.csv", "x {}.csv"]


def _row(rng: random.Random, i: int, ids: list[str]) -> str:
    kind = rng.choice(["good"] * 5 + ["stray", "extra", "short", "bad_amount", "repeat", "conflict", "blank", "cr"])
    txn_id = rng.choice(ids) if kind in ("repeat", "conflict") and ids else f"T{i}"
    amount = "1.00" if kind == "conflict" else "10.00"
    line = f"{txn_id},{TS},6222{i:012d},6228000033334444,{amount},CNY,mobile,success"
    if kind == "repeat" and ids:
        return f"{txn_id},{TS},6222{int(txn_id[1:]):012d},6228000033334444,10.00,CNY,mobile,success"
    if kind == "stray":
        return line.replace(",6222", ',"6222', 1)  # a quote that never closes, followed by a digit
    if kind == "extra":
        return line + ",x"
    if kind == "short":
        return line.rsplit(",", 2)[0]
    if kind == "bad_amount":
        return line.replace(",10.00,", ",-1,")
    if kind == "blank":
        return ""
    if kind == "cr":
        return line.replace("mobile", "mob\rile")
    ids.append(txn_id)
    return line


def test_fuzzed_files_lose_no_line(tmp_path: Path) -> None:
    rng = random.Random(9)
    con = duckdb.connect()
    ensure_schema(con)
    for n in range(FILES):
        ids: list[str] = []
        rows = [_row(rng, i, ids) for i in range(rng.randint(0, 30))]
        newline = rng.choice(["\n", "\r\n", "\r", "mixed"])
        parts = [HEADERS["transactions"], *rows]
        if newline == "mixed":
            text = "".join(p + rng.choice(["\n", "\r\n"]) for p in parts)
        else:
            if newline == "\r":
                parts = [p.replace("\r", "") for p in parts]
            text = newline.join(parts) + rng.choice([newline, ""])
        encoding = rng.choice(["utf-8", "utf-8", "gbk"])
        path = tmp_path / rng.choice(NAMES).format(n)
        path.write_bytes(text.encode(encoding))
        data_lines = sum(1 for p in parts[1:] if p.replace("\r", ""))
        result = ingest_paths(con, path, "transactions", encoding=encoding).files[0]
        if result.skipped:  # the same bytes as an earlier file
            continue
        where = f"{path.name} ({newline!r}, {encoding}): {text!r}"
        assert result.lines == data_lines, where
        assert result.rows_read == data_lines, where
        assert result.rows_read == result.loaded + result.rejected + result.duplicates + result.updates, where
        logged = con.execute("SELECT rows_read FROM ingest_log WHERE file_sha256 = ?", [result.sha256]).fetchall()
        assert logged == [(result.rows_read,)] or result.skipped, where
        rejects = con.execute("SELECT count(*) FROM rejects WHERE file_sha256 = ?", [result.sha256]).fetchall()
        assert rejects == [(result.rejected,)], where
    con.close()
