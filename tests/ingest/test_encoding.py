"""Byte-level pieces: chunked scanning and transcoding give the same answers as whole-file ones."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudkit.errors import InputFileError
from fraudkit.ingest.encoding import (
    LineCounter,
    blank_lines,
    line_of_offset,
    resolve_encoding,
    scan_file,
    transcode_to_utf8,
)

LINES = st.lists(st.sampled_from(["", "a,b", "\r", "x\r", "数据,1", "  "]), max_size=30)


def naive_blank_lines(data: bytes) -> list[int]:
    lines = data.split(b"\n")[:-1]  # the text after the last newline is not a finished line
    return [i for i, line in enumerate(lines, start=1) if line in (b"", b"\r")]


@settings(max_examples=60, deadline=None)
@given(lines=LINES, chunk=st.integers(min_value=1, max_value=7))
def test_blank_lines_found_across_any_chunk_boundary(lines: list[str], chunk: int) -> None:
    data = "\n".join([*lines, ""]).encode()
    counter = LineCounter()
    for i in range(0, len(data), chunk):
        counter.feed(data[i : i + chunk])
    assert counter.blank_lines == naive_blank_lines(data)
    assert counter.newlines == data.count(b"\n")


@settings(max_examples=30, deadline=None)
@given(text=st.text(max_size=200), chunk=st.integers(min_value=4096, max_value=4100))
def test_scan_hashes_and_validates_utf8_split_across_chunks(text: str, chunk: int) -> None:
    data = ("\u4e2d" * 1500 + text).encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        scan = scan_file(path, chunk)
    assert scan.sha256 == hashlib.sha256(data).hexdigest() and scan.size == len(data)
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert scan.utf8 == valid


def test_invalid_utf8_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n" + "三,4\n".encode("gbk") + b"5,6\n")
    scan = scan_file(path, 4096)
    assert not scan.utf8 and line_of_offset(path, scan.bad_utf8_offset or 0) == 3
    assert resolve_encoding(path, scan, None) == "gb18030"
    with pytest.raises(InputFileError) as info:
        resolve_encoding(path, scan, "utf-8")
    assert info.value.line == 3


def test_transcode_gbk_in_tiny_chunks(tmp_path: Path) -> None:
    text = "交易时间,金额\n" + "".join(f"二〇二四年{i},{i}\n" for i in range(200))
    src = tmp_path / "gbk.csv"
    src.write_bytes(text.encode("gb18030"))
    dest = tmp_path / "utf8.csv"
    with dest.open("wb") as out:
        transcode_to_utf8(src, "gb18030", out, chunk_bytes=5)  # splits multibyte characters
    assert dest.read_text(encoding="utf-8") == text
    assert blank_lines(dest, 7) == ()


def test_transcode_error_names_the_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes("a\n中\n".encode("gbk") + b"\xff\xff\n")
    with pytest.raises(InputFileError) as info:
        transcode_to_utf8(src, "gbk", io.BytesIO(), chunk_bytes=4096)
    assert info.value.line == 3 and "gb18030" in (info.value.hint or "")
