"""Whole commands and in-process calls timed side by side: the one timing harness of
``benchmarks/`` (``scanner bench`` runs its grid through :mod:`scanner.compare.harness`,
whose workers measure themselves; both share :mod:`scanner.compare.stats`).

* :func:`run_command` runs a command once: wall time as the parent sees it, exit code, and
  peak RSS from ``wait4``'s ``ru_maxrss``. On Linux a child's ``ru_maxrss`` starts at the
  high-water mark of the process that spawned it (``exec`` keeps the larger of the two), so
  a command smaller than this Python process reads as this process's size; ``gnu_time=True``
  spawns it from ``/usr/bin/time`` (a small C process) and reads its ``%M`` instead.
* :class:`Contender` is one side of a comparison (a command from :func:`command`, or any
  call); :func:`alternate` runs every contender once per round in a new seeded random order
  (drift on a shared machine hits all alike), warm-up rounds discarded.
* :func:`ratio_table` writes the Markdown table: medians, min, max, runs, the ratio to a baseline
  measured in the same run (with a bootstrap interval when asked), peak RSS and exit codes
  for commands.
"""

from __future__ import annotations

import functools
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.compare.stats import speedup

#: ``ru_maxrss`` and GNU time's ``%M`` are KiB on Linux.
_KIB = 1024
#: How much of a captured output is kept (a walk of a million files prints ~100 MiB).
CAPTURE_TAIL = 1 << 20


@dataclass(frozen=True, slots=True)
class CommandRun:
    """One run of a command."""

    wall_s: float
    code: int
    peak_rss_kib: int
    stdout: bytes = b""  # with ``capture=True``: the last ``CAPTURE_TAIL`` bytes
    stderr: bytes = b""

    @property
    def peak_rss_mib(self) -> float:
        """Peak RSS in MiB."""
        return self.peak_rss_kib / _KIB


def run_command(
    argv: Sequence[str],
    *,
    stdin: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    capture: bool = False,
    gnu_time: bool = False,
) -> CommandRun:
    """Run ``argv`` once; stdout and stderr go to /dev/null unless ``capture`` (then to
    temporary files, never a pipe that a large output could fill while we wait, and their
    last :data:`CAPTURE_TAIL` bytes are kept)."""
    with tempfile.TemporaryDirectory(prefix="scanner-timing-") as tmp:
        rss_file = Path(tmp) / "rss"
        full = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *argv] if gnu_time else argv
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        with (
            open(stdin, "rb") if stdin is not None else open(os.devnull, "rb") as given,
            open(out_path if capture else os.devnull, "wb") as out,
            open(err_path if capture else os.devnull, "wb") as err,
        ):
            start = time.perf_counter()
            proc = subprocess.Popen(
                list(full), stdin=given, stdout=out, stderr=err, env=env, cwd=cwd
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        peak = int(usage.ru_maxrss)
        if gnu_time:
            peak = int(rss_file.read_text().split()[-1])
        return CommandRun(
            wall_s=wall,
            code=code,
            peak_rss_kib=peak,
            stdout=_tail(out_path) if capture else b"",
            stderr=_tail(err_path) if capture else b"",
        )


def _tail(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(max(0, os.fstat(fh.fileno()).st_size - CAPTURE_TAIL))
        return fh.read()


def time_call(fn: Callable[[], object]) -> tuple[float, object]:
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_of(fn: Callable[[], object], runs: int, *, warmup: int = 1) -> float:
    """Median wall time of ``fn`` over ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    return statistics.median(time_call(fn)[0] for _ in range(runs))


@dataclass
class Contender:
    """One side of a comparison: what it runs and what it measured."""

    name: str
    run: Callable[[], object]
    command: str = ""  # shown under the table (the command line, or how it is called)
    max_runs: int | None = None  # contenders that take minutes per run run fewer times
    times: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)  # commands only
    codes: set[int] = field(default_factory=set)  # commands only
    last: object = None  # what the last run returned (a CommandRun for commands)

    def once(self) -> None:
        """Run once and record it (a command's own wall time, RSS and exit code)."""
        wall, out = time_call(self.run)
        if isinstance(out, CommandRun):
            wall = out.wall_s
            self.peak_rss_kib.append(out.peak_rss_kib)
            self.codes.add(out.code)
        self.times.append(wall)
        self.last = out

    @property
    def median(self) -> float:
        """Median wall time (s)."""
        return statistics.median(self.times)

    def clear(self) -> None:
        """Forget what was measured (after warm-up rounds)."""
        self.times.clear()
        self.peak_rss_kib.clear()
        self.codes.clear()


def command(
    name: str, argv: Sequence[str], *, max_runs: int | None = None, **options: Any
) -> Contender:
    """A contender that runs ``argv`` as a whole process (``options``: those of
    :func:`run_command`)."""
    args = list(argv)
    return Contender(
        name, functools.partial(run_command, args, **options), " ".join(args), max_runs=max_runs
    )


def alternate(
    contenders: Sequence[Contender], rounds: int, *, warmup: int = 0, seed: int = 0
) -> None:
    """Run every contender once per round in a new seeded random order; the first
    ``warmup`` rounds are discarded. A contender with ``max_runs`` stops at that many."""
    rng = random.Random(seed)
    order = list(contenders)
    for round_no in range(warmup + rounds):
        rng.shuffle(order)
        for c in order:
            if round_no >= warmup and c.max_runs is not None and len(c.times) >= c.max_runs:
                continue
            c.once()
        if round_no < warmup:
            for c in contenders:
                c.clear()


def ratio_table(
    contenders: Sequence[Contender],
    baseline: Contender,
    *,
    interval: bool = False,
    commands: bool = False,
    rss: bool = False,
) -> str:
    """Markdown: median, min, max, runs, and each median against the baseline's
    (``time / baseline``; with ``interval``, the speed-up ``baseline / time`` with a
    bootstrap 95% interval), exit codes where commands ran, and with ``rss`` their median
    peak RSS (see :func:`run_command` on when ``gnu_time`` is needed for small commands).
    ``commands`` lists every contender's command line below the table."""
    rss = rss and any(c.peak_rss_kib for c in contenders)
    codes = any(c.codes for c in contenders)
    ratio_head = "speed-up vs baseline (95% CI)" if interval else "time vs baseline"
    head = ["contender", "median (s)", "min (s)", "max (s)", "runs", ratio_head]
    head += ["peak RSS (MiB)"] * rss + ["exit codes"] * codes
    lines = [_md(head), _md(["---"] + ["---:"] * (len(head) - 2) + ["---"])]
    for c in contenders:
        if interval:
            up = speedup(baseline.times, c.times, resamples=2000)
            ratio = f"{up.ratio:.2f}x ({up.low:.2f}-{up.high:.2f})"
        else:
            ratio = f"{c.median / baseline.median:.2f}x"
        cells = [c.name, f"{c.median:.3f}", f"{min(c.times):.3f}", f"{max(c.times):.3f}"]
        cells += [str(len(c.times)), ratio]
        if rss:
            cells.append(
                f"{statistics.median(c.peak_rss_kib) / _KIB:.1f}" if c.peak_rss_kib else ""
            )
        if codes:
            cells.append(",".join(map(str, sorted(c.codes))))
        lines.append(_md(cells))
    if commands:
        lines += ["", "Commands:"] + [f"- {c.name}: `{c.command}`" for c in contenders]
    return "\n".join(lines) + "\n"


def before_after_row(
    labels: Sequence[str], before: Sequence[float], after: Sequence[float], fmt: str = ".3f"
) -> str:
    """One Markdown row: the labels, ``median (min)`` of each side, and after/before."""
    mb, ma = statistics.median(before), statistics.median(after)
    cells = [*labels, f"{mb:{fmt}} ({min(before):{fmt}})", f"{ma:{fmt}} ({min(after):{fmt}})"]
    return _md([*cells, f"{ma / mb:.3f}"])


def _md(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
