"""``--cluster`` through the real CLI: exactly what the command prints without it.

Every run is ``python -m scanner ...`` in a child process, on one lab tree (hard links, a
symlink loop, unreadable directories, a huge directory), a zip corpus with hostile archives
and a fake ``ping`` on loopback addresses. The cluster is an embedded ``local:2`` (started by
the command) or a scheduler and two workers started with the ``dask`` commands on 127.0.0.1
(once for the module). As root, the commands and the workers run without the capabilities
that let root read any directory, so that chmod 000 holds for both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner import exit_codes
from scanner.cluster.faults import FAULT_ENV
from scanner.labs.archives import write_corpus
from scanner.labs.fakeping import FAIL, HOST_UNREACHABLE, SILENT, Behaviour, Kind, write_fake_ping
from scanner.labs.tree import TreeSpec, generate_tree
from tests.cluster_helpers import (
    NO_DAC,
    REPO,
    DaskProcesses,
    dask_processes,
    file_id,
    make_huge_dir,
)

ROOT_DROPS_CAPS = os.geteuid() == 0
PREFIX = NO_DAC if ROOT_DROPS_CAPS else []
HUGE = 6000
#: What differs from run to run whatever the engine: timings and how many ran at once.
VOLATILE = {"elapsed_s", "entries_per_s", "peak_workers", "hosts_per_s", "started", "finished"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    top = tmp_path_factory.mktemp("cli-cluster")
    generate_tree(top / "lab", TreeSpec(files=2000, seed=21, hardlinks=20, symlinks=12))
    make_huge_dir(top / "huge", HUGE)
    for part in ("a", "b"):
        (top / "twins" / part).mkdir(parents=True)
    for i in range(4):
        (top / "twins" / "a" / f"x{i}.bin").write_bytes(b"x" * (5000 + i))
        os.link(top / "twins" / "a" / f"x{i}.bin", top / "twins" / "b" / f"x{i}.bin")
    locked = top / "lab" / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("x")
    locked.chmod(0)
    yield top
    locked.chmod(0o700)


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    """``dask scheduler`` and two ``dask worker`` on 127.0.0.1, with the commands' rights."""
    with dask_processes(tmp_path_factory.mktemp("cli-dask"), 2, prefix=PREFIX) as procs:
        yield procs


def scanner(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI (without root's read-anything capabilities when root)."""
    return subprocess.run(
        [*PREFIX, sys.executable, "-m", "scanner", *args],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def stable(value: Any) -> Any:
    """``value`` without what changes from run to run, lists of records in one order, and
    a hard-linked file named by its inode (which of its names is counted first is walk
    order, in one process too)."""
    if isinstance(value, dict):
        out = {k: stable(v) for k, v in value.items() if k not in VOLATILE}
        if "path" in out and "size" in out and isinstance(out["path"], str):
            out["path"] = file_id(out["path"])
        return out
    if isinstance(value, list):
        items = [stable(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def result(run: subprocess.CompletedProcess[str], fmt: str) -> dict[str, Any]:
    """Exit code and data of a run, comparable (``--json`` document or ``--jsonl``
    records)."""
    data: Any = (
        json.loads(run.stdout)
        if fmt == "--json"
        else [json.loads(line) for line in run.stdout.splitlines()]
    )
    return {"code": run.returncode, "data": stable(data)}


#: (command line, format): walk's records stream; ext and scan write a document.
TREE_RUNS = {
    "walk": (["walk"], "--jsonl"),
    "walk-follow": (["walk", "--follow"], "--jsonl"),
    "ext": (["ext"], "--json"),
    "scan": (["scan", "--largest", "20", "--errors", "50"], "--json"),
}


@pytest.fixture(scope="module")
def single(tree: Path) -> dict[str, dict[str, Any]]:
    """What each tree command gives without --cluster."""
    out = {}
    for name, (argv, fmt) in TREE_RUNS.items():
        out[name] = result(scanner(*argv, str(tree), fmt, "-q"), fmt)
    return out


def cluster_args(where: str, commands: DaskProcesses) -> list[str]:
    if where == "local":
        return ["--cluster", "local:2"]
    if where == "file":
        return ["--cluster-file", str(commands.scheduler_file)]
    return ["--cluster", commands.address]


@pytest.mark.parametrize("name", sorted(TREE_RUNS))
@pytest.mark.parametrize(("where", "seconds"), [("local", "0.005"), ("tcp", "0.25")])
def test_tree_commands_on_a_cluster_print_what_one_process_prints(
    *,
    tree: Path,
    single: dict[str, dict[str, Any]],
    commands: DaskProcesses,
    name: str,
    where: str,
    seconds: str,
) -> None:
    argv, fmt = TREE_RUNS[name]
    extra = [*cluster_args(where, commands), "--share-seconds", seconds]
    got = result(scanner(*argv, str(tree), fmt, "-q", *extra), fmt)
    assert got == single[name]
    assert got["code"] == (exit_codes.PARTIAL if ROOT_DROPS_CAPS else exit_codes.OK)


def test_a_scheduler_file_and_o_write_the_same_report(
    tree: Path, single: dict[str, dict[str, Any]], commands: DaskProcesses, tmp_path: Path
) -> None:
    report = tmp_path / "scan.json"
    os.chmod(tmp_path, 0o777)  # written by the child without root's capabilities
    argv, fmt = TREE_RUNS["scan"]
    run = scanner(*argv, str(tree), fmt, "-q", "-o", str(report), *cluster_args("file", commands))
    assert run.stdout == ""
    assert {"code": run.returncode, "data": stable(json.loads(report.read_text()))} == single[
        "scan"
    ]


def test_a_worker_dying_on_its_first_attempts_changes_nothing(
    tree: Path, single: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # workers of their own, started with the hook in their environment and up before the
    # walk starts (an embedded cluster would leave a tree this small to the head start the
    # command reads itself while it starts)
    markers = tmp_path / "markers"
    markers.mkdir()
    os.chmod(tmp_path, 0o777)
    os.chmod(markers, 0o777)
    monkeypatch.setenv(FAULT_ENV, f"die-first:{markers}:2")
    argv, fmt = TREE_RUNS["walk"]
    with dask_processes(tmp_path, 2, prefix=PREFIX) as procs:
        monkeypatch.delenv(FAULT_ENV)  # the workers die, not the command
        run = scanner(*argv, str(tree), fmt, "-q", "--cluster", procs.address,
                      "--share-seconds", "0.005")  # fmt: skip
    assert result(run, fmt) == single["walk"]
    assert len(list(markers.iterdir())) == 2  # two workers did die


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-zips")
    write_corpus(root, seed=5, ordinary=24, hostile=True)
    return root


@pytest.mark.parametrize("where", ["local", "tcp"])
def test_zip_on_a_cluster_reports_every_archive_as_one_process(
    corpus: Path, commands: DaskProcesses, where: str
) -> None:
    argv = ["zip", str(corpus), "--json", "-q", "--fail-on", "high"]
    expected = result(scanner(*argv), "--json")
    got = result(scanner(*argv, *cluster_args(where, commands)), "--json")
    assert got == expected
    assert expected["code"] == exit_codes.PARTIAL  # hostile findings reach --fail-on


@pytest.fixture(scope="module")
def fake_ping(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli-fakeping")
    os.chmod(directory, 0o755)
    return write_fake_ping(
        directory,
        behaviours={
            "127.0.0.2": SILENT,
            "127.0.0.3": HOST_UNREACHABLE,
            "127.0.0.4": Behaviour(Kind.LOSS, every=2),
            "127.0.0.6": FAIL,
            "127.0.1.*[05]": SILENT,
        },
        latency_ms=0.2,
    )


def host_states(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    for line in run.stdout.splitlines():
        rec = json.loads(line)
        if rec["record"] == "host":
            assert rec["target"] not in hosts, f"{rec['target']} reported twice"
            keys = ("address", "state", "cause", "sent", "received", "loss_pct")
            hosts[rec["target"]] = [rec[k] for k in keys]
    return {"code": run.returncode, "hosts": hosts}


@pytest.mark.parametrize(("where", "seconds"), [("local", "0.01"), ("tcp", "0.25")])
def test_ping_on_a_cluster_gives_every_host_once_in_the_same_state(
    fake_ping: Path, commands: DaskProcesses, where: str, seconds: str
) -> None:
    argv = [
        "ping", "127.0.0.1-6", "127.0.1.0/26", "127.0.0.3", "--exclude", "127.0.1.32/29",
        "--ping", str(fake_ping), "-t", "0.2", "-c", "2", "-i", "0.01", "--jsonl", "-q",
    ]  # fmt: skip
    expected = host_states(scanner(*argv))
    got = host_states(scanner(*argv, *cluster_args(where, commands), "--share-seconds", seconds))
    assert got == expected
    assert len(expected["hosts"]) == 6 + 62 - 8  # a /26 less its network and broadcast
    assert expected["code"] == exit_codes.PARTIAL


@pytest.mark.parametrize(
    "argv",
    [
        ["--cluster", "local:2", "--cluster-file", "x.json"],
        ["--share-seconds", "1"],
        ["--cluster", "remote"],
        ["--cluster", "local", "--share-seconds", "0"],
    ],
)
def test_cluster_usage_problems_exit_3(argv: list[str], tmp_path: Path) -> None:
    run = scanner("ext", str(tmp_path), *argv)
    assert run.returncode == exit_codes.USAGE, run.stderr
    assert run.stderr.count("\n") == 1, run.stderr


def without_dask(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with Dask hidden: what a plain ``pip install scanner`` gives."""
    code = (
        "import runpy, sys\n"
        "sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        f"sys.argv = ['scanner', *{list(args)!r}]\n"
        "runpy.run_module('scanner', run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_dask_cluster_is_one_line_and_exit_4(tmp_path: Path) -> None:
    run = without_dask("ext", str(tmp_path), "--cluster", "local:2")
    assert run.returncode == exit_codes.FAILURE, run.stderr
    assert run.stderr == (
        "scanner: error: --cluster needs Dask (no module named 'distributed'): "
        "pip install 'scanner[cluster]'\n"
    )


def test_without_cluster_nothing_imports_dask(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scanner", "ext", str(tmp_path), "-q"],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert not {m for m in imported if m.split(".")[0] in ("dask", "distributed")}


def test_bench_has_a_cluster_variant_with_the_engine_result(tree: Path, tmp_path: Path) -> None:
    lab = tree / "twins"
    argv = ["bench", "walk", str(lab), "--variant", "anyio-asyncio", "--variant", "cluster"]
    run = scanner(*argv, "-j", "1", "-r", "1", "-w", "1", "--json", "-q")
    assert run.returncode == 0, run.stderr
    cells = {c["variant"]: c["digest"] for c in json.loads(run.stdout)["cells"]}
    assert cells["cluster"] == cells["anyio-asyncio"]


def test_bench_leaves_the_cluster_variant_out_without_dask(tree: Path) -> None:
    argv = ["bench", "walk", str(tree / "twins"), "--variant", "cluster", "--variant"]
    run = without_dask(*argv, "sequential", "-r", "1", "-w", "1", "--json", "-q")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert [c["variant"] for c in report["cells"]] == ["sequential"]
    assert any("cluster left out: Dask is not installed" in note for note in report["notes"])
