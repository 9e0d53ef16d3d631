"""Report files are written atomically on both backends."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import anyio
import pytest

from scanner import exit_codes
from scanner.output.atomic import write_atomic
from scanner.output.sink import atomic_file, open_sink
from tests.cli_helpers import REPO, run_cli


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
    target = tmp_path / "names.txt"
    async with open_sink(target) as sink:
        await sink.write(os.fsdecode(b"bad\xff") + "\n")
    assert target.read_bytes() == b"bad\xff\n"


@pytest.mark.anyio
async def test_a_symlinked_report_replaces_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "today.jsonl"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    async with open_sink(link) as sink:
        await sink.write("new\n")
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == "new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["today.jsonl"]


@pytest.mark.anyio
async def test_a_dangling_symlink_creates_the_file_it_names(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "today.jsonl"
    real.parent.mkdir()
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    async with open_sink(link) as sink:
        await sink.write("new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["today.jsonl"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_device_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    """As root, ``-o /dev/null`` renamed a regular file over the device: /dev/null became a
    file for every program on the machine. A device (here a private node of /dev/null's
    numbers, so that a regression cannot harm the real one) is written, never replaced."""
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    ran = run_cli("walk", "-q", "--jsonl", "-o", str(node), str(REPO / "scanner" / "output"))
    assert ran.code == exit_codes.OK, ran.err
    assert stat.S_ISCHR(node.stat().st_mode)
    write_atomic(node, "text")  # the bench exports' writer, the same rule
    assert stat.S_ISCHR(node.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_a_named_pipe_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    ran = run_cli("walk", "-o", str(fifo), str(REPO / "scanner" / "output"))
    reader.join(timeout=30)
    replaced = not stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if reader.is_alive() and not replaced:  # nothing opened the pipe: release the reader
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert ran.code == exit_codes.OK, ran.err
    assert not replaced
    assert got and b"sink.py\n" in got[0]
