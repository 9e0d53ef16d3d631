"""Hardening: SIGINT and SIGTERM at seeded random points of every workload.

Each run is ``python -m scanner`` in its own session, signalled a random delay after its own
code started listening (:func:`_wait_for_our_handler`). Then: exit 130 (SIGINT) or 143
(SIGTERM) — or the normal code when the work finished first —, no traceback, no process of
its session left (threads, worker processes, ping children), no fake ping left (found by its
marker), and the ``--output`` report either complete (parseable) or absent, with no temporary
file beside it. A run still going a minute after its signal is killed with its session and
fails with its stderr (it must not outlive its test).

In-process cancel scopes on both backends are tested per area: tests/test_fs_cancel.py,
tests/test_zip_engine.py, tests/test_ping_sweep.py, tests/test_ping_cli.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.archives import write_bzip2_member, write_corpus
from scanner.labs.fakeping import write_fake_ping
from scanner.labs.tree import TreeSpec, generate_tree
from tests.cli_helpers import REPO
from tests.test_ping_sweep import assert_no_leftovers

SIGNALS = {signal.SIGINT: exit_codes.INTERRUPTED, signal.SIGTERM: exit_codes.TERMINATED}
#: Seconds a run may take to start listening, and then to exit after its signal.
_LIMIT = 60.0


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
    if name == "du":
        return ["du", "--json", "--depth", "3", "-o", str(report), str(inputs["tree"])]
    if name == "walk-sorted":
        return ["walk", "--sort", "size", "--jsonl", "-o", str(report), str(inputs["tree"])]
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
# the tree commands whose data is all written at the end: once each, not on busy CPUs too
TREE_CASES = [(w, s) for w in ("du", "walk-sorted") for s in SIGNALS]


@pytest.fixture
def busy_cpus() -> Iterator[None]:
    """Every CPU busy with a spinning process while the test runs: start-up and imports then
    take several times longer, which is where a signal used to become a traceback."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def _handles(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` now (``SigCgt`` in its status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def _wait_for_our_handler(proc: subprocess.Popen[bytes], limit: float) -> None:
    """Wait until the child's own code runs: its first lines (``scanner.__main__``) note
    SIGINT and SIGTERM, and SIGTERM is a signal CPython leaves at its default, so a handler
    for it is ours. Before that, a signal lands in the interpreter's start-up, where CPython
    or a site hook decides its fate: a KeyboardInterrupt traceback, death by the signal, or
    nothing at all — coverage's subprocess hook (a ``.pth`` file run by ``site``) imports
    coverage inside a bare ``except: pass``, which swallows a Ctrl-C (in a CI run under
    coverage, most SIGINTs sent in the first 0.3 s were lost so), and the run then did all
    its work: a ``zip --verify`` under coverage on busy CPUs outlived the test's minute."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and not _handles(proc.pid, signal.SIGTERM):
        if time.monotonic() > deadline:
            return  # the caller's timeout reports it, with the child's stderr
        time.sleep(0.002)


def _kill_session(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole session (its own process group) and reap the child."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _signal_run(
    inputs: dict[str, Path],
    tmp_path: Path,
    workload: str,
    signum: signal.Signals,
    *,
    delay: float,
    env: dict[str, str] | None = None,
) -> None:
    """One run signalled ``delay`` seconds after its code started listening, and every check
    on what it left."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    suffix = ".jsonl" if workload in ("walk", "ping", "walk-sorted") else ".json"
    report = out_dir / f"report{suffix}"
    args = _workload(workload, inputs, tmp_path, report)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
        start_new_session=True,
        env=env,
    )
    try:
        _wait_for_our_handler(proc, _LIMIT)
        time.sleep(delay)
        finished_first = proc.poll() is not None
        if not finished_first:
            proc.send_signal(signum)
        try:
            _, err = proc.communicate(timeout=_LIMIT)
        except subprocess.TimeoutExpired:
            _kill_session(proc)
            _, err = proc.communicate()
            pytest.fail(
                f"scanner {' '.join(args)}: still running {_LIMIT:.0f} s after "
                f"{signum.name} at {delay:.3f} s (killed); stderr:\n" + err.decode(errors="replace")
            )
    finally:
        if proc.poll() is None:  # whatever failed above: the child must not outlive the test
            _kill_session(proc)
    message = err.decode(errors="replace")
    assert "Traceback" not in message, f"{delay:.3f} s: {message}"
    if finished_first:
        assert proc.returncode in (exit_codes.OK, exit_codes.PARTIAL), message
    else:
        # -signum: the signal came as the run loop's watcher stopped listening, after the
        # output was written (asyncio leaves SIGTERM at its default for a moment then; a
        # shell reports that as 128+N too)
        codes = (SIGNALS[signum], -signum, exit_codes.OK, exit_codes.PARTIAL)
        assert proc.returncode in codes, f"{delay:.3f} s: {message}"
    _assert_session_empty(proc.pid)
    _assert_report_whole_or_absent(out_dir, report)
    if workload == "ping" and (tmp_path / "pids").exists():
        assert_no_leftovers(tmp_path / "ping", tmp_path / "pids")


@pytest.mark.parametrize(
    ("workload", "signum"), CASES + TREE_CASES, ids=[f"{w}-{s.name}" for w, s in CASES + TREE_CASES]
)
def test_signal_at_a_random_point(
    inputs: dict[str, Path], tmp_path: Path, workload: str, signum: signal.Signals
) -> None:
    # from start-up (imports, argument checks) to the middle of the work
    # (a 30k-file walk takes ~0.5 s here: it gets the shorter window)
    latest = 0.35 if workload in ("walk", "scan", "du", "walk-sorted") else 0.7
    delay = random.Random(f"{workload}-{signum.name}").uniform(0.1, latest)
    _signal_run(inputs, tmp_path, workload, signum, delay=delay)


@pytest.mark.usefixtures("busy_cpus")
@pytest.mark.parametrize(("workload", "signum"), CASES, ids=[f"{w}-{s.name}" for w, s in CASES])
def test_signal_during_slow_imports_on_busy_cpus(
    inputs: dict[str, Path], tmp_path: Path, workload: str, signum: signal.Signals
) -> None:
    """Bytecode writing off and every CPU busy: imports run slowly, also the lazy ones inside
    a command's task group; at each sampled moment the exit is 130/143 (or the normal code)
    and nothing prints a traceback."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    rng = random.Random(f"busy-{workload}-{signum.name}")
    for i, delay in enumerate(sorted(rng.uniform(0.05, 0.9) for _ in range(3))):
        (tmp_path / str(i)).mkdir()
        _signal_run(inputs, tmp_path / str(i), workload, signum, delay=delay, env=env)
