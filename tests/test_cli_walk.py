"""``scanner walk``, ``ext`` and ``scan`` as real processes: formats, names, exit codes."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import exit_codes
from tests.cli_helpers import REPO, run_cli
from tests.fs_helpers import make_files

BAD = b"bad\xff\x1b[31m\n.TXT"  # not UTF-8, an escape sequence and a newline in one name


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    make_files(tmp_path, {"a/x.py": 10, "a/b/y.py": 20, "c.tar.gz": 30, ".hidden": 5, "e": None})
    with open(os.fsencode(tmp_path / "a") + b"/" + BAD, "wb") as fh:
        fh.write(b"1234")
    os.mkfifo(tmp_path / "a" / "fifo")
    return tmp_path


def bad_path(tree: Path) -> bytes:
    return os.fsencode(tree / "a") + b"/" + BAD


def test_walk_plain_to_a_pipe_is_exact_bytes(tree: Path) -> None:
    ran = run_cli("walk", str(tree))
    assert ran.code == exit_codes.OK, ran.err
    lines = ran.out.split(b"\n")
    assert bad_path(tree).split(b"\n")[0] in lines  # the name's own newline splits it
    assert "scanner: scanned 5 files" in ran.err


def test_walk_print0_is_exact(tree: Path) -> None:
    ran = run_cli("walk", "-0", "-t", "f", str(tree))
    names = ran.out.split(b"\0")
    assert names[-1] == b""
    assert sorted(os.path.basename(n) for n in names[:-1]) == sorted(
        [b"x.py", b"y.py", b"c.tar.gz", b".hidden", BAD]
    )


def test_walk_jsonl_has_metadata_errors_and_summary(tree: Path) -> None:
    ran = run_cli("walk", "--jsonl", str(tree), str(tree / "missing"))
    assert ran.code == exit_codes.PARTIAL
    records = [json.loads(line) for line in ran.out.splitlines()]
    assert all(r["schema_version"] == 1 for r in records)
    entries = [r for r in records if r["record"] == "entry"]
    by_name = {os.path.basename(r["path"]): r for r in entries}
    assert by_name["y.py"]["size"] == 20 and by_name["y.py"]["type"] == "file"
    assert by_name["y.py"]["depth"] == 3 and by_name["y.py"]["mtime"] > 0
    assert by_name["fifo"]["type"] == "fifo"
    (bad,) = [r for r in entries if "path_b64" in r]
    assert base64.b64decode(bad["path_b64"]) == bad_path(tree)
    (error,) = [r for r in records if r["record"] == "error"]
    assert (error["phase"], error["errno_name"]) == ("root", "ENOENT")
    assert records[-1]["record"] == "summary" and records[-1]["errors"] == 1


def test_walk_json_and_csv_survive_undecodable_names(tree: Path) -> None:
    doc = json.loads(run_cli("walk", "--json", str(tree)).out)
    assert doc["command"] == "walk" and doc["summary"]["files"] == 5
    assert len(doc["entries"]) == doc["summary"]["entries"]
    ran = run_cli("walk", "--csv", str(tree))
    rows = list(csv.DictReader(io.StringIO(ran.out.decode("utf-8"))))
    (bad,) = [r for r in rows if r["path_b64"]]
    assert base64.b64decode(bad["path_b64"]) == bad_path(tree)
    assert {r["record"] for r in rows} == {"entry"}


def test_walk_filters_from_the_command_line(tree: Path) -> None:
    ran = run_cli("walk", "--no-hidden", "-E", "b", "--max-depth", "2", "-t", "f", str(tree))
    names = sorted(os.path.basename(p) for p in ran.out.split(b"\n") if p)
    assert b".hidden" not in names and b"y.py" not in names
    assert b"x.py" in names and b"c.tar.gz" in names


def test_walk_on_a_terminal_escapes_names(tree: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "walk", "-q", str(tree / "a")],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO once the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=30)
    os.close(master)
    shown = b"".join(chunks)
    assert b"bad\\xff\\e[31m\\n.TXT" in shown
    assert b"\x1b[31m" not in shown


def test_ext_formats_and_options(tree: Path) -> None:
    doc = json.loads(run_cli("ext", "--json", "--compound", "--sort", "bytes", str(tree)).out)
    assert doc["command"] == "ext"
    rows = {r["ext"]: (r["files"], r["bytes"]) for r in doc["extensions"]}
    assert rows == {"py": (2, 30), "tar.gz": (1, 30), "txt": (1, 4), "": (1, 5)}
    assert [r["ext"] for r in doc["extensions"]][:2] == ["py", "tar.gz"]  # bytes, then files
    assert doc["total"] == {"files": 5, "bytes": 69}
    top = json.loads(run_cli("ext", "--json", "--top", "1", str(tree)).out)
    assert len(top["extensions"]) == 1 and top["others"]["files"] == 3
    ran = run_cli("ext", "--csv", "--top", "2", str(tree))
    rows_csv = list(csv.reader(io.StringIO(ran.out.decode())))
    assert rows_csv[0] == ["kind", "ext", "files", "bytes"]
    assert [r[0] for r in rows_csv[1:]] == ["extension", "extension", "others", "total"]
    table = run_cli("ext", str(tree)).text
    assert ".py" in table and "(none)" in table and "total" in table
    lines = run_cli("ext", "--jsonl", str(tree)).text.splitlines()
    assert json.loads(lines[-1])["record"] == "summary"


def test_scan_report_in_every_format(tree: Path) -> None:
    doc = json.loads(run_cli("scan", "--json", "--largest", "2", str(tree)).out)
    assert doc["command"] == "scan"
    assert doc["summary"]["files"] == 5 and doc["summary"]["other"] == 1
    assert [f["size"] for f in doc["largest"]] == [30, 20]
    assert doc["error_count"] == 0
    ran = run_cli("scan", "--csv", str(tree))
    rows = list(csv.reader(io.StringIO(ran.out.decode())))
    sections = {r[0] for r in rows[1:]}
    assert sections == {"totals", "extension", "largest"}
    (bad,) = [r for r in rows[1:] if r[2]]
    assert base64.b64decode(bad[2]) == bad_path(tree)
    text = run_cli("scan", str(tree), str(tree / "missing")).text
    assert "largest files" in text and "errors" in text and "ENOENT" in text
    assert "bad\\xff\\e[31m\\n.TXT" in text  # escaped in the table, even on a pipe
    missing = os.fsdecode(os.fsencode(tree) + b"/gone\xfe")  # an undecodable missing root
    lines = run_cli("scan", "--jsonl", str(tree), missing).text.splitlines()
    records = [json.loads(line) for line in lines]
    kinds = [r["record"] for r in records]
    assert kinds[-1] == "summary" and "largest" in kinds and "extension" in kinds
    (big_bad,) = [r for r in records if r["record"] == "largest" and "path_b64" in r]
    assert base64.b64decode(big_bad["path_b64"]) == bad_path(tree)
    (error,) = [r for r in records if r["record"] == "error"]
    assert base64.b64decode(error["path_b64"]) == os.fsencode(missing)


def test_output_file_is_written_whole_without_temp_files(tree: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    for cmd, name in (("walk", "w.jsonl"), ("ext", "e.txt"), ("scan", "s.json")):
        fmt = {"walk": ["--jsonl"], "ext": [], "scan": ["--json"]}[cmd]
        ran = run_cli(cmd, *fmt, "-q", "-o", str(out_dir / name), str(tree / "a"))
        assert ran.code == exit_codes.OK and ran.out == b""
    assert sorted(os.listdir(out_dir)) == ["e.txt", "s.json", "w.jsonl"]
    assert json.loads((out_dir / "s.json").read_text())["summary"]["files"] == 3
    assert "total" in (out_dir / "e.txt").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["walk", "--max-depth", "-1"],
        ["ext", "--workers", "0"],
        ["scan", "--sort", "size"],
        ["walk", "-0", "--json"],
        ["walk", "--type", "x"],
        ["ext", "--json", "--csv"],
    ],
)
def test_usage_errors_exit_3(args: list[str], tree: Path) -> None:
    ran = run_cli(*args, str(tree))
    assert ran.code == exit_codes.USAGE, ran.err
    assert "Traceback" not in ran.err


def test_missing_root_exits_1_and_says_why(tmp_path: Path) -> None:
    ran = run_cli("ext", str(tmp_path / "nope"))
    assert ran.code == exit_codes.PARTIAL
    assert "No such file or directory (root)" in ran.err
    assert "; 1 error\n" in ran.err
