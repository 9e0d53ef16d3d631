"""Permission-denied subtrees (scanned as ``nobody``: root reads everything) and
``--one-file-system`` across a real mount (in a private mount namespace)."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scanner import exit_codes
from tests.cli_helpers import REPO
from tests.fs_helpers import make_files

NOBODY, NOGROUP = 65534, 65534


def run_forked_as_nobody(body: Callable[[], int]) -> tuple[int, bytes]:
    """Run ``body`` in a forked child that dropped to nobody (when we are root); return its
    exit code and what it wrote to stdout.

    Forked, not exec'd, and ``body`` runs once as root first (output discarded): the
    interpreter and its standard library live under /root, which nobody may not enter, so
    every module the body imports lazily must be imported before the privileges go.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 99
        try:
            os.close(read_end)
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the child exits right after
            if os.geteuid() == 0:
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
                body()  # the import warm-up
            sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_end, "w")))
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOGROUP)
                os.setuid(NOBODY)
            code = body()
        except BaseException:
            traceback.print_exc(file=sys.__stderr__)
        finally:
            try:
                sys.stdout.flush()
            finally:
                os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        out = fh.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A tree nobody can reach: under /tmp, world-readable except the denied parts."""
    base = Path(tempfile.mkdtemp(prefix="scanner-access-", dir="/tmp"))
    try:
        make_files(
            base,
            {
                "ok/a.txt": 10,
                "ok/b.py": 20,
                "locked/secret.txt": 30,
                "locked/inner/deeper.txt": 40,
                "listonly/hidden.txt": 50,
            },
        )
        for d in (base, base / "ok"):
            d.chmod(0o755)
        for f in (base / "ok" / "a.txt", base / "ok" / "b.py"):
            f.chmod(0o644)
        (base / "locked").chmod(0o700)  # root's own: nobody may not read it
        (base / "listonly").chmod(0o744)  # names readable, entries not stat()-able
        yield base
    finally:
        shutil.rmtree(base)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to scan as nobody")
def test_permission_denied_subtree_is_recorded_and_the_rest_counted(shared_tree: Path) -> None:
    def body() -> int:
        from scanner.cli import main

        return main(["scan", "--json", str(shared_tree)])

    code, out = run_forked_as_nobody(body)
    assert code == exit_codes.PARTIAL
    doc = json.loads(out)
    s = doc["summary"]
    assert (s["files"], s["bytes"]) == (2, 30)  # ok/a.txt and ok/b.py
    assert s["dirs"] == 3  # ok, locked, listonly: listed, though not all readable
    errors = {(Path(e["path"]).name, e["phase"], e["errno"]) for e in doc["errors"]}
    assert errors == {
        ("locked", "scandir", errno.EACCES),
        ("hidden.txt", "stat", errno.EACCES),
    }
    assert doc["error_count"] == 2


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare -m"
)
def test_one_file_system_does_not_cross_a_mount(tmp_path: Path) -> None:
    make_files(tmp_path, {"here.txt": 1, "mnt": None})
    script = (
        "import anyio, sys\n"
        "from scanner.fs import WalkConfig, walk\n"
        "for x in (False, True):\n"
        "    r = anyio.run(walk, WalkConfig(roots=(sys.argv[1],), one_file_system=x))\n"
        "    print(r.totals.files, r.totals.dirs)\n"
    )
    mnt = tmp_path / "mnt"
    shell = (
        f"mount -t tmpfs tmpfs '{mnt}' && : > '{mnt}/there.txt' && mkdir '{mnt}/sub' "
        f"&& exec '{sys.executable}' -c '{script}' '{tmp_path}'"
    )
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", shell],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0 and "mount" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    crossing, staying = proc.stdout.split("\n")[:2]
    assert crossing == "2 2"  # here.txt, there.txt; mnt, mnt/sub
    assert staying == "1 1"  # the mount point is listed, not entered
