"""The command surface: entry points, usage errors, check and info."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scanner import __version__, exit_codes
from tests.cli_helpers import REPO, run_cli


def test_version_via_module() -> None:
    ran = run_cli("--version")
    assert ran.code == exit_codes.OK
    assert ran.text.strip() == f"scanner {__version__}"


def test_root_cli_py_runs_same_app() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"scanner {__version__}"


def test_unknown_option_is_usage_error() -> None:
    ran = run_cli("check", "--no-such-option")
    assert ran.code == exit_codes.USAGE
    assert "No such option" in ran.err


def test_conflicting_formats_are_usage_error(tmp_path: Path) -> None:
    ran = run_cli("check", "--json", "--csv", str(tmp_path))
    assert ran.code == exit_codes.USAGE
    assert "choose one of" in ran.err


def test_check_reports_existence_type_and_access(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    os.symlink(tmp_path / "missing", tmp_path / "dangling")
    ran = run_cli("check", "--json", str(f), str(tmp_path / "nope"), str(tmp_path / "dangling"))
    assert ran.code == exit_codes.PARTIAL
    doc = json.loads(ran.out)
    assert doc["schema_version"] == 1 and doc["command"] == "check"
    a, nope, dangling = doc["files"]
    assert (a["exists"], a["type"], a["readable"], a["size"]) == (True, "file", True, 5)
    assert (nope["exists"], nope["readable"]) == (False, False)
    assert (dangling["type"], dangling["target_type"], dangling["readable"]) == (
        "symlink",
        None,
        False,
    )


def test_check_all_readable_exits_zero(tmp_path: Path) -> None:
    f = tmp_path / "a"
    f.write_text("x")
    ran = run_cli("check", "--jsonl", str(f), str(tmp_path))
    assert ran.code == exit_codes.OK
    records = [json.loads(line) for line in ran.text.splitlines()]
    assert [r["type"] for r in records] == ["file", "dir"]
    assert all(r["record"] == "file" for r in records)


def test_check_never_opens_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # opening a FIFO for reading with no writer would block: the check must return at once
    ran = run_cli("check", "--json", str(fifo), timeout=20)
    assert json.loads(ran.out)["files"][0]["type"] == "fifo"


def test_info_json_has_platform_and_python() -> None:
    ran = run_cli("info", "--json")
    assert ran.code == exit_codes.OK
    info = json.loads(ran.out)["info"]
    assert info["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert info["filesystem_encoding"] == sys.getfilesystemencoding()
    assert info["cpu_count"] == os.cpu_count()
    assert isinstance(info["sys_path"], list)
