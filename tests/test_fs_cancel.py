"""Cancellation: a cancelled walk leaves no worker thread behind and keeps what it read;
Ctrl-C on ``scanner scan`` exits 130 with the partial summary."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import anyio
import pytest

from scanner import exit_codes
from scanner.fs import WalkBatch, WalkConfig, Walker
from scanner.fs import _unit as unit_module
from scanner.labs.tree import TreeManifest, TreeSpec, generate_tree
from tests.cli_helpers import start_cli


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TreeManifest]:
    root = tmp_path_factory.mktemp("big") / "tree"
    return root, generate_tree(root, TreeSpec(files=60_000, seed=11))


def _threads_in_work_unit() -> list[int]:
    """Threads whose stack is inside the work unit right now."""
    unit_file = unit_module.__file__
    busy = []
    for ident, frame in sys._current_frames().items():
        f: FrameType | None = frame
        while f is not None:
            if f.f_code.co_filename == unit_file:
                busy.append(ident)
                break
            f = f.f_back
    return busy


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_cancel_scope_mid_walk_leaves_no_thread_stuck(
    backend: str, big_tree: tuple[Path, TreeManifest]
) -> None:
    root, manifest = big_tree
    threads_before = threading.active_count()

    async def main() -> tuple[Walker, bool]:
        batches = 0
        with anyio.CancelScope() as scope:

            async def consumer(batch: WalkBatch) -> None:
                nonlocal batches
                batches += 1
                if batches == 3:
                    scope.cancel()

            walker = Walker(WalkConfig(roots=(str(root),), workers=8), consumer)
            await walker.run()
        return walker, scope.cancelled_caught

    walker, cancelled = anyio.run(main, backend=backend)
    assert cancelled
    report = walker.report
    assert report.interrupted
    assert 0 < report.totals.files < manifest.files  # partial, and what was read is kept
    assert walker.shared.running == 0
    assert _threads_in_work_unit() == []
    if backend == "asyncio":
        # anyio tells its asyncio worker threads to stop when the event loop ends (they
        # exit a moment later); trio keeps idle threads cached for a while (they are idle:
        # checked just above)
        deadline = time.monotonic() + 10
        while threading.active_count() != threads_before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert threading.active_count() == threads_before


def _reading_below(pid: int, root: Path) -> bool:
    """True when the process holds a directory fd inside ``root``: the walk is under way
    (and the event loop, with its signal handler, has long been running)."""
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{fd}").startswith(f"{root}/"):
                return True
        except OSError:  # closed meanwhile
            continue
    return False


def _interrupt_once_walking(root: Path, *args: str) -> tuple[int, bytes, str]:
    """Run ``python -m scanner ARGS``, send SIGINT once it is reading below ``root``, and
    return the exit code and the output."""
    proc = start_cli(*args)
    deadline = time.monotonic() + 60
    while not _reading_below(proc.pid, root):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.0005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err.decode()


def test_sigint_exits_130_with_the_partial_summary(big_tree: tuple[Path, TreeManifest]) -> None:
    root, manifest = big_tree
    code, out, err = _interrupt_once_walking(root, "scan", "--json", str(root))
    assert code == exit_codes.INTERRUPTED, err
    assert "interrupted after" in err
    doc = json.loads(out)
    assert doc["summary"]["interrupted"] is True
    assert doc["summary"]["files"] < manifest.files


def test_sigint_writes_a_whole_interrupted_report_file(
    big_tree: tuple[Path, TreeManifest], tmp_path: Path
) -> None:
    """The one -o policy of every command: what was finished, as a whole, valid report
    marked interrupted (as stdout gets it), renamed into place; no temporary file left."""
    root, manifest = big_tree
    target = tmp_path / "out.json"
    code, out, err = _interrupt_once_walking(root, "ext", "--json", "-o", str(target), str(root))
    assert code == exit_codes.INTERRUPTED, err
    assert not out and "interrupted after" in err
    assert os.listdir(tmp_path) == ["out.json"]  # the report, not its temporary file
    doc = json.loads(target.read_text())
    assert doc["summary"]["interrupted"] is True
    assert doc["summary"]["files"] < manifest.files
    assert sum(row["files"] for row in doc["extensions"]) <= doc["summary"]["files"]
