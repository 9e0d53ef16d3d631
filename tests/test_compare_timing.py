"""The one timing harness of benchmarks/ (scanner.compare.timing): commands, calls, tables."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from scanner.compare.timing import (
    CommandRun,
    Contender,
    alternate,
    before_after_row,
    command,
    median_of,
    ratio_table,
    run_command,
)


def test_run_command_reports_code_output_and_peak_rss(tmp_path: Path) -> None:
    given = tmp_path / "in"
    given.write_text("hello\n")
    ran = run_command(["sh", "-c", "cat; echo oops >&2; exit 3"], stdin=given, capture=True)
    assert ran.code == 3
    assert ran.stdout == b"hello\n" and ran.stderr == b"oops\n"
    assert ran.wall_s > 0 and ran.peak_rss_kib > 0
    quiet = run_command(["sh", "-c", "echo x"])
    assert quiet.code == 0 and quiet.stdout == b""


def test_a_python_child_that_grows_shows_its_own_peak() -> None:
    grow = "b = bytearray(64 << 20); b[::4096] = b'x' * len(b[::4096])"
    ran = run_command([sys.executable, "-c", grow])
    assert ran.peak_rss_mib > 64


@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="needs GNU time")
def test_gnu_time_measures_small_commands_from_a_small_parent() -> None:
    # a tiny command reads at least this (Python) process's size through wait4
    small = run_command(["true"], gnu_time=True)
    assert small.code == 0
    assert 0 < small.peak_rss_kib < run_command(["true"]).peak_rss_kib


def test_alternate_discards_warmup_and_honours_max_runs() -> None:
    calls: list[str] = []
    a = Contender("a", lambda: calls.append("a"))
    b = Contender("b", lambda: calls.append("b"), max_runs=2)
    alternate([a, b], 4, warmup=1, seed=5)
    assert len(a.times) == 4 and len(b.times) == 2
    assert calls.count("a") == 5 and calls.count("b") == 3
    assert median_of(lambda: None, 3) >= 0


def test_ratio_table_against_a_baseline_measured_in_the_same_run() -> None:
    fast = Contender("fast", lambda: None, times=[1.0, 1.0, 1.2])
    slow = Contender("slow", lambda: None, times=[2.0, 2.2, 2.0])
    text = ratio_table([slow, fast], slow)
    assert "| slow | 2.000 | 2.000 | 2.200 | 3 | 1.00x |" in text
    assert "| fast | 1.000 | 1.000 | 1.200 | 3 | 0.50x |" in text
    assert "peak RSS" not in text
    assert "2.00x (" in ratio_table([slow, fast], slow, interval=True)
    assert before_after_row(["walk"], [2.0, 3.0, 2.5], [1.0, 1.5, 1.25]) == (
        "| walk | 2.500 (2.000) | 1.250 (1.000) | 0.500 |"
    )


def test_commands_record_codes_and_rss_in_the_table() -> None:
    sh = shutil.which("sh") or "sh"
    ok = command("ok", [sh, "-c", "exit 0"])
    bad = command("bad", [sh, "-c", "exit 1"])
    alternate([ok, bad], 2)
    assert isinstance(ok.last, CommandRun)
    assert ok.codes == {0} and bad.codes == {1} and len(ok.peak_rss_kib) == 2
    text = ratio_table([ok, bad], ok, commands=True, rss=True)
    assert "peak RSS (MiB)" in text and "exit codes" in text
    assert f"- bad: `{sh} -c exit 1`" in text
