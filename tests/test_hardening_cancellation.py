"""Hardening: SIGINT and SIGTERM at seeded random points of every workload.

Each run is ``python -m scanner`` in its own session, signalled after a random delay. Then:
exit 130 (SIGINT) or 143 (SIGTERM) — or the normal code when the work finished first —, no
traceback, no process of its session left (threads, worker processes, ping children), no
fake ping left (found by its marker), and the ``--output`` report either complete (parseable)
or absent, with no temporary file beside it.

In-process cancel scopes on both backends are tested per area: tests/test_fs_cancel.py,
tests/test_zip_engine.py, tests/test_ping_sweep.py, tests/test_ping_cli.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.archives import write_bzip2_member, write_corpus
from scanner.labs.fakeping import write_fake_ping
from scanner.labs.tree import TreeSpec, generate_tree
from tests.cli_helpers import REPO
from tests.test_ping_sweep import assert_no_leftovers

SIGNALS = {signal.SIGINT: exit_codes.INTERRUPTED, signal.SIGTERM: exit_codes.TERMINATED}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cancel")
    generate_tree(base / "tree", TreeSpec(files=30_000, seed=5))
    write_corpus(base / "archives", ordinary=40, hostile=True)
    write_bzip2_member(base / "archives" / "slow.zip", 64 << 20)  # seconds of --verify
    return {"tree": base / "tree", "archives": base / "archives"}


def _workload(name: str, inputs: dict[str, Path], tmp: Path, report: Path) -> list[str]:
    if name == "walk":
        return ["walk", "--jsonl", "-o", str(report), str(inputs["tree"])]
    if name == "scan":
        return ["scan", "--json", "-o", str(report), str(inputs["tree"])]
    if name == "zip":
        return ["zip", "--verify", "--json", "-o", str(report), "-j", "2", str(inputs["archives"])]
    if name == "ping":
        fake = write_fake_ping(tmp, latency_ms=1500, jitter_ms=500, pid_log=tmp / "pids")
        return ["ping", "--ping", str(fake), "--jsonl", "-o", str(report), "127.0.0.1-120"]
    assert name == "bench"
    return [
        "bench", "walk", str(inputs["tree"]), "--quick", "-j", "2", "-q",
        "--variant", "anyio-asyncio", "--variant", "threads", "--export-json", str(report),
    ]  # fmt: skip


def _session_members(sid: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes of session ``sid``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append((int(entry.name), cmd.decode(errors="replace")))
    return found


def _assert_session_empty(sid: int) -> None:
    # a SIGKILLed child disappears when next scheduled: give it a moment
    left = _session_members(sid)
    for _ in range(200):
        if not left:
            return
        time.sleep(0.02)
        left = _session_members(sid)
    assert left == []


def _assert_report_whole_or_absent(out_dir: Path, report: Path) -> None:
    present = sorted(p.name for p in out_dir.iterdir())
    assert present in ([], [report.name]), present  # no temporary file left behind
    if present:
        text = report.read_text()
        if report.suffix == ".jsonl":
            recs = [json.loads(line) for line in text.splitlines()]
            assert recs[-1]["record"] == "summary"
        else:
            json.loads(text)


CASES = [(w, s) for w in ("walk", "scan", "zip", "ping", "bench") for s in SIGNALS]


@pytest.mark.parametrize(("workload", "signum"), CASES, ids=[f"{w}-{s.name}" for w, s in CASES])
def test_signal_at_a_random_point(
    inputs: dict[str, Path], tmp_path: Path, workload: str, signum: signal.Signals
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    suffix = ".jsonl" if workload in ("walk", "ping") else ".json"
    report = out_dir / f"report{suffix}"
    args = _workload(workload, inputs, tmp_path, report)
    # from start-up (imports, argument checks) to the middle of the work
    # (a 30k-file walk takes ~0.5 s here: it gets the shorter window)
    latest = 0.35 if workload in ("walk", "scan") else 0.7
    delay = random.Random(f"{workload}-{signum.name}").uniform(0.1, latest)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
        start_new_session=True,
    )
    time.sleep(delay)
    finished_first = proc.poll() is not None
    if not finished_first:
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    message = err.decode(errors="replace")
    assert "Traceback" not in message
    if finished_first:
        assert proc.returncode in (exit_codes.OK, exit_codes.PARTIAL), message
    else:
        # -signum: the signal came while the interpreter itself was starting, before any
        # Python code could handle it (a shell reports that as 128+N too)
        codes = (SIGNALS[signum], -signum, exit_codes.OK, exit_codes.PARTIAL)
        assert proc.returncode in codes, message
    _assert_session_empty(proc.pid)
    _assert_report_whole_or_absent(out_dir, report)
    if workload == "ping" and (tmp_path / "pids").exists():
        assert_no_leftovers(tmp_path / "ping", tmp_path / "pids")
