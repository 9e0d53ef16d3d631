"""Issue 13: the member names we list against ``zipfile``'s and ``zipinfo -1``'s, byte for
byte, over the generated corpus and a bounded sample of the zip-family files on this machine.

Ours are the bytes ``scanner zip --names`` writes to a pipe (UTF-8; see
``scanner.archives.zip.central`` for how names are decoded); ``zipfile``'s are
``namelist()`` encoded as UTF-8; ``zipinfo -1``'s are its output lines. A parser
differential is what an attacker uses (one tool checks, another extracts), so every
difference must be explained, by a finding we raise on that archive (``EXPLAINED_BY``) or by
one of the policies below (``POLICIES``), or the test fails with the archive and the names.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scanner.archives.config import ZipConfig
from scanner.archives.kinds import is_archive_name
from scanner.archives.model import ArchiveReport, Severity
from scanner.archives.zip.central import decode_name
from scanner.archives.zip.inspect import inspect_file
from scanner.labs.archives import HOSTILE_CASES, write_corpus

#: Real files compared at most, and the seconds their comparison may take (the sample is
#: spread over the sorted list, so it reaches every directory; see ``_sample``).
REAL_MAX_FILES = 200
REAL_MAX_SECONDS = 20.0
#: Larger files are left out (their directory alone can take a second to compare).
REAL_MAX_BYTES = 64 * 1024 * 1024
#: Where the machine's archives are looked for: /usr (JDK jars and jmods, Debian's wheels)
#: and every site-packages of this interpreter.
REAL_ROOTS = (Path("/usr"), *(Path(p) for p in sys.path if p.endswith("site-packages")))
PEER_ENV = {**os.environ, "LC_ALL": "C.UTF-8"}

#: Findings that explain why a peer lists other names than we do.
EXPLAINED_BY: dict[str, frozenset[str]] = {
    "zipfile": frozenset(
        {
            "non-utf8-flagged-name",  # zipfile decodes unflagged names as cp437, always
            "invalid-utf8-name",  # we show U+FFFD, zipfile raises or differs
            "nul-in-name",  # zipfile cuts a name at NUL
            "multiple-end-records",  # two directories: tools may read either
            "members-not-read",  # we stop at the record limit
            "bad-central-header",  # a broken record: where reading stops differs
            "cd-count-mismatch",
            "cd-out-of-bounds",
            "truncated",
        }
    ),
    "zipinfo": frozenset(
        {
            "control-char-in-name",  # zipinfo escapes control characters as ^X
            "nul-in-name",  # zipinfo stops a name at NUL
            "non-utf8-flagged-name",  # zipinfo prints raw cp437 bytes, we print UTF-8
            "invalid-utf8-name",  # zipinfo prints raw bytes, we print U+FFFD
            "multiple-end-records",
            "members-not-read",
            "bad-central-header",
            "cd-count-mismatch",
            "cd-out-of-bounds",
            "truncated",
        }
    ),
}

#: Differences that are decided behaviour rather than a finding, each with its test.
POLICIES: dict[str, str] = {
    "refused": "the peer refuses the archive (zipfile raises, zipinfo exits >= 2 and lists "
    "nothing): a verdict, not a listing; we list what we can read and raise findings",
    "unicode-path": "we honour an Info-ZIP 0x7075 Unicode path field whose CRC matches the "
    "raw name, as zipinfo does; zipfile (3.11) ignores it",
}


def _policy(peer: str, report: ArchiveReport, theirs: list[bytes] | None) -> str | None:
    """The policy that explains a difference with ``peer``, if one does."""
    if theirs is None:
        return "refused"
    members = report.members or []
    if peer == "zipfile" and any(m.name != decode_name(m.raw_name, m.flags) for m in members):
        return "unicode-path"
    return None


def _ours(path: Path) -> tuple[list[bytes], ArchiveReport]:
    report = inspect_file(str(path), ZipConfig(keep_members=True, recurse=False))
    assert report.error is None, report.error
    names = [m.name.encode("utf-8", "surrogateescape") for m in report.members or []]
    return names, report


def _zipfile(path: Path) -> list[bytes] | None:
    try:
        with zipfile.ZipFile(path) as zf:
            return [n.encode("utf-8", "surrogateescape") for n in zf.namelist()]
    except Exception:  # any refusal is a verdict
        return None


def _zipinfo(path: Path) -> list[bytes] | None:
    ran = subprocess.run(
        ["zipinfo", "-1", str(path)], capture_output=True, env=PEER_ENV, check=False
    )
    if ran.returncode >= 2 and not ran.stdout:
        return None
    return ran.stdout.splitlines()


PEERS: dict[str, Callable[[Path], list[bytes] | None]] = {"zipfile": _zipfile}
if shutil.which("zipinfo"):
    PEERS["zipinfo"] = _zipinfo


def _unexplained(path: Path) -> list[str]:
    """What differs from each peer without a finding or a policy to explain it."""
    ours, report = _ours(path)
    codes = {f.code for f in report.findings}
    out = []
    for peer, read in PEERS.items():
        theirs = read(path)
        if theirs == ours or codes & EXPLAINED_BY[peer] or _policy(peer, report, theirs):
            continue
        out.append(f"{path} vs {peer}: ours {ours[:5]}..., theirs {(theirs or [])[:5]}...")
    return out


def test_generated_corpus(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, seed=13, ordinary=20)
    assert {p.stem for p in corpus} >= set(HOSTILE_CASES)
    problems = [line for path in sorted(corpus) for line in _unexplained(path)]
    assert problems == []


def _candidates() -> Iterator[Path]:
    for root in REAL_ROOTS:
        if not root.is_dir():
            continue
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                if is_archive_name(name):
                    path = Path(folder, name)
                    if path.is_file() and not path.is_symlink():
                        yield path


def _sample(paths: list[Path], most: int) -> list[Path]:
    """``most`` paths spread evenly over the sorted list (every directory gets a share)."""
    if len(paths) <= most:
        return paths
    step = len(paths) / most
    return [paths[int(i * step)] for i in range(most)]


def test_real_archives_on_this_machine() -> None:
    found = sorted({p for p in _candidates() if p.stat().st_size <= REAL_MAX_BYTES})
    if not found:
        pytest.skip("no zip-family file under /usr or site-packages")
    problems: list[str] = []
    compared = 0
    deadline = time.monotonic() + REAL_MAX_SECONDS
    for path in _sample(found, REAL_MAX_FILES):
        if time.monotonic() > deadline:
            break
        try:
            problems += _unexplained(path)
        except PermissionError:
            continue
        compared += 1
    assert compared >= min(len(found), 10)
    assert problems == []


#: The archives a Debian + Python + JDK system ships (issue 12's calibration): the JDK's
#: jmods, jars, src.zip and ct.sym, Debian's jars and bundled wheels, installed packages.
SYSTEM_ROOTS = (
    Path("/usr/lib/jvm"),
    Path("/usr/share/java"),
    Path("/usr/share/python-wheels"),
    *(p for p in REAL_ROOTS if p.name == "site-packages"),
)


def test_default_thresholds_are_quiet_on_the_systems_own_archives() -> None:
    """Issue 12: with the defaults, ``--fail-on medium`` failed on a clean system (JDK
    src.zip, vendor jars over 10,000 members; wheels over 1 GiB; test data deflating
    200:1). The calibrated defaults (``ZipConfig``) raise nothing at medium or above on
    the archives the system ships, while every hostile case still raises its findings
    (``test_zip_checks.py::test_hostile_case_raises_its_findings``, default limits
    wherever the case does not lower them)."""
    found: list[Path] = []
    for root in SYSTEM_ROOTS:
        for folder, dirs, files in os.walk(root) if root.is_dir() else ():
            dirs.sort()
            for name in sorted(files):
                if is_archive_name(name) or name == "ct.sym":
                    path = Path(folder, name)
                    if path.is_file() and not path.is_symlink():
                        found.append(path)
    if not found:
        pytest.skip("no JDK, Debian jars or wheels here")
    loud = []
    deadline = time.monotonic() + REAL_MAX_SECONDS
    for path in _sample(found, REAL_MAX_FILES):
        if time.monotonic() > deadline:
            break
        report = inspect_file(str(path), ZipConfig())
        worst = report.worst
        if worst is not None and worst >= Severity.MEDIUM:
            loud.append(f"{path}: {[(p, f.code, f.message) for p, f in report.iter_findings()]}")
    assert loud == []


def test_a_difference_without_a_finding_is_caught(tmp_path: Path) -> None:
    """The comparison itself works: a listing that differs and carries no finding fails."""
    path = tmp_path / "plain.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"a")
    path.write_bytes(buf.getvalue())
    assert _unexplained(path) == []
    real = PEERS["zipfile"]
    PEERS["zipfile"] = lambda p: [b"something else"]
    try:
        assert _unexplained(path) != []
    finally:
        PEERS["zipfile"] = real
