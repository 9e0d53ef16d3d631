"""Hardening: hostile paths and trees, through the real CLI (``run_cli``).

Each case: a clear one-line error or an error record, the right exit code, what could be read
is still reported, never a traceback, never a hang (FIFOs are never opened: one with no
writer would block an ``open`` forever, so every run here has a timeout).
The library-level cases (vanished/swapped directories, ENAMETOOLONG, loops with --follow,
undecodable names) are in tests/test_fs_walk.py; permission checks in-process in
tests/test_fs_access.py.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner import exit_codes
from tests.cli_helpers import REPO, Ran, run_cli
from tests.hardening_helpers import UNMEASURED, peak_rss_kib

# nobody cannot write coverage data into the repository: that run goes unmeasured
AS_NOBODY = (*UNMEASURED, "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
NEWLINE = "new\nline.txt"
BIDI = "invoice\u202etxt.exe"
UNDECODABLE = b"raw\xff\xfe.bin"


def _records(ran: Ran) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ran.out.splitlines()]


def _clean(ran: Ran, *codes: int) -> None:
    assert ran.code in codes, (ran.code, ran.err)
    assert "Traceback" not in ran.err


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """FIFO (no writer), socket, device, dangling link, self loop, two-link loop, names with
    a newline, a bidi override and undecodable bytes, a name that looks like an option."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "sub").mkdir()
    (root / "sub" / "ok.txt").write_bytes(b"12345")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    if os.geteuid() == 0:
        os.mknod(root / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (root / "dangling").symlink_to("nowhere")
    (root / "self").symlink_to(".")
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    (root / NEWLINE).write_bytes(b"x")
    (root / BIDI).write_bytes(b"x")
    with open(os.fsencode(root) + b"/" + UNDECODABLE, "wb") as fh:
        fh.write(b"x")
    (root / "-x").write_bytes(b"dash")
    yield root
    sock.close()


@pytest.mark.parametrize("command", ["walk", "ext", "scan", "zip --sniff"])
def test_hostile_tree_completes_without_opening_specials(hostile: Path, command: str) -> None:
    ran = run_cli(*command.split(), str(hostile), timeout=30)
    _clean(ran, exit_codes.OK)


def test_follow_turns_loops_into_error_records(hostile: Path) -> None:
    ran = run_cli("walk", "-L", "--jsonl", str(hostile), timeout=30)
    _clean(ran, exit_codes.PARTIAL)
    recs = _records(ran)
    errors = {Path(str(r["path"])).name: r for r in recs if r["record"] == "error"}
    assert errors["self"]["phase"] == "loop"
    assert errors["loop1"]["errno_name"] == "ELOOP"
    assert errors["loop2"]["errno_name"] == "ELOOP"
    names = {Path(str(r["path"])).name for r in recs if r["record"] == "entry"}
    assert {"ok.txt", "dangling", "fifo", "-x"} <= names  # the rest is still listed
    assert recs[-1]["record"] == "summary"


def test_names_are_exact_in_jsonl_and_print0(hostile: Path) -> None:
    recs = _records(run_cli("walk", "--jsonl", str(hostile), timeout=30))
    paths = {r["path"] for r in recs if r["record"] == "entry"}
    assert str(hostile / NEWLINE) in paths
    assert str(hostile / BIDI) in paths
    raw = {base64.b64decode(str(r["path_b64"])) for r in recs if "path_b64" in r}
    assert raw == {os.fsencode(hostile) + b"/" + UNDECODABLE}
    listed = run_cli("walk", "-0", str(hostile), timeout=30).out.split(b"\0")
    assert os.fsencode(hostile / NEWLINE) in listed
    assert os.fsencode(hostile) + b"/" + UNDECODABLE in listed


def test_names_are_escaped_on_a_terminal(hostile: Path) -> None:
    # `script` gives the child a real pty, as a user's terminal would
    cmd = f"{sys.executable} -m scanner walk -q {hostile}"
    proc = subprocess.run(
        ["script", "-qec", cmd, "/dev/null"],
        capture_output=True,
        cwd=REPO,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0
    shown = proc.stdout
    assert "\u202e".encode() not in shown and b"\\u202e" in shown
    assert b"new\\nline.txt" in shown
    assert b"raw\\xff\\xfe.bin" in shown


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["walk", ""], exit_codes.PARTIAL, "scanner: '': No such file or directory (root)"),
        (["scan", "/nonexistent-hardening"], exit_codes.PARTIAL, ""),
        (["ext", "--", "-x"], exit_codes.PARTIAL, "-x: No such file"),
        (["zip", "/nonexistent-hardening"], exit_codes.PARTIAL, "/nonexistent-hardening"),
    ],
)
def test_missing_roots_are_recorded(args: list[str], code: int, message: str) -> None:
    ran = run_cli(*args, timeout=30)
    _clean(ran, code)
    assert message in ran.err


def test_option_like_name_after_double_dash_is_a_path(hostile: Path) -> None:
    ran = run_cli("walk", "--jsonl", "--", "-x", cwd=hostile, timeout=30)
    _clean(ran, exit_codes.OK)
    assert _records(ran)[0]["path"] == "-x"


def test_a_file_where_a_directory_was_expected(hostile: Path) -> None:
    ran = run_cli("ext", "--json", str(hostile / "sub" / "ok.txt"), timeout=30)
    _clean(ran, exit_codes.OK)
    assert json.loads(ran.out)["summary"]["files"] == 1  # a file root counts as one file
    ran = run_cli("ping", "-f", str(hostile / "sub"), timeout=30)  # a directory as a file
    _clean(ran, exit_codes.USAGE)
    assert "cannot read target file" in ran.err


@pytest.mark.parametrize("special", ["fifo", "sock", "null"])
def test_special_files_given_as_roots_are_never_opened(hostile: Path, special: str) -> None:
    if not (hostile / special).exists() and not (hostile / special).is_symlink():
        pytest.skip("device nodes need root")
    for args in (["scan"], ["zip"], ["check"]):
        ran = run_cli(*args, str(hostile / special), timeout=30)
        _clean(ran, exit_codes.OK, exit_codes.PARTIAL)


def _deeper_than_path_max(base: Path) -> Path:
    """A chain of 200-byte names ~6 KB long: built through directory fds, since no path to
    its bottom can be passed to the kernel."""
    fd = os.open(base, os.O_RDONLY)
    try:
        for _ in range(30):
            os.mkdir("d" * 200, dir_fd=fd)
            child = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("leaf.zip", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    return base


def test_deeper_than_path_max_is_an_error_record(tmp_path: Path) -> None:
    root = _deeper_than_path_max(tmp_path)
    ran = run_cli("walk", "--jsonl", str(root), timeout=30)
    _clean(ran, exit_codes.PARTIAL)
    recs = _records(ran)
    errors = [r for r in recs if r["record"] == "error"]
    assert [e["errno_name"] for e in errors] == ["ENAMETOOLONG"]
    assert sum(r["record"] == "entry" for r in recs) >= 15  # the reachable part is listed
    for args in (["scan", "--json"], ["zip", "--sniff", "--json"]):
        ran = run_cli(*args, str(root), timeout=30)
        _clean(ran, exit_codes.PARTIAL)
        json.loads(ran.out)
    # rm -rf cannot remove what no path reaches either: unlink from the bottom through fds
    _remove_deep(tmp_path)


def _remove_deep(base: Path) -> None:
    fds = [os.open(base, os.O_RDONLY)]
    while "d" * 200 in os.listdir(fds[-1]):
        fds.append(os.open("d" * 200, os.O_RDONLY, dir_fd=fds[-1]))
    for name in os.listdir(fds[-1]):
        os.unlink(name, dir_fd=fds[-1])
    for parent, child in zip(reversed(fds[:-1]), reversed(fds[1:]), strict=True):
        os.close(child)
        os.rmdir("d" * 200, dir_fd=parent)
    os.close(fds[0])


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    """A directory nobody may enter (pytest's own tmp root is root's alone)."""
    base = Path(tempfile.mkdtemp(prefix="scanner-hardening-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base)


def _nobody_can_run_scanner() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", "import scanner"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _nobody_can_run_scanner(), reason="needs root, setpriv and an interpreter nobody may run"
)
def test_permission_denied_as_nobody(world_tmp: Path) -> None:
    base = world_tmp
    (base / "open").mkdir(mode=0o755)
    (base / "open" / "a.txt").write_bytes(b"abc")
    (base / "open" / "a.txt").chmod(0o644)
    (base / "locked").mkdir(mode=0o700)  # root's own: nobody cannot list it
    (base / "locked" / "secret.txt").write_bytes(b"s")
    (base / "private.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (base / "private.zip").chmod(0o600)
    ran = run_cli("walk", "--jsonl", str(base), prefix=AS_NOBODY, timeout=30)
    _clean(ran, exit_codes.PARTIAL)
    recs = _records(ran)
    errors = [r for r in recs if r["record"] == "error"]
    assert [(Path(str(e["path"])).name, e["errno_name"], e["phase"]) for e in errors] == [
        ("locked", "EACCES", "scandir")
    ]
    assert str(base / "open" / "a.txt") in {r.get("path") for r in recs}
    ran = run_cli("scan", "--json", str(base), prefix=AS_NOBODY, timeout=30)
    _clean(ran, exit_codes.PARTIAL)
    doc = json.loads(ran.out)
    assert doc["summary"]["files"] == 2  # a.txt and private.zip: the rest is counted
    ran = run_cli("zip", "--json", str(base), prefix=AS_NOBODY, timeout=30)
    _clean(ran, exit_codes.PARTIAL)
    zip_errors = json.loads(ran.out)["errors"]
    # the same error fields as walk's: the errno and its name
    assert sorted(
        (Path(e["path"]).name, e["phase"], e["errno"], e["errno_name"]) for e in zip_errors
    ) == [
        ("locked", "scandir", errno.EACCES, "EACCES"),
        ("private.zip", "open", errno.EACCES, "EACCES"),
    ]
    assert "secret" not in ran.text


def test_proc_self_completes_with_errors_as_records() -> None:
    ran = run_cli("scan", "--jsonl", "/proc/self", timeout=60)
    _clean(ran, exit_codes.OK, exit_codes.PARTIAL)
    recs = _records(ran)
    assert recs[-1]["record"] == "summary"
    assert recs[-1]["files"] > 0


def _fill(directory: Path, count: int, per_dir: int | None = None) -> Path:
    directory.mkdir()
    for i in range(count):
        parent = directory if per_dir is None else directory / f"d{i // per_dir}"
        if per_dir is not None and i % per_dir == 0:
            parent.mkdir()
        os.close(os.open(parent / f"f{i:06d}.dat", os.O_CREAT | os.O_WRONLY, 0o644))
    return directory


@pytest.fixture(scope="module")
def wide_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("wide")
    small = _fill(base / "small", 1_000)
    one_dir = _fill(base / "one", 60_000)
    spread = _fill(base / "spread", 30_000, per_dir=300)
    return small, one_dir, spread


# What 29,000 more entries may add to the peak RSS (KiB): a bounded walk stays within a batch
# in flight (up to 16k entries, ~5 MiB when listing, also inside one directory); one holding
# a whole 60,000-entry directory would add ~15-40 MiB (~260-700 B per entry).
BOUNDED_KIB = 8 * 1024


# -j 2: the adaptive walk adds workers when the machine is loaded (each with a batch in
# flight), memory bounded by the workers; pinned so that only the file count varies
@pytest.mark.parametrize(
    "command", [["ext", "-j", "2"], ["walk", "-j", "2"], ["scan", "-j", "2"], ["zip", "--sniff"]]
)
def test_memory_is_bounded_on_a_tree_of_30k_files(
    wide_dirs: tuple[Path, Path, Path], command: list[str]
) -> None:
    small, _, spread = wide_dirs
    grown = peak_rss_kib([*command, str(spread)]) - peak_rss_kib([*command, str(small)])
    assert grown < BOUNDED_KIB, f"{command}: +{grown} KiB for 29,000 more files"


def test_memory_is_bounded_on_one_directory_of_60k_entries_when_counting(
    wide_dirs: tuple[Path, Path, Path],
) -> None:
    small, one_dir, _ = wide_dirs
    grown = peak_rss_kib(["ext", str(one_dir)]) - peak_rss_kib(["ext", str(small)])
    assert grown < BOUNDED_KIB, f"ext: +{grown} KiB for one directory of 60,000 entries"


# walk lists every entry, scan every regular file (to find archives): a huge directory is
# read across batches (the work unit resumes its open scandir iterator), so neither holds it
@pytest.mark.parametrize("command", [["walk"], ["scan", "--json"]])
def test_memory_is_bounded_on_one_directory_of_60k_entries_when_listing(
    wide_dirs: tuple[Path, Path, Path], command: list[str]
) -> None:
    small, one_dir, _ = wide_dirs
    grown = peak_rss_kib([*command, str(one_dir)]) - peak_rss_kib([*command, str(small)])
    assert grown < BOUNDED_KIB, f"{command}: +{grown} KiB for one directory of 60,000 entries"
