"""Issue 12: what a new user met on the first day, through the real CLI (a real terminal
where it matters: a pty, as a user's terminal is).

Each test failed before its fix: progress glued to data, tables that cut paths, typer's boxed
errors, flags with two meanings, silent seconds for fping's milliseconds, refused completion,
help at 80 columns, scan hiding its errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.archives import write_corpus
from tests.cli_helpers import on_a_terminal, run_cli


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for i in range(40):
        (root / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 4}" / f"f{i}.txt").write_bytes(b"x" * i)
    (root / ".hidden").write_text("h")
    return root


def test_progress_never_shares_a_line_with_a_listingon_a_terminal(tree: Path) -> None:
    """`scanner walk DIR` on a terminal printed `0 files  0 dirs ... 0.0 sDIR/.hidden`."""
    code, shown, _ = on_a_terminal(["walk", str(tree)], stdout_too=True)
    assert code == exit_codes.OK
    lines = shown.decode().replace("\r\n", "\n").splitlines()
    listed = [line for line in lines if not line.startswith("scanner: scanned")]
    assert sorted(listed) == sorted(str(p) for p in tree.rglob("*"))
    assert b"dirs queued" not in shown and b"workers" not in shown


def test_no_progress_when_a_listing_goes_to_a_pipe(tree: Path) -> None:
    """`walk /usr | head -3`: the pipe's reader prints to the same terminal."""
    code, shown, piped = on_a_terminal(["walk", str(tree)], stdout_too=False)
    assert code == exit_codes.OK and len(piped.splitlines()) == 45
    assert b"dirs queued" not in shown and b"scanner: scanned 41 files" in shown


def test_tables_in_a_file_are_full_width_plain_text(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*[f"a-rather-long-directory-name-{i}" for i in range(6)])
    deep.mkdir(parents=True)
    (deep / "the-largest-file-of-all.bin").write_bytes(b"x" * 1000)
    report = tmp_path / "report.txt"
    ran = run_cli("scan", "-o", str(report), str(tmp_path), env={"COLUMNS": "80"})
    assert ran.code == exit_codes.OK, ran.err
    text = report.read_text()
    assert str(deep / "the-largest-file-of-all.bin") in text  # whole, not cut with …
    assert "…" not in text and "│" not in text and "┃" not in text


def test_zip_findings_on_a_terminal_keep_codes_and_shorten_paths_in_the_middle(
    tmp_path: Path,
) -> None:
    root = tmp_path.joinpath(*[f"nested-folder-with-a-long-name-{i}" for i in range(4)])
    write_corpus(root, ordinary=2, hostile=True)
    code, shown, _ = on_a_terminal(["zip", str(tmp_path), "--findings"], stdout_too=True)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", shown.decode()).replace("\r", "")
    assert code == exit_codes.OK, text
    assert "backslash-in-name" in text and "path-traversal" in text  # codes never cut
    assert str(tmp_path) not in text  # paths relative to the directory searched
    shortened = [line for line in text.split("\n") if "…" in line and line.endswith(".zip")]
    assert shortened and all(line.startswith("nested-folder") for line in shortened)
    assert [line for line in text.split("\n") if len(line) > 80 and "zip: " not in line] == []


@pytest.mark.parametrize(
    ("argv", "message", "hint"),
    [
        (["walk", "--maxdepth", "2", "."], "No such option: --maxdepth", "--max-depth"),
        (["walk", "-d", "-1", "."], "-1 is not in the range", "scanner walk --help"),
        (["walk", "-o", "/tmp", "."], "is a directory", "scanner walk --help"),
        (["ping", "-t", "500", "127.0.0.1"], "a bare 500 means 500 seconds", "--help"),
        (["ping", "-x", "127.0.0.2", "127.0.0.1"], "No such option: -x", "-E/--exclude"),
        (["wlak", "."], "No such command 'wlak'", "scanner walk"),
    ],
)
def test_usage_errors_are_one_line_and_a_hint(argv: list[str], message: str, hint: str) -> None:
    ran = run_cli(*argv)
    assert ran.code == exit_codes.USAGE and ran.out == b""
    lines = ran.err.splitlines()
    assert len(lines) == 2, ran.err
    assert "error: " in lines[0] and message in lines[0]
    assert "hint: " in lines[1] and hint in lines[1]
    assert "╭" not in ran.err and "Usage:" not in ran.err


def test_durations_take_units_and_exclude_is_E(tmp_path: Path) -> None:
    from scanner.labs.fakeping import write_fake_ping

    fake = write_fake_ping(tmp_path)
    argv = ["ping", "--ping", str(fake), "-t", "500ms", "-i", "10ms", "-c", "2", "--jsonl"]
    ran = run_cli(*argv, "-E", "127.0.0.2", "127.0.0.1-3")
    assert ran.code == exit_codes.OK, ran.err
    hosts = [json.loads(line) for line in ran.out.splitlines()][:-1]
    assert sorted(h["target"] for h in hosts) == ["127.0.0.1", "127.0.0.3"]


def test_scan_says_its_errors_on_stderr(tmp_path: Path) -> None:
    ran = run_cli("scan", str(tmp_path / "nonexistent"))
    assert ran.code == exit_codes.PARTIAL
    assert "nonexistent: No such file or directory (root)" in ran.err


def test_help_reads_well_at_80_columns() -> None:
    for argv in (["--help"], ["walk", "--help"], ["help", "zip"], ["ping", "--help"]):
        ran = run_cli(*argv, env={"COLUMNS": "80"})
        assert ran.code == exit_codes.OK, ran.err
        lines = ran.text.splitlines()
        assert all(len(line) <= 80 for line in lines), argv
        assert not any(c in ran.text for c in "╭│╰"), argv  # no boxes
    walk = run_cli("walk", "--help", env={"COLUMNS": "80"}).text
    assert len(walk.splitlines()) < 45 and "-E, --exclude GLOB" in walk


def test_bash_completion_works() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "scanner").exists():
        pytest.skip("the scanner console script is not installed beside this interpreter")
    script = (
        'eval "$(scanner completion bash)"; COMP_WORDS=(scanner wa); COMP_CWORD=1; '
        '_scanner_completion scanner; echo "${COMPREPLY[@]}"; '
        "COMP_WORDS=(scanner walk --max); COMP_CWORD=2; _scanner_completion scanner; "
        'echo "${COMPREPLY[@]}"'
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [bash, "--norc", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["walk", "--max-depth"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_scripts_for_other_shells(shell: str) -> None:
    ran = run_cli("completion", shell)
    assert ran.code == exit_codes.OK and b"_SCANNER_COMPLETE" in ran.out


def test_json_times_are_iso_8601_beside_the_epoch(tree: Path) -> None:
    from datetime import datetime

    ran = run_cli("walk", "--jsonl", str(tree))
    entry = json.loads(ran.out.splitlines()[0])
    when = datetime.fromisoformat(entry["mtime_iso"].replace("Z", "+00:00"))
    assert abs(when.timestamp() - entry["mtime"]) < 1e-5
