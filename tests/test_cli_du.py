"""``scanner du`` through the real CLI against ``du`` itself, on a lab tree with hard links
(across directories too), symlinks, odd names and a sparse file.

The rule its --help states: the bytes are the apparent sizes of regular files only, each
hard-linked inode once within each directory, which is ``du --apparent-size`` run on that
directory alone with the directories' own sizes left out (``du_files_apparent``: du's
``-a`` lines of regular files, so du itself decides which name of an inode counts); with
--disk-usage the size is exactly ``du -s -B1 DIR``. ``du -d N`` in one run counts an inode
only under the first directory it meets, so every directory is compared with a du run of
its own."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.tree import TreeManifest, TreeSpec, generate_tree
from tests.cli_helpers import REPO, run_cli
from tests.fs_helpers import C, count_types, du_disk, du_files_apparent

SPEC = TreeSpec(files=1200, seed=21, hardlinks=30, symlinks=12, odd_names=20, large_files=1,
                files_per_dir=12)  # fmt: skip


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TreeManifest]]:
    root = tmp_path_factory.mktemp("cli-du") / "tree"
    yield root, generate_tree(root, SPEC)


def du_lines(out: bytes) -> dict[bytes, int]:
    """``SIZE<TAB>PATH`` lines (the lab's directory names hold no newline)."""
    sizes = {}
    for line in out.splitlines():
        size, path = line.split(b"\t", 1)
        sizes[path] = int(size)
    return sizes


def test_apparent_bytes_agree_with_du_per_directory(lab: tuple[Path, TreeManifest]) -> None:
    root, manifest = lab
    ran = run_cli("du", str(root), "--depth", "2")
    assert ran.code == exit_codes.OK, ran.err
    sizes = du_lines(ran.out)
    expected_dirs = subprocess.run(
        ["find", str(root), "-maxdepth", "2", "-type", "d", "-printf", r"%p\0"],
        capture_output=True, check=True, env=C,
    ).stdout.split(b"\0")[:-1]  # fmt: skip
    assert sorted(sizes) == sorted(expected_dirs)
    for path, size in sizes.items():
        assert size == du_files_apparent(os.fsdecode(path)), path
    # the root is the whole tree: the manifest's bytes, every inode once
    assert sizes[os.fsencode(root)] == manifest.bytes
    # parents first, siblings biggest first (du's lines, ready for sort -n or a reader)
    order = list(sizes)
    assert order[0] == os.fsencode(root)
    for i, path in enumerate(order[1:], 1):
        assert os.path.dirname(path) in order[:i]
    assert "files" in ran.err and "0 errors" in ran.err


def test_disk_usage_agrees_with_du_B1(lab: tuple[Path, TreeManifest]) -> None:
    root, _ = lab
    ran = run_cli("du", str(root), "--depth", "1", "--disk-usage")
    assert ran.code == exit_codes.OK, ran.err
    sizes = du_lines(ran.out)
    assert len(sizes) > 2
    for path, size in sizes.items():
        assert size == du_disk(os.fsdecode(path)), path
    assert "on disk" in ran.err


def test_json_jsonl_csv_records(lab: tuple[Path, TreeManifest]) -> None:
    root, manifest = lab
    doc = json.loads(run_cli("du", str(root), "--json", "-q").out)
    assert doc["command"] == "du" and doc["summary"]["depth"] == 1
    top = doc["dirs"][0]
    assert top["path"] == str(root) and top["depth"] == 0 and top["disk_bytes"] is None
    assert (top["files"], top["dirs"], top["symlinks"]) == count_types(str(root))
    assert top["bytes"] == manifest.bytes == doc["summary"]["bytes"]
    assert all(d["depth"] == 1 for d in doc["dirs"][1:])
    lines = run_cli("du", str(root), "--jsonl", "--disk-usage", "-q").out.splitlines()
    records = [json.loads(line) for line in lines]
    assert records[-1]["record"] == "summary" and records[-1]["disk_bytes"] == du_disk(str(root))
    assert [r["path"] for r in records[:-1]] == [d["path"] for d in doc["dirs"]]
    assert records[0]["disk_bytes"] == du_disk(str(root))
    csv_lines = run_cli("du", str(root), "--csv", "-q").text.splitlines()
    assert csv_lines[0].startswith("path,path_b64,depth,files")
    assert len(csv_lines) == 1 + len(doc["dirs"])


def test_overlapping_roots_count_once_and_files_only_is_said(
    lab: tuple[Path, TreeManifest],
) -> None:
    root, manifest = lab
    inner = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())[0]
    ran = run_cli("du", str(root), str(inner), "--depth", "0")
    assert ran.code == exit_codes.OK, ran.err
    assert du_lines(ran.out) == {os.fsencode(root): manifest.bytes}
    assert f"{inner}: inside {root}, counted once there" in ran.err
    help_text = run_cli("du", "--help").text
    assert "FILES ONLY" in help_text and "du -B1 -s" in help_text


def test_filters_choose_what_du_counts(lab: tuple[Path, TreeManifest]) -> None:
    root, _ = lab
    ran = run_cli("du", str(root), "--depth", "0", "-e", "py", "-S", "+1k")
    assert ran.code == exit_codes.OK, ran.err
    out = subprocess.run(
        ["find", str(root), "-type", "f", "-iname", "*[!.]*.py", "-size", "+999c",
         "-printf", r"%i %s\0"], capture_output=True, check=True, env=C,
    ).stdout.split(b"\0")[:-1]  # fmt: skip
    inodes = dict(line.split() for line in out)
    assert du_lines(ran.out) == {os.fsencode(root): sum(int(s) for s in inodes.values())}
    assert "counted and listed only: extension py; size at least 1,000 B" in ran.err


def test_output_file_and_usage_errors(lab: tuple[Path, TreeManifest], tmp_path: Path) -> None:
    root, _ = lab
    report = tmp_path / "du.txt"
    ran = run_cli("du", str(root), "-o", str(report))
    assert ran.code == exit_codes.OK and ran.out == b""
    assert (
        du_lines(report.read_bytes())[os.fsencode(root)]
        == du_lines(run_cli("du", str(root), "-q").out)[os.fsencode(root)]
    )
    for bad in (["--depth", "-1"], ["--sort", "size"], ["--size", "1Q"]):
        ran = run_cli("du", str(root), *bad)
        assert ran.code == exit_codes.USAGE, bad
        lines = ran.err.splitlines()
        assert len(lines) == 2 and lines[0].startswith("scanner du: error: "), ran.err
        assert lines[1].startswith("scanner du: hint: "), ran.err
    missing = run_cli("du", str(tmp_path / "missing"))
    assert missing.code == exit_codes.PARTIAL and "No such file" in missing.err


def test_tree_with_bars_on_a_terminal(lab: tuple[Path, TreeManifest]) -> None:
    root, _ = lab
    out = _in_a_pty([sys.executable, "-m", "scanner", "du", str(root), "--depth", "2",
                     "--top", "3"], columns=80)  # fmt: skip
    text = out.decode("utf-8", "replace")
    assert "apparent size of files" in text
    assert "█" in text and "├─ " in text and "└─ " in text and "more" in text
    # the root's path, shortened in the middle when it does not fit
    assert str(root) in text or (str(root)[:8] in text and "…" in text and "/tree" in text)
    plain = [line for line in _strip_ansi(text).splitlines() if "─" in line]
    assert plain and all(len(line) <= 80 for line in plain)


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def _in_a_pty(argv: list[str], *, columns: int) -> bytes:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal; everything it printed."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    proc = subprocess.Popen(argv, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                            env=env, cwd=REPO)  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=60) == exit_codes.OK
    return b"".join(chunks)
