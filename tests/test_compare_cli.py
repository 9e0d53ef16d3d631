"""``scanner bench`` end to end: real worker processes, exports, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from scanner import exit_codes
from tests.cli_helpers import run_cli


def test_bench_lab_walk_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    ran = run_cli(
        "bench", "lab", "walk", "--sizes", "150,200,300", "--runs", "1", "-j", "2",
        "--variant", "anyio-asyncio", "--variant", "sequential",
        "--dir", str(tmp_path / "labs"), "--json", "--quiet",
        "--export-csv", str(out / "r.csv"), "--export-markdown", str(out / "r.md"),
        "--export-json", str(out / "r.json"),
    )  # fmt: skip
    assert ran.code == exit_codes.OK, ran.err
    doc = json.loads(ran.text)
    assert doc["command"] == "bench"
    assert json.loads((out / "r.json").read_text())["cells"] == doc["cells"]
    cells = {(c["variant"], c["size"]): c for c in doc["cells"]}
    assert set(cells) == {
        (v, n) for v in ("anyio-asyncio", "sequential") for n in (150, 200, 300)
    }
    assert cells[("anyio-asyncio", 300)]["concurrency"] == 2
    assert cells[("sequential", 300)]["concurrency"] == 1
    assert cells[("anyio-asyncio", 300)]["result"]["files"] >= 300
    assert {s["axis"] for s in doc["scaling"]} == {"size"}
    rows = list(csv.DictReader(io.StringIO((out / "r.csv").read_text())))
    assert len(rows) == 6
    assert "| anyio-asyncio | 2 |" in (out / "r.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["r.csv", "r.json", "r.md"]


def test_bench_table_on_stdout(tmp_path: Path) -> None:
    ran = run_cli(
        "bench", "walk", str(tmp_path), "--runs", "1", "-j", "2", "--quiet",
        "--variant", "threads", "--variant", "sequential",
    )  # fmt: skip
    assert ran.code == exit_codes.OK, ran.err
    assert "Median ± MAD" in ran.text
    assert "1x (baseline)" in ran.text


def test_bench_usage_errors(tmp_path: Path) -> None:
    both = run_cli("bench", "walk", str(tmp_path), "--quick", "--rigorous")
    assert both.code == exit_codes.USAGE
    assert "--quick" in both.err
    bad = run_cli("bench", "walk", str(tmp_path), "-j", "0")
    assert bad.code == exit_codes.USAGE
    unknown = run_cli("bench", "walk", str(tmp_path), "--variant", "pigeon")
    assert unknown.code == exit_codes.USAGE
    assert "unknown variant" in unknown.err
    missing = run_cli("bench", "walk", str(tmp_path / "nope"))
    assert missing.code == exit_codes.USAGE


def test_ctrl_c_reports_the_runs_that_finished() -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.cli_helpers import REPO

    argv = [
        sys.executable, "-m", "scanner", "bench", "lab", "ping-fake", "--hosts", "5",
        "--latency", "20ms", "--runs", "200", "-q", "--variant", "threads",
        "--variant", "sequential",
    ]  # fmt: skip
    mark = f"compare-ctrl-c-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "COLUMNS": "200", "SCANNER_TEST_MARK": mark}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env)
    # interrupt once the warm-up round (2 workers) and a few timed runs have started
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 6 and time.monotonic() < deadline and proc.poll() is None:
        workers.update(_processes_with(mark.encode(), b"scanner.compare.worker"))
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == exit_codes.INTERRUPTED, err
    assert "1x (baseline)" in out.decode()
    assert "interrupted" in err.decode()
    # no worker process is left behind (workers inherit the marked environment)
    assert _processes_with(mark.encode()) == []


def _processes_with(mark: bytes, command: bytes = b"") -> list[int]:
    """Processes whose environment holds ``mark`` (and whose command line ``command``)."""
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if mark in (proc / "environ").read_bytes() and (
                    command in (proc / "cmdline").read_bytes()
                ):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found
