"""Start-up of the plain tree commands (issue 12): a small walk is read and written without
an event loop (scanner.fs.inline, scanner.runtime.command.run_inline), what it reads first
reaches the engine unchanged when the tree is larger, and the plainest command lines import
neither typer, rich, anyio nor asyncio."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.fs import Budget, Entry, WalkBatch, WalkConfig, Walker, WalkReport
from scanner.fs import tuner as tuner_module
from scanner.fs.inline import InlineStart
from tests.cli_helpers import REPO
from tests.fs_helpers import make_files

#: What the plainest command lines must not import (the heavy ones of start-up).
HEAVY = ("typer", "click", "rich", "anyio", "asyncio")


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny tree, and one with a directory wider than the first batches' budgets."""
    base = tmp_path_factory.mktemp("inline")
    small = base / "small"
    make_files(small, {"a.txt": 3, "b.py": 0, "d": None, "d/c.txt": 5, ".hidden": 1})
    (small / "link").symlink_to("a.txt")
    wide = base / "wide"
    spec: dict[str, int | None] = {
        f"w/f{i:04d}.{('txt', 'py', 'gz')[i % 3]}": i for i in range(300)
    }
    spec.update({f"sub{j}/x/y.txt": j for j in range(6)})
    make_files(wide, spec)
    return {"small": small, "wide": wide}


def _probe(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI's ``main`` in a child with stdout a pipe; (exit code, stderr), stderr
    ending with the heavy modules the run imported."""
    probe = (
        # batches bounded by entries only, as on a machine that is not loaded: a batch cut
        # short by a busy machine would hand the tiny tree to the engine
        "import math, sys; from scanner.fs import tuner; from scanner.fs.batch import Budget; "
        "tuner.START_BUDGET = tuner.SLOW_BUDGET = Budget(256, math.inf); "
        "from scanner.cli import main; code = main(sys.argv[1:]); "
        f"sys.stderr.write('heavy: %s\\n' % [m for m in {HEAVY!r} if m in sys.modules]); "
        "sys.exit(code)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr.decode()


@pytest.mark.parametrize(
    "args",
    [["walk", "."], ["walk", "-0", "d"], ["walk", "--json", "d"], ["ext", "."], ["ext", "--jsonl"]],
    ids=" ".join,
)
def test_plain_tree_commands_import_no_typer_rich_or_event_loop(
    args: list[str], trees: dict[str, Path]
) -> None:
    code, err = _probe(args, trees["small"])
    assert code == 0, err
    assert err.endswith("heavy: []\n"), err


def test_check_imports_no_typer_or_event_loop(trees: dict[str, Path]) -> None:
    code, err = _probe(["check", "a.txt"], trees["small"])
    assert code == 0, err
    assert "typer" not in err.splitlines()[-1] and "anyio" not in err.splitlines()[-1]


def test_report_file_and_larger_trees_still_run_on_the_engine(
    trees: dict[str, Path], tmp_path: Path
) -> None:
    code, err = _probe(["ext", "-q", "-o", str(tmp_path / "r.txt"), "."], trees["small"])
    assert code == 0 and "anyio" in err.splitlines()[-1], err  # aiofiles: an event loop
    assert (tmp_path / "r.txt").read_text().startswith("extension")


def _walk_config(root: Path) -> WalkConfig:
    return WalkConfig(roots=(str(root),), listing=True, stat_listed=True, largest=5)


async def _engine(config: WalkConfig, inline: InlineStart | None) -> tuple[list[Entry], WalkReport]:
    seen: list[Entry] = []

    async def on_batch(batch: WalkBatch) -> None:
        seen.extend(batch.entries)

    report = await Walker(config, on_batch, inline=inline).run()
    return seen, report


def _summary(entries: list[Entry], report: WalkReport) -> tuple[object, ...]:
    t = report.totals
    return (
        sorted(e.path for e in entries),
        (t.files, t.dirs, t.symlinks, t.other, t.bytes),
        sorted(report.extensions.counts.items()),
        [(f.path, f.size) for f in report.largest],
        report.errors,
    )


@pytest.mark.anyio
@pytest.mark.parametrize("batches", [0, 1])
async def test_the_engine_carries_on_from_an_inline_start(
    batches: int, trees: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handed over after the roots or after a batch that stopped inside the wide
    directory (its open iterator goes on), the walk finds what a walk of its own finds,
    each entry once."""
    # small batches, counted in entries only (also when a loaded machine makes the file
    # system look slow): the handover points do not depend on timing
    monkeypatch.setattr(tuner_module, "START_BUDGET", Budget(16, math.inf, check_every=1))
    monkeypatch.setattr(tuner_module, "SLOW_BUDGET", Budget(16, math.inf, check_every=1))
    monkeypatch.setattr(tuner_module, "FAST_MAX_ENTRIES", 32)
    monkeypatch.setattr(tuner_module, "FAST_MAX_SECONDS", math.inf)
    config = _walk_config(trees["wide"])
    alone = _summary(*await _engine(config, None))
    start = InlineStart(config)
    complete = start.run(batches)
    assert not complete  # 300 files in one directory: more than the first budgets hold
    entries, report = await _engine(config, start)
    assert len(entries) == len({e.path for e in entries})
    assert _summary(entries, report) == alone
    assert start.results == []  # all handed to the consumer


@pytest.mark.anyio
async def test_a_small_tree_is_read_whole_inline(trees: dict[str, Path]) -> None:
    config = _walk_config(trees["small"])
    start = InlineStart(config)
    assert start.run()
    seen: list[Entry] = []

    async def on_batch(batch: WalkBatch) -> None:
        seen.extend(batch.entries)

    await start.deliver(on_batch)
    assert _summary(seen, start.report) == _summary(*await _engine(config, None))
    assert start.frontier_size == 0


def test_inline_and_engine_print_the_same(trees: dict[str, Path]) -> None:
    """The CLI on the small tree (inline) and with the inline start refused (the engine
    from the first step) print the same listing, JSON and table."""
    refuse = (
        "import sys; from scanner.fs import jobs; jobs.TreeJob.work_inline = lambda self: False; "
        "from scanner.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for args in (["walk", "."], ["ext", "."], ["ext", "--csv", "."], ["walk", "--jsonl", "d"]):
        outs = [
            subprocess.run(
                [sys.executable, *head, *args],
                capture_output=True,
                cwd=trees["small"],
                env=env,
                timeout=60,
                check=True,
            ).stdout
            for head in (["-m", "scanner"], ["-c", refuse])
        ]
        if args[1] == "--jsonl":  # elapsed times differ: compare the records before them
            outs = [b"\n".join(o.splitlines()[:-1]) for o in outs]
        assert outs[0] == outs[1], args
