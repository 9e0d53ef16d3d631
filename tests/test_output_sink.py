"""Report files are written atomically on both backends."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from scanner.output.sink import atomic_file, open_sink


@pytest.mark.anyio
async def test_report_appears_whole_after_the_block(tmp_path: Path) -> None:
    target = tmp_path / "report.jsonl"
    async with open_sink(target) as sink:
        for i in range(50_000):  # crosses the internal flush threshold several times
            await sink.write(f'{{"n":{i}}}\n')
        assert not target.exists()
    lines = target.read_text().splitlines()
    assert len(lines) == 50_000 and lines[-1] == '{"n":49999}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.jsonl"]


@pytest.mark.anyio
async def test_error_inside_leaves_old_report_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        async with atomic_file(target) as sink:
            await sink.write("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.anyio
async def test_cancel_inside_leaves_no_report(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    with anyio.move_on_after(0.05):
        async with atomic_file(target) as sink:
            await sink.write("a,b\r\n")
            await anyio.sleep(10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.anyio
async def test_undecodable_names_are_written_exactly(tmp_path: Path) -> None:
    import os

    target = tmp_path / "names.txt"
    async with open_sink(target) as sink:
        await sink.write(os.fsdecode(b"bad\xff") + "\n")
    assert target.read_bytes() == b"bad\xff\n"
